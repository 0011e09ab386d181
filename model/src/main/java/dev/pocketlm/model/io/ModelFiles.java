package dev.pocketlm.model.io;

import dev.pocketlm.model.ModelFormatException;
import dev.pocketlm.model.gguf.GgufFile;
import dev.pocketlm.model.llama.Llama;
import dev.pocketlm.model.llama.LlamaConfig;
import dev.pocketlm.model.tokenizer.Tokenizer;
import dev.pocketlm.tensor.Backend;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/** Opens the model files Pocket accepts: GGUF (Llama architecture) and llama2.c checkpoints with their tokenizer.bin. */
public final class ModelFiles {
    /** The model that ships inside the jar (see README: how it was trained). */
    public static final String DEFAULT_MODEL_RESOURCE = "/dev/pocketlm/model/default/shakespeare.gguf";
    public static final String ACCEPTED = "a GGUF file with the Llama architecture (F32, F16, BF16, Q8_0, Q4_0; Q4_K and Q6_K "
            + "are dequantized on load) or a llama2.c checkpoint (.bin) with its tokenizer.bin beside it";

    private ModelFiles() {}

    public static LoadedModel load(Path file, Backend backend) throws IOException {
        if (!Files.isRegularFile(file)) throw new ModelFormatException(file + ": no such file; Pocket reads " + ACCEPTED);
        return isGguf(file) ? loadGguf(file, file.toString(), backend) : loadLlama2c(file, backend);
    }

    /** The embedded default model (copied out of the jar to a temporary file that is deleted on exit). */
    public static LoadedModel loadDefault(Backend backend) throws IOException {
        Path tmp = Files.createTempFile("pocket-default", ".gguf");
        tmp.toFile().deleteOnExit();
        try (InputStream in = ModelFiles.class.getResourceAsStream(DEFAULT_MODEL_RESOURCE)) {
            if (in == null) throw new ModelFormatException("this build has no embedded default model (" + DEFAULT_MODEL_RESOURCE + "); pass --model: " + ACCEPTED);
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        return loadGguf(tmp, "the embedded default model (" + DEFAULT_MODEL_RESOURCE + ")", backend);
    }

    private static boolean isGguf(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 'G' && magic[1] == 'G' && magic[2] == 'U' && magic[3] == 'F';
        }
    }

    private static LoadedModel loadGguf(Path file, String origin, Backend backend) throws IOException {
        GgufFile gguf = GgufFile.open(file);
        GgufSource source = new GgufSource(gguf);
        try {
            LlamaConfig config = LlamaGguf.config(gguf);
            Tokenizer tokenizer = Tokenizer.fromGguf(gguf);
            if (tokenizer.vocabSize() != config.vocabSize()) {
                throw new ModelFormatException(file + ": the tokenizer has " + tokenizer.vocabSize() + " tokens, the model's vocabulary " + config.vocabSize());
            }
            Llama model = new Llama(config, LlamaLoader.load(config, source, backend));
            return new LoadedModel(origin, model, tokenizer, List.of(source, gguf));
        } catch (RuntimeException e) {
            source.close();
            gguf.close();
            throw e;
        }
    }

    private static LoadedModel loadLlama2c(Path file, Backend backend) throws IOException {
        Path tokenizerFile = file.resolveSibling("tokenizer.bin");
        if (!Files.isRegularFile(tokenizerFile)) {
            throw new ModelFormatException(file + ": not a GGUF file, and no tokenizer.bin beside it for a llama2.c checkpoint; Pocket reads " + ACCEPTED);
        }
        Llama2cCheckpoint ckpt = Llama2cCheckpoint.open(file);
        try {
            LlamaConfig config = ckpt.config();
            Tokenizer tokenizer = Llama2cTokenizer.read(tokenizerFile, config.vocabSize());
            Llama model = new Llama(config, LlamaLoader.load(config, ckpt, backend));
            return new LoadedModel(file.toString(), model, tokenizer, List.of(ckpt));
        } catch (RuntimeException e) {
            ckpt.close();
            throw e;
        }
    }
}
