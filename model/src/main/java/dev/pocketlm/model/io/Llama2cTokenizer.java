package dev.pocketlm.model.io;

import dev.pocketlm.model.ModelFormatException;
import dev.pocketlm.model.gguf.GgufArray;
import dev.pocketlm.model.gguf.GgufMetadata;
import dev.pocketlm.model.gguf.GgufValue;
import dev.pocketlm.model.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * llama2.c's tokenizer.bin (int32 max_token_length, then per token: float32 score, int32 length, bytes), read into
 * the SentencePiece tokenizer: its export wrote U+2581 as a space, so that is undone; ids 0, 1, 2 are unk, BOS, EOS.
 */
public final class Llama2cTokenizer {
    private static final int UNKNOWN = 2, CONTROL = 3, BYTE = 6, NORMAL = 1;

    private Llama2cTokenizer() {}

    public static Tokenizer read(Path file, int vocabSize) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        String[] tokens = new String[vocabSize];
        float[] scores = new float[vocabSize];
        int[] types = new int[vocabSize];
        try {
            b.getInt();
            for (int i = 0; i < vocabSize; i++) {
                scores[i] = b.getFloat();
                byte[] piece = new byte[b.getInt()];
                b.get(piece);
                String s = new String(piece, StandardCharsets.UTF_8);
                boolean isByte = s.matches("<0x[0-9A-F]{2}>");
                tokens[i] = isByte ? s : s.replace(' ', '\u2581');
                types[i] = i == 0 ? UNKNOWN : i <= 2 ? CONTROL : isByte ? BYTE : NORMAL;
            }
        } catch (RuntimeException e) {
            throw new ModelFormatException(file + ": truncated or corrupt llama2.c tokenizer (expected " + vocabSize + " tokens): " + e);
        }
        GgufMetadata m = GgufMetadata.builder()
                .put("tokenizer.ggml.model", GgufValue.string("llama"))
                .put("tokenizer.ggml.tokens", GgufValue.array(GgufArray.ofStrings(tokens)))
                .put("tokenizer.ggml.scores", GgufValue.array(GgufArray.ofFloats(scores)))
                .put("tokenizer.ggml.token_type", GgufValue.array(GgufArray.ofInts(types)))
                .put("tokenizer.ggml.bos_token_id", GgufValue.uint32(1))
                .put("tokenizer.ggml.eos_token_id", GgufValue.uint32(2))
                .build();
        return Tokenizer.fromMetadata(m);
    }
}
