package dev.pocketlm.model.llama;

import dev.pocketlm.tensor.RopeMode;

/** Hyper-parameters of a Llama-architecture transformer. */
public record LlamaConfig(int dim, int layers, int heads, int kvHeads, int ffnDim, int vocabSize, int contextLength,
                          float rmsEps, float ropeBase, int ropeDim, RopeMode ropeMode) {

    public LlamaConfig {
        check(dim > 0 && layers > 0 && heads > 0 && kvHeads > 0 && ffnDim > 0 && vocabSize > 0 && contextLength > 0,
                "every size must be positive");
        check(dim % heads == 0, "embedding width " + dim + " is not a multiple of the head count " + heads);
        check(heads % kvHeads == 0, "head count " + heads + " is not a multiple of the KV head count " + kvHeads);
        check(ropeDim > 0 && ropeDim % 2 == 0 && ropeDim <= dim / heads, "rope dimension " + ropeDim + " must be even and at most the head size " + dim / heads);
    }

    private static void check(boolean ok, String what) {
        if (!ok) throw new IllegalArgumentException("invalid Llama hyper-parameters: " + what);
    }

    public int headDim() { return dim / heads; }

    public int kvDim() { return kvHeads * headDim(); }

    /** Parameters in the matrices and vectors (the output matrix counted once when tied). */
    public long parameterCount(boolean tiedOutput) {
        long perLayer = 2L * dim + (long) dim * dim * 2 + 2L * dim * kvDim() + 3L * dim * ffnDim;
        return (long) vocabSize * dim * (tiedOutput ? 1 : 2) + layers * perLayer + dim;
    }

    @Override public String toString() {
        return "dim " + dim + ", layers " + layers + ", heads " + heads + " (KV " + kvHeads + "), FFN " + ffnDim
                + ", vocab " + vocabSize + ", context " + contextLength + ", rms eps " + rmsEps
                + ", rope base " + ropeBase + " dims " + ropeDim + " " + ropeMode;
    }
}
