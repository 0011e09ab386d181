package dev.pocketlm.cpu;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Ops;
import dev.pocketlm.tensor.RopeMode;
import dev.pocketlm.tensor.Scope;
import dev.pocketlm.tensor.Tape;
import dev.pocketlm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.function.Function;

import static dev.pocketlm.cpu.FiniteDifferences.assertGradient;
import static dev.pocketlm.cpu.FiniteDifferences.gradient;
import static dev.pocketlm.cpu.FiniteDifferences.uniform;

/** The front-end's backward rules (Ops + Tape) running on the reference kernels, against finite differences. */
class ReferenceAutogradTest {
    private static final Backend BE = new CpuProvider().open(CpuProvider.REFERENCE);

    /** A scalar loss of some parameter tensors, built with Ops. */
    @FunctionalInterface
    private interface Loss {
        Tensor of(Tensor[] params);
    }

    /** Checks the tape's gradient of every parameter against central differences of the loss. */
    private static void checkGradients(String what, Loss loss, float[][] values, int[][] shapes) {
        float[][] analytic = new float[values.length][];
        try (Scope ignored = BE.scope(); Tape tape = Tape.record()) {
            Tensor[] params = new Tensor[values.length];
            for (int i = 0; i < values.length; i++) params[i] = BE.fromFloats(values[i], shapes[i]).requireGrad();
            tape.backward(loss.of(params));
            for (int i = 0; i < values.length; i++) {
                analytic[i] = params[i].grad().toFloats();
                params[i].zeroGrad();
            }
        }
        for (int p = 0; p < values.length; p++) {
            int which = p;
            Function<float[], Double> perturbed = v -> {
                try (Scope ignored = BE.scope()) {
                    Tensor[] params = new Tensor[values.length];
                    for (int i = 0; i < values.length; i++) params[i] = BE.fromFloats(i == which ? v : values[i], shapes[i]);
                    return (double) loss.of(params).item();
                }
            };
            assertGradient(what + " d/dparam" + p, gradient(values[p], perturbed::apply), analytic[p]);
        }
    }

    @Test void meanCrossEntropyOfALinearLayer() {
        int rows = 4, in = 6, out = 5;
        int[] targets = {0, 4, 2, 2};
        checkGradients("cross_entropy(linear)", p -> Ops.mean(Ops.crossEntropy(Ops.linear(p[0], p[1]), BE.fromInts(targets, rows))),
                new float[][]{uniform(1, rows * in), uniform(2, out * in)}, new int[][]{{rows, in}, {out, in}});
    }

    @Test void linearsOfOneInputRecordEachLinear() {
        // Ops.linears under a tape: x's gradient sums both layers' contributions
        int rows = 3, in = 6;
        float[] w0 = uniform(10, rows * 5), w1 = uniform(14, rows * 2);
        checkGradients("linears", p -> {
            Tensor[] outs = Ops.linears(p[0], p[1], p[2]);
            return Ops.add(Ops.sum(Ops.mul(outs[0], BE.fromFloats(w0, rows, 5))), Ops.sum(Ops.mul(outs[1], BE.fromFloats(w1, rows, 2))));
        }, new float[][]{uniform(11, rows * in), uniform(12, 5 * in), uniform(13, 2 * in)}, new int[][]{{rows, in}, {5, in}, {2, in}});
    }

    @Test void groupedQueryAttentionWithBroadcastKeysAndValues() {
        // 4 query heads share 2 KV heads: batched matmuls with BA/BB = 2, so b's gradient sums pairs of heads
        int heads = 4, kvHeads = 2, queries = 3, keys = 6, headDim = 5;
        float[] weights = uniform(3, heads * queries * headDim);
        checkGradients("attention", p -> {
            Tensor scores = Ops.matmul(p[0], p[1], false, true);
            Tensor probs = Ops.softmax(scores, 0.5f, true, keys - queries);
            Tensor mixed = Ops.matmul(probs, p[2], false, false);
            return Ops.sum(Ops.mul(mixed, BE.fromFloats(weights, heads, queries, headDim)));
        }, new float[][]{uniform(4, heads * queries * headDim), uniform(5, kvHeads * keys * headDim), uniform(6, kvHeads * keys * headDim)},
                new int[][]{{heads, queries, headDim}, {kvHeads, keys, headDim}, {kvHeads, keys, headDim}});
    }

    @Test void transposedBatchedMatmulWithoutBroadcast() {
        // both transpose forms on 2 batches of equal count (BA = BB)
        float[] weights = uniform(7, 2 * 4 * 3);
        checkGradients("matmul(transA, transB)", p -> Ops.sum(Ops.mul(Ops.matmul(p[0], p[1], true, true), BE.fromFloats(weights, 2, 4, 3))),
                new float[][]{uniform(8, 2 * 5 * 4), uniform(9, 2 * 3 * 5)}, new int[][]{{2, 5, 4}, {2, 3, 5}});
    }

    @Test void aSmallTransformerBlockWithDistillation() {
        // embedding -> rmsNorm * gain -> rope -> swiglu FFN -> residual -> logits -> cross-entropy + KL to a teacher
        int vocab = 5, dim = 8, hidden = 6, tokens = 3;
        int[] ids = {1, 4, 1}, positions = {0, 1, 2}, targets = {4, 1, 3};
        float[] teacher = uniform(10, tokens * vocab);
        Loss block = p -> {
            Tensor embedded = Ops.getRows(p[0], BE.fromInts(ids, tokens));
            Tensor normed = Ops.mul(Ops.rmsNorm(embedded, 1e-5f), p[1]);
            Tensor rotated = Ops.reshape(Ops.rope(Ops.reshape(normed, tokens, 2, dim / 2), BE.fromInts(positions, tokens),
                    dim / 2, 10000f, RopeMode.NEOX), tokens, dim);
            Tensor ffn = Ops.linear(Ops.swiglu(Ops.linear(rotated, p[2]), Ops.linear(rotated, p[3])), p[4]);
            Tensor logits = Ops.linear(Ops.silu(Ops.add(embedded, ffn)), p[5]);
            Tensor ce = Ops.mean(Ops.crossEntropy(logits, BE.fromInts(targets, tokens)));
            Tensor kl = Ops.mean(Ops.klDiv(BE.fromFloats(teacher, tokens, vocab), logits, 2f, true));
            return Ops.add(ce, Ops.scale(kl, 0.5f));
        };
        checkGradients("block", block,
                new float[][]{uniform(11, vocab * dim), uniform(12, dim), uniform(13, hidden * dim), uniform(14, hidden * dim),
                        uniform(15, dim * hidden), uniform(16, vocab * dim)},
                new int[][]{{vocab, dim}, {dim}, {hidden, dim}, {hidden, dim}, {dim, hidden}, {vocab, dim}});
    }
}
