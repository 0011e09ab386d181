package dev.pocketlm.tensor;

/**
 * The op set every backend implements: primitive kernels writing into preallocated outputs.
 * Callers ({@link Ops}) have already checked shapes, dtypes and backends, so kernels only compute.
 *
 * <p>Conventions: tensors are row-major; "rows" are all dimensions but the last. Inputs and outputs are
 * contiguous (possibly at a byte offset into their storage) except where a method says otherwise.
 * Activations, gradients and outputs are F32 unless stated. An elementwise output may alias its first input.
 * A backend that cannot do a case throws {@link UnsupportedOperationException} naming op, dtype and backend.
 */
public interface Kernels {

    /**
     * out = op(a) x op(b), batched. {@code a}: [Ba..., M, K] ([Ba..., K, M] when transA), F32.
     * {@code b}: [Bb..., K, N] ([Bb..., N, K] when transB); F32 in every form, and F16, BF16, Q8_0, Q4_0
     * only as a 2-D weight [N, K] with transB (rows along K, as stored in GGUF). out: [Ba..., M, N], overwritten.
     * Batches: a holds BA matrices, b holds BB, BA % BB == 0, and matrix i of a meets matrix i / (BA/BB) of b.
     * A rank-2 b with !transA treats all rows of a as one [rows, K] matrix.
     */
    void matmul(Tensor a, Tensor b, Tensor out, boolean transA, boolean transB);

    /**
     * outs[i] = x weights[i]^T: the linear layers of one input (Llama's q, k and v; gate and up), each as
     * {@link #matmul} with transB. A backend may stream every weight in one job; by default, one matmul each.
     */
    default void linears(Tensor x, Tensor[] weights, Tensor[] outs) {
        for (int i = 0; i < weights.length; i++) matmul(x, weights[i], outs[i], false, true);
    }

    /** out = a + b, b broadcast by tiling: b's shape is a suffix of a's, element i uses b[i % b.size]. */
    void add(Tensor a, Tensor b, Tensor out);

    /** out = a * b, broadcast as in {@link #add}. */
    void mul(Tensor a, Tensor b, Tensor out);

    /** out = a * s. */
    void scale(Tensor a, float s, Tensor out);

    /** out = x * sigmoid(x). */
    void silu(Tensor x, Tensor out);

    /** out = silu(gate) * up. */
    void swiglu(Tensor gate, Tensor up, Tensor out);

    /** out = x / sqrt(mean(x^2 over the last dim) + eps). */
    void rmsNorm(Tensor x, float eps, Tensor out);

    /**
     * out = x / sqrt(mean(x^2 over the last dim) + eps) * weight, weight F32 [C] for x [rows, C]: Llama's norm and its
     * weight, which a backend may apply in one pass over the row; by default {@link #rmsNorm}, then {@link #mul} in place.
     */
    default void weightedRmsNorm(Tensor x, Tensor weight, float eps, Tensor out) {
        rmsNorm(x, eps, out);
        mul(out, weight, out);
    }

    /**
     * Rotary embedding of x [R, H, D] at positions pos (I32 [R]): in each head the first nRot dims are rotated
     * in pairs by angle pos * freqBase^(-2i/nRot), i in [0, nRot/2); the rest pass through.
     * NORMAL pairs (2i, 2i+1), NEOX pairs (i, i + nRot/2). {@code inverse} rotates by the negated angle
     * (the backward rule).
     */
    void rope(Tensor x, Tensor pos, int nRot, float freqBase, RopeMode mode, boolean inverse, Tensor out);

    /**
     * out = softmax(scale * x) along the last dim of x [..., R, C]. When {@code causal}, entry (r, c) of each
     * R x C matrix is masked (probability 0) where c > r + offset.
     */
    void softmax(Tensor x, float scale, boolean causal, int offset, Tensor out);

    /**
     * Causal attention against a KV cache. q [T, Hq, D] F32; k, v [S, Hkv, D] F32 or F16, each row of D contiguous
     * but positions {@code k.stride(0)} and heads {@code k.stride(1)} elements apart (v has k's strides): a
     * position-major cache is contiguous, a head-major one [Hkv, S, D] comes as its permuted view. Query t sits at
     * position pos0 + t and sees keys s <= pos0 + t. Hq % Hkv == 0 and query head h uses KV head h / (Hq / Hkv).
     * out [T, Hq, D] = softmax(scale * q k^T) v.
     */
    void attention(Tensor q, Tensor k, Tensor v, float scale, int pos0, Tensor out);

