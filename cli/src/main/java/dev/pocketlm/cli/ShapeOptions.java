package dev.pocketlm.cli;

import dev.pocketlm.model.llama.LlamaConfig;
import dev.pocketlm.tensor.RopeMode;
import picocli.CommandLine.Option;

/** The shape of a model to train from scratch (defaults: nanoGPT's character-level "baby GPT" size). */
final class ShapeOptions {
    @Option(names = "--dim", defaultValue = "128", description = "Embedding width (default ${DEFAULT-VALUE}).") int dim;

    @Option(names = "--layers", defaultValue = "4") int layers;

    @Option(names = "--heads", defaultValue = "4") int heads;

    @Option(names = "--kv-heads", description = "KV heads for grouped-query attention (default: --heads).") Integer kvHeads;

    @Option(names = "--ffn", description = "SwiGLU hidden width (default: 8/3 of --dim rounded up to 32, parameter-matched to a 4x GELU MLP).")
    Integer ffn;

    LlamaConfig config(int vocabSize, int context) {
        int hidden = ffn != null ? ffn : (8 * dim / 3 + 31) / 32 * 32;
        return new LlamaConfig(dim, layers, heads, kvHeads != null ? kvHeads : heads, hidden, vocabSize, context,
                1e-5f, 10000f, dim / heads, RopeMode.NORMAL);
    }
}
