package dev.pocketlm.model.llama;

import dev.pocketlm.tensor.Ops;
import dev.pocketlm.tensor.Tensor;

import java.util.function.Consumer;

/** The pieces of a Llama block shared by inference and training (all differentiable through {@link Ops}). */
public final class LlamaBlocks {
    private LlamaBlocks() {}

    /** RMSNorm times its weight. */
    public static Tensor norm(Tensor x, Tensor weight, LlamaConfig c) {
        return Ops.rmsNorm(x, weight, c.rmsEps());
    }

    /** Projected rows [R, heads * headDim] as rotated heads [R, heads, headDim]. */
    public static Tensor rotatedHeads(Tensor projected, int heads, Tensor positions, LlamaConfig c) {
        Tensor h = Ops.reshape(projected, projected.dim(0), heads, c.headDim());
        return Ops.rope(h, positions, c.ropeDim(), c.ropeBase(), c.ropeMode());
    }

    public static float attentionScale(LlamaConfig c) {
        return (float) (1 / Math.sqrt(c.headDim()));
    }

    /**
     * x + W_down (silu(W_gate n) * W_up n), n = norm(x): the residual feed-forward half of a block. Each intermediate
     * goes to {@code dead} once nothing here reads it again (inference frees them; training keeps them for backward).
     */
    public static Tensor feedForward(Tensor x, LayerWeights w, LlamaConfig c, Consumer<Tensor> dead) {
        Tensor n = norm(x, w.ffnNorm(), c);
        Tensor[] gateUp = Ops.linears(n, w.wGate(), w.wUp());
        dead.accept(n);
        Tensor gated = Ops.swiglu(gateUp[0], gateUp[1]);
        dead.accept(gateUp[0]);
        dead.accept(gateUp[1]);
        Tensor down = Ops.linear(gated, w.wDown());
        dead.accept(gated);
        Tensor out = Ops.add(x, down);
        dead.accept(down);
        return out;
    }

    /** Final norm and output projection: [R, vocab]. */
    public static Tensor logits(Tensor x, LlamaWeights w, LlamaConfig c) {
        return Ops.linear(norm(x, w.outputNorm(), c), w.output());
    }
}