    /** out[i] = table[ids[i]] as F32. table [V, C] of any floating dtype (quantized included), ids I32 [N]. */
    void getRows(Tensor table, Tensor ids, Tensor out);

    /** dst[ids[i]] = src[i]; with repeated ids the last row wins. src [N, C] F32, ids I32 [N], dst [R, C] F32 or F16 (the KV cache write). */
    void setRows(Tensor src, Tensor ids, Tensor dst);

    /** dst[ids[i]] += src[i] (the backward of getRows). src [N, C] F32, dst [V, C] F32. */
    void addRows(Tensor src, Tensor ids, Tensor dst);

    /**
     * Element-wise copy with conversion between F32, F16 and BF16 (or I32 to I32). src may be any strided view;
     * dst is contiguous with src's shape.
     */
    void copy(Tensor src, Tensor dst);

    /**
     * {@link #copy} into a dst that may itself be a strided view (a head-major KV cache's new positions). By default
     * split along dst's first dimension longer than 1 until each piece is contiguous, one copy each; a backend that
     * writes through strides does it in one.
     */
    default void copyToView(Tensor src, Tensor dst) {
        if (dst.isContiguous()) {
            copy(src, dst);
            return;
        }
        int d = 0;
        while (dst.dim(d) == 1) d++;
        for (int i = 0; i < dst.dim(d); i++) copyToView(src.narrow(d, i, 1), dst.narrow(d, i, 1));
    }

    /** out[r] = op over the last dim of x [rows, C]. */
    void reduce(Tensor x, ReduceOp op, Tensor out);

    /** out[c] = sum over every leading index of x [..., C] (the backward of a broadcast add). */
    void sumRows(Tensor x, Tensor out);

    /** out[r, c] = src[r] * s for out [rows, C], src [rows] (the backward of sum and mean). */
    void expandRows(Tensor src, float s, Tensor out);

    /** out[n] = -log softmax(logits[n])[targets[n]]. logits [N, V], targets I32 [N]. */
    void crossEntropy(Tensor logits, Tensor targets, Tensor out);

    /**
     * Per-row KL divergence at temperature T between p = softmax(teacher / T) and q = softmax(student / T):
     * KL(p || q), or KL(q || p) when {@code reverse}. teacher, student [N, V]; out [N].
     */
    void klDiv(Tensor teacher, Tensor student, float temperature, boolean reverse, Tensor out);

    // ---- backward rules ----

    /** dx = dy * d silu(x) / dx. */
    void siluBackward(Tensor x, Tensor dy, Tensor dx);

    /** dGate = dy * up * silu'(gate), dUp = dy * silu(gate). */
    void swigluBackward(Tensor gate, Tensor up, Tensor dy, Tensor dGate, Tensor dUp);

    /** dx of {@link #rmsNorm} given x and dy. */
    void rmsNormBackward(Tensor x, Tensor dy, float eps, Tensor dx);

    /** dx = scale * y * (dy - sum(dy * y)) per row, y being the softmax output. */
    void softmaxBackward(Tensor y, Tensor dy, float scale, Tensor dx);

    /** dLogits[n] = (softmax(logits[n]) - onehot(targets[n])) * dLoss[n]. */
    void crossEntropyBackward(Tensor logits, Tensor targets, Tensor dLoss, Tensor dLogits);

    /** dStudent[n] = dLoss[n] * d klDiv[n] / d student[n] (same arguments as {@link #klDiv}). */
    void klDivBackward(Tensor teacher, Tensor student, float temperature, boolean reverse, Tensor dLoss, Tensor dStudent);

    /**
     * In-place AdamW step (decoupled weight decay, bias correction) at step {@code step} (1-based):
     * m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr (m/(1-b1^t) / (sqrt(v/(1-b2^t)) + eps) + wd p).
     */
    void adamw(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
               float weightDecay, int step);

    /** Sets every element of t (F32, F16, BF16 or I32) to value. */
    void fill(Tensor t, float value);
}
