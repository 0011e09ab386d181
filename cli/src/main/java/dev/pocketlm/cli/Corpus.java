package dev.pocketlm.cli;

import dev.pocketlm.model.gguf.GgufMetadata;
import dev.pocketlm.model.tokenizer.CharTokenizer;
import dev.pocketlm.model.tokenizer.Tokenizer;
import dev.pocketlm.model.train.TextDataset;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** A training text with the tokenizer that encodes it, and that tokenizer's GGUF keys for the models trained on it. */
record Corpus(Path file, Tokenizer tokenizer, GgufMetadata tokenizerMetadata, TextDataset dataset) {

    /** The first 90% of the tokens train, the rest validates (nanoGPT's split). */
    static final double TRAIN_FRACTION = 0.9;

    /** A character-level vocabulary built from the text itself. */
    static Corpus characterLevel(Path file) throws IOException {
        String text = read(file);
        CharTokenizer tok = CharTokenizer.fromCorpus(text);
        return new Corpus(file, tok, tok.addTo(GgufMetadata.builder()).build(), new TextDataset(tok.encode(text, false), TRAIN_FRACTION));
    }

    /** The text encoded with a model's tokenizer (whose keys are copied from {@code metadata}). */
    static Corpus withTokenizer(Path file, Tokenizer tok, GgufMetadata metadata) throws IOException {
        GgufMetadata.Builder keys = GgufMetadata.builder();
        metadata.asMap().forEach((k, v) -> {
            if (k.startsWith("tokenizer.")) keys.put(k, v);
        });
        return new Corpus(file, tok, keys.build(), new TextDataset(tok.encode(read(file), false), TRAIN_FRACTION));
    }

    private static String read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + ": no such text file");
        return Files.readString(file, StandardCharsets.UTF_8);
    }

    /** Characters each token stands for, for bits per character. */
    double charsPerToken(int id) {
        byte[] b = tokenizer.decode(id);
        int chars = 0;
        for (byte x : b) if ((x & 0xc0) != 0x80) chars++;
        return chars;
    }
}
