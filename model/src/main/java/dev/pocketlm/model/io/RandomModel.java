package dev.pocketlm.model.io;

import dev.pocketlm.model.gguf.GgufFile;
import dev.pocketlm.model.gguf.GgufMetadata;
import dev.pocketlm.model.gguf.GgufValue;
import dev.pocketlm.model.llama.LlamaConfig;
import dev.pocketlm.model.llama.LlamaInit;
import dev.pocketlm.model.llama.LlamaWeights;
import dev.pocketlm.model.llama.ModelShape;
import dev.pocketlm.model.compress.RoundToNearest;
import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.DType;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** {@code pocket init}: a Llama GGUF of a named shape with random weights and a real tokenizer vocabulary. */
public final class RandomModel {
    private RandomModel() {}

    /** Builds the model on {@code backend} (matrices in {@code type}, norm vectors in F32) and writes it. */
    public static void write(Path out, ModelShape shape, DType type, long seed, Backend backend) throws IOException {
        LlamaConfig c = shape.config();
        GgufMetadata.Builder meta = GgufMetadata.builder().putAll(vocabulary(shape.vocabulary()));
        meta.put("general.name", GgufValue.string("pocket random " + shape.label()));
        meta.put("general.file_type", GgufValue.uint32(RoundToNearest.fileType(type)));
        // Random models tie nothing: a separate output matrix, as TinyLlama has.
        try (LlamaWeights w = LlamaWeights.assemble(c, false, (name, s) ->
                backend.fromFloats(s.rank() == 1 ? DType.F32 : type, LlamaInit.values(name, s, c, seed), s.dims()))) {
            LlamaGgufWriter.write(out, c, w, meta.build());
        }
    }

    /** The tokenizer.* keys of a shipped vocabulary. */
    public static GgufMetadata vocabulary(ModelShape.Vocabulary v) throws IOException {
        Path tmp = Files.createTempFile("pocket-vocab", ".gguf");
        try (InputStream in = RandomModel.class.getResourceAsStream(v.resource())) {
            if (in == null) throw new IOException("the jar lacks the vocabulary resource " + v.resource());
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            try (GgufFile f = GgufFile.open(tmp)) {
                GgufMetadata.Builder b = GgufMetadata.builder();
                f.metadata().asMap().forEach((k, val) -> {
                    if (k.startsWith("tokenizer.")) b.put(k, val);
                });
                return b.build();
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
