package dev.pocketlm.cpu;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Ops;
import dev.pocketlm.tensor.Scope;
import dev.pocketlm.tensor.Shape;
import dev.pocketlm.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReferenceMatmulTest {
    private static final Backend BE = new CpuProvider().open(CpuProvider.REFERENCE);
    // [[1,2,3],[4,5,6]] x [[7,8],[9,10],[11,12]] = [[58,64],[139,154]]
    private static final float[] A = {1, 2, 3, 4, 5, 6}, A_T = {1, 4, 2, 5, 3, 6};
    private static final float[] B = {7, 8, 9, 10, 11, 12}, B_T = {7, 9, 11, 8, 10, 12};
    private static final float[] PRODUCT = {58, 64, 139, 154};

    private Scope scope;

    @BeforeEach void open() { scope = BE.scope(); }

    @AfterEach void close() { scope.close(); }

    @Test void plain() {
        assertArrayEquals(PRODUCT, Ops.matmul(BE.fromFloats(A, 2, 3), BE.fromFloats(B, 3, 2), false, false).toFloats());
    }

    @Test void transposedA() {
        assertArrayEquals(PRODUCT, Ops.matmul(BE.fromFloats(A_T, 3, 2), BE.fromFloats(B, 3, 2), true, false).toFloats());
    }

    @Test void transposedB() {
        assertArrayEquals(PRODUCT, Ops.matmul(BE.fromFloats(A, 2, 3), BE.fromFloats(B_T, 2, 3), false, true).toFloats());
    }

    @Test void bothTransposed() {
        assertArrayEquals(PRODUCT, Ops.matmul(BE.fromFloats(A_T, 3, 2), BE.fromFloats(B_T, 2, 3), true, true).toFloats());
    }

    @Test void batchesBroadcastConsecutiveMatricesOfAToOneOfB() {
        // a: four 1x2 matrices; b: two 2x1 matrices; a's matrices 0,1 meet b's 0 = [1,2]^T, 2,3 meet b's 1 = [3,4]^T
        Tensor a = BE.fromFloats(new float[]{1, 0, 0, 1, 1, 1, 2, -1}, 4, 1, 2);
        Tensor b = BE.fromFloats(new float[]{1, 2, 3, 4}, 2, 2, 1);
        Tensor out = Ops.matmul(a, b, false, false);
        assertEquals(3, out.rank());
        assertArrayEquals(new float[]{1, 2, 7, 2}, out.toFloats());
    }

    @Test void rankTwoBMultipliesEveryRowOfA() {
        Tensor a = BE.fromFloats(new float[]{1, 2, 3, 4, 5, 6, 0, 0, 1, -1, 0, 0}, 2, 2, 3);
        Tensor out = Ops.matmul(a, BE.fromFloats(B, 3, 2), false, false);
        assertArrayEquals(new float[]{58, 64, 139, 154, 11, 12, -7, -8}, out.toFloats());
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "BF16", "Q8_0", "Q4_0"})
    void encodedWeightsMatchTheirDecodedValues(DType dtype) {
        int rows = 3, n = 4, k = 64;
        float[] x = FiniteDifferences.uniform(1, rows * k);
        Tensor w = BE.fromFloats(dtype, FiniteDifferences.uniform(2, n * k), n, k);
        float[] decoded = w.toFloats();
        float[] out = Ops.linear(BE.fromFloats(x, rows, k), w).toFloats();
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) {
                double expected = 0;
                for (int c = 0; c < k; c++) expected += (double) x[r * k + c] * decoded[j * k + c];
                assertEquals(expected, out[r * n + j], 1e-5, dtype + " out[" + r + ", " + j + "]");
            }
        }
    }

    @Test void weightsMappedInAConfinedArenaAreReadOnTheCallingThreadOnly() {
        int rows = 256, n = 64, k = 256;
        Tensor x = BE.fromFloats(FiniteDifferences.uniform(3, rows * k), rows, k);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = arena.allocate(DType.Q8_0.bytes(n * k));
            DType.Q8_0.codec().encode(FiniteDifferences.uniform(4, n * k), 0, bytes, 0, n * k);
            float[] fromCopy = Ops.linear(x, BE.upload(DType.Q8_0, Shape.of(n, k), bytes)).toFloats();
            assertArrayEquals(fromCopy, Ops.linear(x, BE.map(DType.Q8_0, Shape.of(n, k), bytes)).toFloats());
        }
    }

    @Test void quantizedWeightWithoutTransBIsUnsupported() {
        Tensor a = BE.fromFloats(new float[64], 1, 64);
        Tensor w = BE.fromFloats(DType.Q8_0, new float[64 * 32], 64, 32);
        Tensor out = BE.empty(DType.F32, 1, 32);
        var e = assertThrows(UnsupportedOperationException.class, () -> BE.kernels().matmul(a, w, out, false, false));
        assertTrue(e.getMessage().contains("matmul") && e.getMessage().contains("Q8_0") && e.getMessage().contains(BE.name()),
                e.getMessage());
    }
}
