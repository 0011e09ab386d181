package dev.pocketlm.model.train;

import dev.pocketlm.model.llama.LayerWeights;
import dev.pocketlm.model.llama.LlamaBlocks;
import dev.pocketlm.model.llama.LlamaConfig;
import dev.pocketlm.model.llama.LlamaWeights;
import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Ops;
import dev.pocketlm.tensor.Tensor;

/**
 * The Llama forward pass over a batch of independent windows without a KV cache, with attention composed from
 * batched matmul and causal softmax so the tape can differentiate it. Also serves frozen teachers.
 */
public final class TrainingForward {
    private TrainingForward() {}

    /** Logits [B*T, vocab] for token ids [B*T] (B windows of T tokens, positions 0..T-1 in each). */
    public static Tensor logits(LlamaWeights w, LlamaConfig c, Batch batch) {
        Backend be = w.tokenEmbedding().backend();
        int rows = batch.windows() * batch.length();
        int[] positions = new int[rows];
        for (int i = 0; i < rows; i++) positions[i] = i % batch.length();
        Tensor pos = be.fromInts(positions, rows);
        Tensor x = Ops.getRows(w.tokenEmbedding(), be.fromInts(batch.inputs(), rows));
        for (LayerWeights lw : w.layers()) {
            x = Ops.add(x, causalSelfAttention(LlamaBlocks.norm(x, lw.attnNorm(), c), lw, c, pos, batch.windows(), batch.length()));
            x = LlamaBlocks.feedForward(x, lw, c, kept -> {});
        }
        return LlamaBlocks.logits(x, w, c);
    }

    private static Tensor causalSelfAttention(Tensor h, LayerWeights w, LlamaConfig c, Tensor pos, int b, int t) {
        Tensor q = byHead(LlamaBlocks.rotatedHeads(Ops.linear(h, w.wq()), c.heads(), pos, c), b, t);
        Tensor k = byHead(LlamaBlocks.rotatedHeads(Ops.linear(h, w.wk()), c.kvHeads(), pos, c), b, t);
        Tensor v = byHead(Ops.reshape(Ops.linear(h, w.wv()), b * t, c.kvHeads(), c.headDim()), b, t);
        Tensor p = Ops.softmax(Ops.matmul(q, k, false, true), LlamaBlocks.attentionScale(c), true, 0);
        Tensor o = Ops.matmul(p, v, false, false);
        Tensor rows = Ops.permute(Ops.reshape(o, b, c.heads(), t, c.headDim()), 0, 2, 1, 3);
        return Ops.linear(Ops.reshape(rows, b * t, c.dim()), w.wo());
    }

    /** [B*T, H, D] rows to [B*H, T, D] matrices, one per window and head (KV heads broadcast by matmul). */
    private static Tensor byHead(Tensor x, int b, int t) {
        int heads = x.dim(1), d = x.dim(2);
        return Ops.reshape(Ops.permute(Ops.reshape(x, b, t, heads, d), 0, 2, 1, 3), b * heads, t, d);
    }
}
