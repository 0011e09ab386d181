package dev.pocketlm.cpu;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Kernels;
import dev.pocketlm.tensor.Ops;
import dev.pocketlm.tensor.RopeMode;
import dev.pocketlm.tensor.Scope;
import dev.pocketlm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.function.Function;

import static dev.pocketlm.cpu.FiniteDifferences.assertGradient;
import static dev.pocketlm.cpu.FiniteDifferences.gradient;
import static dev.pocketlm.cpu.FiniteDifferences.uniform;
import static dev.pocketlm.cpu.FiniteDifferences.weightedSum;

/**
 * Every backward kernel against finite differences of its forward kernel: for a random output weighting dy,
 * the kernel's dx must be the gradient of sum(dy * forward(x)).
 */
class ReferenceBackwardTest {
    private static final Backend BE = new CpuProvider().open(CpuProvider.REFERENCE);
    private static final Kernels K = BE.kernels();

    /** Runs f in its own scope and returns its output's values. */
    private static float[] values(Function<Backend, Tensor> f) {
        try (Scope ignored = BE.scope()) {
            return f.apply(BE).toFloats();
        }
    }

    @Test void silu() {
        int n = 9;
        float[] x = scaled(uniform(1, n), 4), dy = uniform(2, n);
        float[] dx = values(be -> {
            Tensor out = be.empty(DType.F32, n);
            K.siluBackward(be.fromFloats(x, n), be.fromFloats(dy, n), out);
            return out;
        });
        assertGradient("silu", gradient(x, v -> weightedSum(dy, values(be -> Ops.silu(be.fromFloats(v, n))))), dx);
    }

    @Test void swiglu() {
        int n = 9;
        float[] gate = scaled(uniform(3, n), 4), up = uniform(4, n), dy = uniform(5, n);
        float[] dGate = new float[n], dUp = new float[n];
        try (Scope ignored = BE.scope()) {
            Tensor dg = BE.empty(DType.F32, n), du = BE.empty(DType.F32, n);
            K.swigluBackward(BE.fromFloats(gate, n), BE.fromFloats(up, n), BE.fromFloats(dy, n), dg, du);
            System.arraycopy(dg.toFloats(), 0, dGate, 0, n);
            System.arraycopy(du.toFloats(), 0, dUp, 0, n);
        }
        assertGradient("swiglu gate", gradient(gate, g -> weightedSum(dy,
                values(be -> Ops.swiglu(be.fromFloats(g, n), be.fromFloats(up, n))))), dGate);
        assertGradient("swiglu up", gradient(up, u -> weightedSum(dy,
                values(be -> Ops.swiglu(be.fromFloats(gate, n), be.fromFloats(u, n))))), dUp);
    }

    @Test void rmsNorm() {
        int rows = 3, cols = 5;
        float eps = 1e-5f;
        float[] x = uniform(6, rows * cols), dy = uniform(7, rows * cols);
        float[] dx = values(be -> {
            Tensor out = be.empty(DType.F32, rows, cols);
            K.rmsNormBackward(be.fromFloats(x, rows, cols), be.fromFloats(dy, rows, cols), eps, out);
            return out;
        });
        assertGradient("rms_norm", gradient(x, v -> weightedSum(dy,
                values(be -> Ops.rmsNorm(be.fromFloats(v, rows, cols), eps)))), dx);
    }

    @ParameterizedTest
    @CsvSource({"0.7, false, 0", "1.3, true, 0", "1.0, true, 1"})
    void softmax(float scale, boolean causal, int offset) {
        int[] dims = {2, 3, 4};
        int n = 24;
        float[] x = scaled(uniform(8, n), 2), dy = uniform(9, n);
        float[] dx = values(be -> {
            Tensor y = Ops.softmax(be.fromFloats(x, dims), scale, causal, offset);
            Tensor out = be.empty(DType.F32, dims);
            K.softmaxBackward(y, be.fromFloats(dy, dims), scale, out);
            return out;
        });
        assertGradient("softmax", gradient(x, v -> weightedSum(dy,
                values(be -> Ops.softmax(be.fromFloats(v, dims), scale, causal, offset)))), dx);
    }

    @ParameterizedTest
    @EnumSource(RopeMode.class)
    void ropeInverseIsTheBackward(RopeMode mode) {
        int[] dims = {2, 2, 6};
        int n = 24;
        float[] x = uniform(10, n), dy = uniform(11, n);
        int[] positions = {3, 40};
        float[] dx = values(be -> {
            Tensor out = be.empty(DType.F32, dims);
            K.rope(be.fromFloats(dy, dims), be.fromInts(positions, 2), 4, 100f, mode, true, out);
            return out;
        });
        assertGradient("rope " + mode, gradient(x, v -> weightedSum(dy,
                values(be -> Ops.rope(be.fromFloats(v, dims), be.fromInts(positions, 2), 4, 100f, mode)))), dx);
    }

    @Test void crossEntropy() {
        int rows = 3, vocab = 5;
        float[] logits = scaled(uniform(12, rows * vocab), 3), dLoss = uniform(13, rows);
        int[] targets = {4, 0, 2};
        float[] dx = values(be -> {
            Tensor out = be.empty(DType.F32, rows, vocab);
            K.crossEntropyBackward(be.fromFloats(logits, rows, vocab), be.fromInts(targets, rows), be.fromFloats(dLoss, rows), out);
            return out;
        });
        assertGradient("cross_entropy", gradient(logits, v -> weightedSum(dLoss,
                values(be -> Ops.crossEntropy(be.fromFloats(v, rows, vocab), be.fromInts(targets, rows))))), dx);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void klDiv(boolean reverse) {
        int rows = 3, vocab = 5;
        float temperature = 2;
        float[] teacher = scaled(uniform(14, rows * vocab), 4), student = scaled(uniform(15, rows * vocab), 4);
        float[] dLoss = uniform(16, rows);
        float[] ds = values(be -> {
            Tensor out = be.empty(DType.F32, rows, vocab);
            K.klDivBackward(be.fromFloats(teacher, rows, vocab), be.fromFloats(student, rows, vocab), temperature, reverse,
                    be.fromFloats(dLoss, rows), out);
            return out;
        });
        assertGradient("kl_div reverse=" + reverse, gradient(student, v -> weightedSum(dLoss, values(be ->
                Ops.klDiv(be.fromFloats(teacher, rows, vocab), be.fromFloats(v, rows, vocab), temperature, reverse)))), ds);
    }

    private static float[] scaled(float[] v, float s) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i] * s;
        return out;
    }
}
