package dev.pocketlm.model.llama;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Ops;
import dev.pocketlm.tensor.Tensor;

/**
 * The Llama forward pass on the tensor API: a prompt is one batch of matmuls, then one token per step.
 * Everything stays on the device; only the logits come back.
 */
public final class Llama implements AutoCloseable {
    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final Backend backend;

    public Llama(LlamaConfig config, LlamaWeights weights) {
        this.config = config;
        this.weights = weights;
        this.backend = weights.tokenEmbedding().backend();
    }

    public LlamaConfig config() { return config; }

    public LlamaWeights weights() { return weights; }

    public Backend backend() { return backend; }

    /**
     * Feeds {@code tokens} at positions pos0.. and returns the logits [rows, vocab] of the last row only, or of
     * every row when {@code allLogits}. The result is allocated in the caller's scope. Intermediates are freed as soon
     * as they are dead, so the next op's output takes memory just used, still in cache, where a new block has to come
     * from DRAM (a generated token's small ops, TinyLlama Q4_0, three alternating pairs: 481-748 -> 386-521 us).
     */
    public Tensor forward(int[] tokens, int pos0, KvCache cache, boolean allLogits) {
        int t = tokens.length;
        if (t == 0) throw new IllegalArgumentException("forward: no tokens");
        if (pos0 < 0 || pos0 + t > cache.capacity()) {
            throw new IllegalArgumentException("forward: positions " + pos0 + ".." + (pos0 + t - 1) + " exceed the KV cache of " + cache.capacity());
        }
        for (int id : tokens) {
            if (id < 0 || id >= config.vocabSize()) throw new IllegalArgumentException("forward: token id " + id + " outside the vocabulary of " + config.vocabSize());
        }
        int[] positions = new int[t];
        for (int i = 0; i < t; i++) positions[i] = pos0 + i;
        Tensor pos = backend.fromInts(positions, t);
        Tensor x = Ops.getRows(weights.tokenEmbedding(), backend.fromInts(tokens, t));
        for (int l = 0; l < config.layers(); l++) {
            LayerWeights w = weights.layers().get(l);
            Tensor attended = cachedAttention(LlamaBlocks.norm(x, w.attnNorm(), config), w, cache, l, pos, pos0);
            Tensor mid = Ops.add(x, attended);
            x.close();
            attended.close();
            x = LlamaBlocks.feedForward(mid, w, config, Tensor::close);
            mid.close();
        }
        return LlamaBlocks.logits(allLogits ? x : x.slice(t - 1, 1), weights, config);
    }

    /** Self-attention of the normalized rows h through the KV cache; returns the output projection. Frees h. */
    private Tensor cachedAttention(Tensor h, LayerWeights w, KvCache cache, int layer, Tensor pos, int pos0) {
        LlamaConfig c = config;
        int t = h.dim(0);
        Tensor[] qkv = Ops.linears(h, w.wq(), w.wk(), w.wv());
        h.close();
        Tensor q = LlamaBlocks.rotatedHeads(qkv[0], c.heads(), pos, c);
        qkv[0].close();
        Tensor k = LlamaBlocks.rotatedHeads(qkv[1], c.kvHeads(), pos, c);
        qkv[1].close();
        cache.write(layer, pos0, k, qkv[2].reshape(t, c.kvHeads(), c.headDim()));
        k.close();
        qkv[2].close();
        int seen = pos0 + t;
        Tensor att = Ops.attention(q, cache.keys(layer, seen), cache.values(layer, seen), LlamaBlocks.attentionScale(c), pos0);
        q.close();
        Tensor out = Ops.linear(att.reshape(t, c.dim()), w.wo());
        att.close();
        return out;
    }

    @Override public void close() {
        weights.close();
    }
}
