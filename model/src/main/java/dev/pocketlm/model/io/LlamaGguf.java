package dev.pocketlm.model.io;

import dev.pocketlm.model.ModelFormatException;
import dev.pocketlm.model.gguf.GgufFile;
import dev.pocketlm.model.gguf.GgufMetadata;
import dev.pocketlm.model.gguf.GgufValue;
import dev.pocketlm.model.llama.LlamaConfig;
import dev.pocketlm.tensor.RopeMode;

/** The Llama hyper-parameters a GGUF file declares under {@code llama.*} (and the keys Pocket writes). */
public final class LlamaGguf {
    public static final String ARCH = "llama";

    private LlamaGguf() {}

    public static LlamaConfig config(GgufFile file) {
        GgufMetadata m = file.metadata();
        String arch = m.getString("general.architecture");
        if (!ARCH.equals(arch)) {
            throw new ModelFormatException(file.path() + ": architecture '" + arch + "' is not supported (expected '" + ARCH + "')");
        }
        int dim = m.getInt("llama.embedding_length");
        int heads = m.getInt("llama.attention.head_count");
        int vocab = m.contains("llama.vocab_size") ? m.getInt("llama.vocab_size")
                : file.tensor("token_embd.weight").shape().dim(0);
        try {
            return new LlamaConfig(dim, m.getInt("llama.block_count"), heads, m.getInt("llama.attention.head_count_kv", heads),
                    m.getInt("llama.feed_forward_length"), vocab, m.getInt("llama.context_length"),
                    m.getFloat("llama.attention.layer_norm_rms_epsilon", 1e-5f), m.getFloat("llama.rope.freq_base", 10000f),
                    m.getInt("llama.rope.dimension_count", dim / heads), RopeMode.NORMAL);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file.path() + ": " + e.getMessage(), e);
        }
    }

    /** The metadata keys that describe {@code c}, for writers. */
    public static void put(GgufMetadata.Builder b, LlamaConfig c) {
        b.put("general.architecture", GgufValue.string(ARCH));
        b.put("llama.embedding_length", GgufValue.uint32(c.dim()));
        b.put("llama.block_count", GgufValue.uint32(c.layers()));
        b.put("llama.attention.head_count", GgufValue.uint32(c.heads()));
        b.put("llama.attention.head_count_kv", GgufValue.uint32(c.kvHeads()));
        b.put("llama.feed_forward_length", GgufValue.uint32(c.ffnDim()));
        b.put("llama.vocab_size", GgufValue.uint32(c.vocabSize()));
        b.put("llama.context_length", GgufValue.uint32(c.contextLength()));
        b.put("llama.attention.layer_norm_rms_epsilon", GgufValue.float32(c.rmsEps()));
        b.put("llama.rope.freq_base", GgufValue.float32(c.ropeBase()));
        b.put("llama.rope.dimension_count", GgufValue.uint32(c.ropeDim()));
    }
}
