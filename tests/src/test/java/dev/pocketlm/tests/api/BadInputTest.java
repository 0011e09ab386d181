package dev.pocketlm.tests.api;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Backends;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Ops;
import dev.pocketlm.tensor.RopeMode;
import dev.pocketlm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad operands fail at the call with the op, the operands' shapes and dtypes, and what was expected. */
class BadInputTest {

    static void failsMentioning(Executable call, String... parts) {
        RuntimeException e = assertThrows(RuntimeException.class, call);
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should mention '" + p + "'");
    }

    @Test
    void wrongShapesNameTheOpAndOperands() {
        try (Backend be = Backends.open("cpu")) {
            Tensor a = be.zeros(DType.F32, 3, 5), b = be.zeros(DType.F32, 4, 6);
            failsMentioning(() -> Ops.matmul(a, b, false, false), "matmul", "inner dimensions differ (5 vs 4)", "[3, 5] F32", "[4, 6] F32");
            failsMentioning(() -> Ops.add(a, b), "add", "[3, 5]", "[4, 6]", "suffix");
            failsMentioning(() -> Ops.rope(a, be.fromInts(new int[]{0, 1, 2}, 3), 4, 1e4f, RopeMode.NORMAL), "rope", "[rows, heads, headDim]");
            Tensor w = be.zeros(DType.F32, 7, 5), wide = be.zeros(DType.F32, 2, 6);
            failsMentioning(() -> Ops.linears(a, w, wide), "matmul", "inner dimensions differ (5 vs 6)", "[3, 5] F32", "[2, 6] F32");
            failsMentioning(() -> Ops.rmsNorm(a, be.zeros(DType.F32, 4), 1e-5f), "rms_norm", "weight must be F32 [5]", "[4] F32");
        }
    }

    @Test
    void wrongDTypesNameExpectedAndFound() {
        try (Backend be = Backends.open("cpu")) {
            Tensor q = be.fromFloats(DType.Q8_0, new float[64], 2, 32), x = be.zeros(DType.F32, 2, 32);
            failsMentioning(() -> Ops.silu(q), "silu", "expected F32", "Q8_0");
            failsMentioning(() -> Ops.matmul(x, q, false, false), "matmul", "Q8_0 weights are supported only as a 2-D [N, K] matrix with transB");
            failsMentioning(() -> Ops.crossEntropy(x, x.reshape(64)), "cross_entropy", "expected I32");
            failsMentioning(() -> Ops.assign(x, q), "assign", "cannot convert Q8_0 to F32");
            failsMentioning(() -> Ops.assign(x.slice(0, 1), x), "assign", "same shape", "[1, 32]", "[2, 32]");
        }
    }

    @Test
    void tensorsOfTwoBackendsAreRefusedNamingBoth() {
        try (Backend fast = Backends.open("cpu"); Backend ref = Backends.open("cpu:reference")) {
            Tensor a = fast.zeros(DType.F32, 2, 2), b = ref.zeros(DType.F32, 2, 2);
            failsMentioning(() -> Ops.add(a, b), "add", "different backends", "on cpu", "on cpu:reference");
        }
    }

    @Test
    void aClosedTensorIsRefused() {
        try (Backend be = Backends.open("cpu")) {
            Tensor a = be.zeros(DType.F32, 2, 2);
            a.close();
            failsMentioning(() -> Ops.scale(a, 2f), "scale", "closed");
        }
    }
}
