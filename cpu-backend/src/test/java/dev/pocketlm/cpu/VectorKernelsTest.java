package dev.pocketlm.cpu;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Ops;
import dev.pocketlm.tensor.RopeMode;
import dev.pocketlm.tensor.Shape;
import dev.pocketlm.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Every op VectorKernels accelerates, against ReferenceKernels on random inputs, under the conformance bounds. */
class VectorKernelsTest {
    private static final double ELEMENTWISE = 1e-7, MATMUL = 5e-4, SAME_WEIGHTS = 1e-9;

    private static Backend fast, reference;
    private final Random random = new Random(20261129);

    @BeforeAll static void open() {
        CpuProvider provider = new CpuProvider();
        fast = provider.open("");
        reference = provider.open(CpuProvider.REFERENCE);
    }

    @AfterAll static void close() {
        fast.close();
        reference.close();
    }

    @Test void cpuIsTheFastPathAndReferenceTheOracle() {
        assertTrue(fast.kernels() instanceof VectorKernels, "cpu opens " + fast.kernels().getClass());
        assertTrue(reference.kernels() instanceof ReferenceKernels, "cpu:reference opens " + reference.kernels().getClass());
    }

    // ---- matmul ----

    @ParameterizedTest(name = "F32 {0}x{1}x{2} transA={3} transB={4}")
    @CsvSource({
            "1, 1, 1, false, false", "7, 37, 29, false, false", "7, 37, 29, true, false", "7, 37, 29, false, true",
            "7, 37, 29, true, true", "67, 300, 270, false, false", "67, 300, 270, true, true", "13, 513, 33, false, true",
            "100, 64, 97, true, false"})
    void matmulF32AllTransForms(int m, int k, int n, boolean transA, boolean transB) {
        Operand a = operand(DType.F32, transA ? new int[]{k, m} : new int[]{m, k});
        Operand b = operand(DType.F32, transB ? new int[]{n, k} : new int[]{k, n});
        compareMatmul(a, b, transA, transB, m, n, new int[0]);
    }

    @ParameterizedTest(name = "F32 batched: a {0} matrices, b {1}, transA={2} transB={3}")
    @CsvSource({"6, 3, false, false", "6, 3, true, true", "4, 1, false, true", "4, 4, true, false"})
    void matmulF32BatchedBroadcast(int batchesA, int batchesB, boolean transA, boolean transB) {
        int m = 9, k = 41, n = 19;
        Operand a = operand(DType.F32, transA ? new int[]{batchesA, k, m} : new int[]{batchesA, m, k});
        Operand b = operand(DType.F32, transB ? new int[]{batchesB, n, k} : new int[]{batchesB, k, n});
        compareMatmul(a, b, transA, transB, m, n, new int[]{batchesA});
    }

    @ParameterizedTest(name = "F32 rank-2 b shared by a [2, {0}, 45], transA={1}")
    @CsvSource({"5, false", "5, true", "2, false"})
    void matmulRank2WeightSharedByEveryRow(int m, boolean transA) {
        int k = 45, n = 23;
        Operand a = operand(DType.F32, transA ? new int[]{2, k, m} : new int[]{2, m, k});
        Operand b = operand(DType.F32, new int[]{n, k});
        compareMatmul(a, b, transA, true, m, n, new int[]{2});
    }

    @ParameterizedTest(name = "{0} weight [{3}, {2}] x {1} rows")
    @CsvSource({
            "Q8_0, 1, 96, 33", "Q8_0, 3, 288, 70", "Q8_0, 9, 320, 45", "Q8_0, 64, 256, 300",
            "Q4_0, 1, 96, 33", "Q4_0, 3, 288, 70", "Q4_0, 9, 320, 45", "Q4_0, 64, 256, 300",
            "F16, 1, 37, 33", "F16, 4, 300, 70", "F16, 9, 37, 45", "F16, 64, 270, 300",
            "BF16, 1, 37, 33", "BF16, 4, 300, 70", "BF16, 9, 37, 45", "BF16, 64, 270, 300",
            "F32, 1, 37, 33", "F32, 2, 1000, 70"})
    void matmulWeightRows(DType type, int rows, int k, int n) {
        Operand a = operand(DType.F32, new int[]{rows, k});
        Operand w = operand(type, new int[]{n, k});
        compareMatmul(a, w, false, true, rows, n, new int[0]);
    }

    /**
     * K = 512 is one group of 16 blocks on AVX-512, 2048 one column panel; 2624 is two panels and a tail of 2 blocks;
     * float weights are copied into column panels of 2048. Past 4 rows the weight rows are the GEMM's broadcast operand,
     * 128 activation rows per pass (130 and 140 rows take two passes).
     */
    @ParameterizedTest(name = "read-only {0} weight [{3}, {2}] x {1} rows")
    @CsvSource({
            "Q8_0, 1, 512, 33", "Q8_0, 3, 576, 70", "Q8_0, 4, 1088, 19", "Q8_0, 9, 576, 45", "Q8_0, 64, 1536, 70",
            "Q4_0, 1, 512, 33", "Q4_0, 3, 576, 70", "Q4_0, 4, 1088, 19", "Q4_0, 9, 576, 45", "Q4_0, 64, 1536, 70",
            "Q8_0, 3, 2624, 19", "Q4_0, 1, 2624, 33", "Q4_0, 9, 2624, 21",
            "Q4_0, 2, 96, 33", "F16, 2, 300, 33", "F16, 1, 2100, 33", "BF16, 3, 4200, 19", "F16, 9, 4200, 21", "F32, 2, 2100, 19",
            "Q4_0, 130, 576, 13", "F16, 140, 2100, 7", "F32, 9, 2100, 11", "Q4_0, 1, 2048, 301", "Q8_0, 2, 2624, 257",
            "Q8_0, 130, 576, 13", "Q8_0, 64, 960, 9", "Q4_0, 64, 960, 9"})
    void matmulReadOnlyWeightRows(DType type, int rows, int k, int n) {
        Operand a = operand(DType.F32, new int[]{rows, k});
        Operand w = operand(type, new int[]{n, k}).readOnly();
        // the same weights on both sides: only float rounding differs, so the bound is tight, unless the fast path
        // rounds the activations to 8 bits (checked exactly by readOnlyQuantizedMatvecMultipliesActivationsRoundedTo8Bits)
        compare(eightBitActivations(type, rows) ? MATMUL : SAME_WEIGHTS, new int[]{rows, n},
                (be, out) -> be.kernels().matmul(a.on(be), w.on(be), out, false, true));
    }

    /**
     * linears of one input by several read-only weights: one job over their rows in sequence when they are packed
     * alike (a chunk then spans matrices of 1600, 256 and 64 rows), one matmul each otherwise (mixed kinds, or a
     * prompt of more rows than a matvec takes). Each output is checked against the reference's matmul. At 576 columns
     * the quantized rows end in a tail, whose row blocks the job's pieces round to (matrices of 577, 190 and 33 rows).
     */
    @ParameterizedTest(name = "linears {0} x {1} rows, [{2}, {3}]")
    @CsvSource({"Q4_0, 1, 2048, '1600,256,64'", "Q8_0, 2, 2048, '1600,256,64'", "F16, 1, 2048, '1600,256,64'",
            "Q4_0+F16, 1, 2048, '1600,256,64'", "Q8_0, 7, 2048, '1600,256,64'",
            "Q4_0, 1, 576, '577,190,33'", "Q8_0, 3, 576, '577,190,33'", "Q4_0, 6, 576, '577,190,33'"})
    void linearsOfOneInput(String types, int rows, int k, String rowCounts) {
        int[] ns = Arrays.stream(rowCounts.split(",")).mapToInt(Integer::parseInt).toArray();
        String[] dtypes = types.split("\\+");
        Operand a = operand(DType.F32, new int[]{rows, k});
        Operand[] ws = new Operand[ns.length];
        for (int i = 0; i < ns.length; i++) ws[i] = operand(DType.valueOf(dtypes[i % dtypes.length]), new int[]{ns[i], k}).readOnly();
        Tensor[] weights = new Tensor[ns.length], outs = new Tensor[ns.length];
        for (int i = 0; i < ns.length; i++) {
            weights[i] = ws[i].on(fast);
            outs[i] = fast.filled(DType.F32, Float.NaN, rows, ns[i]);
        }
        fast.kernels().linears(a.on(fast), weights, outs);
        for (int i = 0; i < ns.length; i++) {
            Tensor expected = reference.filled(DType.F32, Float.NaN, rows, ns[i]);
            reference.kernels().matmul(a.on(reference), ws[i].on(reference), expected, false, true);
            assertBound(eightBitActivations(ws[i].type(), rows) ? MATMUL : SAME_WEIGHTS, outs[i].toFloats(), expected.toFloats());
        }
    }

    /**
     * Weights small enough that their block scales are subnormal halves (Q8_0: max |w| / 127, Q4_0: max |w| / 8),
     * as in TinyLlama-shaped models initialized at std 0.02 / sqrt(2 layers): the packed kernels widen those scales
     * exactly (an FMA, not a multiply, for speed).
     */
    @ParameterizedTest(name = "read-only {0} [33, 2624] x {1} rows, subnormal scales")
    @CsvSource({"Q8_0, 1", "Q8_0, 64", "Q4_0, 1", "Q4_0, 64"})
    void readOnlyQuantizedWeightsWithSubnormalScales(DType type, int rows) {
        int k = 2624, n = 33;
        Operand a = operand(DType.F32, new int[]{rows, k}), w = operand(type, new int[]{n, k});
        for (int i = 0; i < w.values().length; i++) w.values()[i] *= 2e-4f;
        short firstScale = w.on(reference).download().get(ValueLayout.JAVA_SHORT_UNALIGNED, 0);
        assertTrue(Math.abs(Float.float16ToFloat(firstScale)) < 0x1p-14f, "the first block's scale is a subnormal half");
        Operand weights = w.readOnly();
        compare(eightBitActivations(type, rows) ? MATMUL : SAME_WEIGHTS, new int[]{rows, n},
                (be, out) -> be.kernels().matmul(a.on(be), weights.on(be), out, false, true));
    }

    /**
     * Read-only F16 matvecs multiply activations prescaled by 2^112 ({@link WeightRows#dotF16PrescaledPair}) unless one
     * would overflow: "large" holds activations of 1e5 (not prescaled: the products would be Inf), "subnormal" weights
     * below the smallest normal half, "infinite" an Inf activation (prescaled, it stays Inf: the same Inf and NaN
     * outputs as the reference).
     */
    @ParameterizedTest(name = "read-only F16 [33, 2100] x 2 rows, {0}")
    @CsvSource({"large", "subnormal", "infinite"})
    void readOnlyF16MatvecPrescalesActivationsWhereNoneOverflows(String input) {
        int rows = 2, k = 2100, n = 33;
        Operand a = operand(DType.F32, new int[]{rows, k}), w = operand(DType.F16, new int[]{n, k});
        switch (input) {
            case "large" -> a.values()[k + 7] = 1e5f;
            case "subnormal" -> { for (int i = 0; i < w.values().length; i += 3) w.values()[i] *= 3e-5f; }
            default -> a.values()[5] = Float.POSITIVE_INFINITY;
        }
        Operand weights = w.readOnly();
        Op op = (be, out) -> be.kernels().matmul(a.on(be), weights.on(be), out, false, true);
        if (!input.equals("infinite")) {
            compare(SAME_WEIGHTS, new int[]{rows, n}, op);
            return;
        }
        float[][] results = new float[2][];
        Backend[] backends = {fast, reference};
        for (int i = 0; i < 2; i++) {
            Tensor out = backends[i].filled(DType.F32, 0, rows, n);
            op.run(backends[i], out);
            results[i] = out.toFloats();
        }
        for (int i = 0; i < rows * n; i++) {
            boolean finite = Float.isFinite(results[1][i]);
            assertEquals(finite, i >= n, "row 0 meets the Inf, row 1 does not: element " + i);
            if (!finite) assertEquals(results[1][i], results[0][i], "element " + i);
        }
        float[] finiteRow = java.util.Arrays.copyOfRange(results[0], n, 2 * n);
        assertBound(SAME_WEIGHTS, finiteRow, java.util.Arrays.copyOfRange(results[1], n, 2 * n));
    }

    /**
     * Whether the fast path's matmul of these weights rounds the activations to 8 bits (a packed quantized matvec, or
     * Q4_0's token tiles).
     */
    private static boolean eightBitActivations(DType weights, int rows) {
        return weights == DType.Q4_0 || weights == DType.Q8_0 && rows <= VectorKernels.MATVEC_MAX_ROWS;
    }

    /**
     * Up to {@link VectorKernels#MATVEC_MAX_ROWS} activation rows, read-only Q4_0 and Q8_0 weights take the packed
     * matvec (Q4_0 any number, in tiles of four tokens past that), which quantizes the activations per block of 32 to 8 bits as ggml's Q4_0 x Q8_0 and Q8_0 x Q8_0 dot
     * products do (d = max|x| / 127, q = rint(x / d)) and multiplies in 16-bit lanes. Oracle: that product in doubles
     * from the weight bytes, the blocks past the whole groups of L (the tail, 1 to L - 1 of them) included. "extreme": every
     * quant the smallest or the largest (Q4_0 nibbles 0 and 15, Q8_0 bytes -128 and 127) against full-scale
     * activations of one sign per block, the largest sums a 16-bit lane must hold (Q4_0 16 * 8 * 127, Q8_0 2 * 128 * 127).
     */
    @ParameterizedTest(name = "{0} [{3}, {2}] x {1} rows of 8-bit activations, extreme={4}")
    @CsvSource({"Q4_0, 1, 512, 33, false", "Q4_0, 3, 2624, 19, false", "Q4_0, 2, 2048, 301, false", "Q4_0, 4, 576, 70, false",
            "Q4_0, 1, 1024, 8, true", "Q4_0, 3, 2624, 6, true",
            // fewer weight rows than the kernels take at once (four, each a part of the range apart)
            "Q4_0, 1, 2624, 1, false", "Q4_0, 1, 576, 2, false", "Q4_0, 1, 2624, 3, false", "Q4_0, 2, 576, 5, false",
            "Q4_0, 1, 2624, 6, false",
            // a prompt's token tiles: four tokens and two rows at a time, the last tile and row pair partial
            "Q4_0, 4, 2048, 2, false", "Q4_0, 9, 2624, 131, false", "Q4_0, 6, 576, 3, false", "Q4_0, 7, 1024, 65, true",
            // a long prompt, in passes of 128 tokens
            "Q4_0, 263, 576, 5, false",
            // several column panels and no tail (two whole; three, the last partial): each panel its own quads, claimed by either thread
            "Q4_0, 1, 4096, 130, true", "Q4_0, 1, 5120, 301, false", "Q4_0, 2, 5120, 67, false", "Q4_0, 8, 5120, 9, false",
            "Q8_0, 1, 4096, 130, true", "Q8_0, 1, 5120, 301, false", "Q8_0, 3, 5120, 67, false",
            "Q8_0, 1, 512, 33, false", "Q8_0, 3, 2624, 19, false", "Q8_0, 2, 2048, 301, false", "Q8_0, 4, 576, 70, false",
            "Q8_0, 1, 1024, 8, true", "Q8_0, 3, 2624, 6, true", "Q8_0, 1, 2624, 1, false", "Q8_0, 1, 576, 2, false",
            "Q8_0, 2, 576, 3, false", "Q8_0, 1, 2624, 5, false", "Q8_0, 2, 2624, 6, false",
            // tails of 1, 12, 14 and 15 blocks at 512-bit vectors (whole tail vectors and ones with zero lanes), and no group at all
            "Q4_0, 1, 544, 9, false", "Q4_0, 2, 896, 33, false", "Q4_0, 1, 960, 70, true", "Q4_0, 5, 992, 7, false", "Q4_0, 1, 480, 5, false",
            "Q8_0, 1, 544, 9, false", "Q8_0, 2, 896, 33, false", "Q8_0, 1, 960, 70, true", "Q8_0, 3, 992, 7, false", "Q8_0, 1, 480, 5, false"})
    void readOnlyQuantizedMatvecMultipliesActivationsRoundedTo8Bits(DType type, int rows, int k, int n, boolean extreme) {
        int blocks = k / 32, blockBytes = (int) type.bytes(32);
        byte[] w = new byte[n * blocks * blockBytes];
        for (int b = 0; b < n * blocks; b++) {
            short scale = Float.floatToFloat16(extreme ? 0.5f : 0.01f + 0.1f * random.nextFloat());
            w[blockBytes * b] = (byte) scale;
            w[blockBytes * b + 1] = (byte) (scale >> 8);
            byte smallest = (byte) (type == DType.Q4_0 ? 0x00 : 0x80), largest = (byte) (type == DType.Q4_0 ? 0xFF : 0x7F);
            for (int i = 2; i < blockBytes; i++) {
                w[blockBytes * b + i] = extreme ? (b / blocks % 2 == 0 ? smallest : largest) : (byte) random.nextInt();
            }
        }
        float[] x = new float[rows * k];
        for (int b = 0; b < rows * blocks; b++) {
            float sign = random.nextBoolean() ? 1 : -1;
            for (int e = 0; e < 32; e++) x[32 * b + e] = extreme ? sign : random.nextFloat() * 2 - 1;
        }
        Tensor weights = fast.map(type, Shape.of(n, k), MemorySegment.ofArray(w).asReadOnly());
        Tensor out = fast.filled(DType.F32, Float.NaN, rows, n);
        fast.kernels().matmul(fast.fromFloats(DType.F32, x, rows, k), weights, out, false, true);
        float[] actual = out.toFloats();
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) {
                double expected = 0, magnitude = 0;
                for (int b = 0; b < blocks; b++) {
                    int wb = blockBytes * (j * blocks + b), xb = r * k + 32 * b;
                    double dw = Float.float16ToFloat((short) (w[wb] & 0xFF | w[wb + 1] << 8)), sum = 0, abs = 0;
                    float amax = 0;
                    for (int e = 0; e < 32; e++) amax = Math.max(amax, Math.abs(x[xb + e]));
                    float inverse = amax == 0 ? 0 : 127 / amax;
                    for (int e = 0; e < 32; e++) {
                        int q = type == DType.Q4_0 ? ((e < 16 ? w[wb + 2 + e] : w[wb + 2 + e - 16] >> 4) & 15) - 8 : w[wb + 2 + e];
                        double xe = Math.rint(x[xb + e] * inverse);
                        sum += q * xe;
                        abs += Math.abs(q * xe);
                    }
                    double dx = amax / 127f;
                    expected += dw * dx * sum;
                    magnitude += Math.abs(dw * dx) * abs;
                }
                float got = actual[r * n + j];
                assertTrue(Math.abs(got - expected) <= 1e-5 * magnitude,
                        "row " + r + ", column " + j + ": " + got + ", expected " + expected + " (magnitude " + magnitude + ")");
            }
        }
    }

    @Test void readOnlyQuantizedWeightsArePackedOnceAndWritableOnesNever() {
        Tensor mapped = operand(DType.Q4_0, new int[]{8, 1024}).readOnly().on(fast);
        Tensor writable = operand(DType.Q4_0, new int[]{8, 1024}).on(fast);
        CpuStorage storage = (CpuStorage) mapped.storage();
        PackedWeight first = storage.packedWeight(mapped.byteOffset(), DType.Q4_0, 8, 1024, CpuThreads.shared(), true);
        assertEquals(WeightRows.QUANTIZED && WeightRows.L <= 32, first != null, "packed on a machine with quantized kernels");
        assertTrue(first == storage.packedWeight(mapped.byteOffset(), DType.Q4_0, 8, 1024, CpuThreads.shared(), true), "packed once");
        assertEquals(null, storage.packedWeight(mapped.byteOffset(), DType.Q4_0, 4, 1024, CpuThreads.shared(), true), "another view");
        assertEquals(null, ((CpuStorage) writable.storage()).packedWeight(0, DType.Q4_0, 8, 1024, CpuThreads.shared(), true));
    }

    @Test void readOnlyF16WeightsKeepInfAndNaN() {
        int n = 4, k = 2100;
        float[] w = new float[n * k];
        for (int i = 0; i < w.length; i++) w[i] = 0.001f * (i % 7);
        w[k + 5] = Float.POSITIVE_INFINITY;
        w[2 * k + 2099] = Float.NaN;
        float[] x = new float[k];
        java.util.Arrays.fill(x, 1f);
        Tensor out = fast.empty(DType.F32, 1, n);
        fast.kernels().matmul(fast.fromFloats(x, 1, k), new Operand(DType.F16, new int[]{n, k}, w, true).on(fast), out, false, true);
        float[] y = out.toFloats();
        assertEquals(Float.POSITIVE_INFINITY, y[1], "row with +Inf");
        assertTrue(Float.isNaN(y[2]), "row with NaN: " + y[2]);
        assertTrue(Float.isFinite(y[0]) && Float.isFinite(y[3]), "finite rows: " + y[0] + ", " + y[3]);
    }

    /** Packed Q8_0/Q4_0 convert their scales the short way only when none is Inf or NaN. */
    @ParameterizedTest(name = "read-only {0} weights keep an Inf or NaN scale")
    @CsvSource({"Q4_0", "Q8_0"})
    void readOnlyQuantizedWeightsKeepInfAndNaNScales(DType type) {
        int n = 4, k = 2048;
        float[] w = new float[n * k];
        for (int i = 0; i < w.length; i++) w[i] = 0.01f * (i % 7 + 1);
        MemorySegment bytes = java.lang.foreign.Arena.ofAuto().allocate(type.bytes((long) n * k), 64);
        type.codec().encode(w, 0, bytes, 0, w.length);
        long blockBytes = type.bytes(32);
        bytes.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, type.bytes(k) + 3 * blockBytes, (short) 0x7c00);
        bytes.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, type.bytes(2L * k) + 40 * blockBytes, (short) 0x7e00);
        float[] x = new float[k];
        java.util.Arrays.fill(x, 1f);
        Tensor out = fast.empty(DType.F32, 1, n);
        fast.kernels().matmul(fast.fromFloats(x, 1, k), fast.map(type, Shape.of(n, k), bytes.asReadOnly()), out, false, true);
        float[] y = out.toFloats();
        assertTrue(!Float.isFinite(y[1]) && Float.isNaN(y[2]), "rows with an Inf and a NaN scale: " + y[1] + ", " + y[2]);
        assertTrue(Float.isFinite(y[0]) && Float.isFinite(y[3]), "finite rows: " + y[0] + ", " + y[3]);
    }

    @Test void f16InfOrNaNScanFindsEveryPosition() {
        MemorySegment h = MemorySegment.ofArray(new short[37]);
        assertTrue(!WeightRows.hasInfOrNaN16(h, 0, 37), "zeros");
        for (int at : new int[]{0, 15, 16, 36}) {
            for (short special : new short[]{(short) 0x7c00, (short) 0xfc00, (short) 0x7e01}) {
                MemorySegment m = MemorySegment.ofArray(new short[37]);
                m.setAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT, at, special);
                assertTrue(WeightRows.hasInfOrNaN16(m, 0, 37), "special " + Integer.toHexString(special & 0xffff) + " at " + at);
            }
        }
    }

    /** The finite-only F16 conversion against Float.float16ToFloat for every finite half, one-hot dots picking each. */
    @Test void finiteF16ConversionIsExactForEveryFiniteHalf() {
        int k = 2 * WeightRows.L;
        short[] halves = new short[k];
        float[] x = new float[k];
        for (int first = 0; first < 1 << 16; first += k) {
            for (int i = 0; i < k; i++) halves[i] = (short) ((first + i & 0x7c00) == 0x7c00 ? 0 : first + i);
            MemorySegment w = MemorySegment.ofArray(halves);
            for (int i = 0; i < k; i++) {
                x[i] = 1;
                float want = Float.float16ToFloat(halves[i]), got = WeightRows.dotF16Finite(w, 0, x, 0, k);
                if (Float.floatToIntBits(want) != Float.floatToIntBits(got) && !(want == 0 && got == 0)) {
                    fail("half 0x" + Integer.toHexString(halves[i] & 0xffff) + ": " + got + ", want " + want);
                }
                x[i] = 0;
            }
        }
    }

    /**
     * A run of halves decoded at once against Float.float16ToFloat, bit for bit but for NaN payloads: every finite half (the fast
     * conversion), every half with Inf and NaN among them (the run converted again exactly), and every BF16; each run
     * three longer than a whole number of vectors, for the scalar tail.
     */
    @Test void runOfHalvesDecodesExactly() {
        int n = (1 << 16) + 3;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment halves = arena.allocate(2L * n, 64), floats = arena.allocate(4L * n, 64);
            for (boolean finiteOnly : new boolean[]{true, false}) {
                for (int i = 0; i < n; i++) {
                    short h = (short) (i + 5);
                    halves.setAtIndex(ValueLayout.JAVA_SHORT, i, finiteOnly && (h & 0x7c00) == 0x7c00 ? 0 : h);
                }
                WeightRows.decodeRun16(DType.F16, halves, 0, n, floats, 0);
                for (int i = 0; i < n; i++) {
                    short h = halves.getAtIndex(ValueLayout.JAVA_SHORT, i);
                    float want = Float.float16ToFloat(h), got = floats.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                    String what = "F16 0x" + Integer.toHexString(h & 0xffff) + (finiteOnly ? ", finite run" : ", run with Inf and NaN");
                    // a NaN stays a NaN (Float.float16ToFloat also sets the quiet bit)
                    if (Float.isNaN(want)) assertTrue(Float.isNaN(got), what);
                    else assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), what);
                }
            }
            WeightRows.decodeRun16(DType.BF16, halves, 0, n, floats, 0);
            for (int i = 0; i < n; i++) {
                short h = halves.getAtIndex(ValueLayout.JAVA_SHORT, i);
                assertEquals(h << 16, floats.getAtIndex(ValueLayout.JAVA_INT, i), "BF16 0x" + Integer.toHexString(h & 0xffff));
            }
        }
    }

    @Test void matmulQuantizedWeightUnderBatchedActivations() {
        Operand a = operand(DType.F32, new int[]{3, 5, 64});
        Operand w = operand(DType.Q4_0, new int[]{40, 64});
        compareMatmul(a, w, false, true, 5, 40, new int[]{3});
    }

    private void compareMatmul(Operand a, Operand b, boolean transA, boolean transB, int m, int n, int[] batch) {
        int[] outDims = new int[batch.length + 2];
        System.arraycopy(batch, 0, outDims, 0, batch.length);
        outDims[batch.length] = m;
        outDims[batch.length + 1] = n;
        compare(MATMUL, outDims, (be, out) -> be.kernels().matmul(a.on(be), b.on(be), out, transA, transB));
    }

    // ---- attention ----

    @ParameterizedTest(name = "attention {0} KV, T={1}, Hq={2}, Hkv={3}, D={4}, pos0={5}")
    @CsvSource({"F32, 3, 4, 2, 20, 5", "F16, 3, 4, 2, 20, 5", "F32, 1, 8, 2, 64, 40", "F16, 1, 8, 2, 64, 40",
            "F32, 17, 4, 4, 16, 0", "F16, 5, 6, 1, 33, 2",
            // above the parallel threshold: TinyLlama's decode step, a head of two 4L slices and one of 4L + L at 16 lanes
            "F32, 1, 32, 4, 64, 95", "F16, 2, 8, 4, 128, 40", "F16, 1, 16, 2, 80, 70", "F32, 9, 12, 3, 48, 30",
            // query heads in pairs and one alone (3 per KV head), over several tokens
            "F32, 4, 9, 3, 64, 30", "F16, 3, 9, 3, 64, 60"})
    void attention(DType kvType, int t, int heads, int kvHeads, int headDim, int pos0) {
        int positions = pos0 + t + 3;
        Operand q = operand(DType.F32, new int[]{t, heads, headDim});
        Operand k = operand(kvType, new int[]{positions, kvHeads, headDim});
        Operand v = operand(kvType, new int[]{positions, kvHeads, headDim});
        float scale = (float) (1 / Math.sqrt(headDim));
        compare(MATMUL, new int[]{t, heads, headDim}, (be, out) -> be.kernels().attention(q.on(be), k.on(be), v.on(be), scale, pos0, out));
    }

    /**
     * A head-major cache [Hkv, capacity, D] with rows past the visible ones, seen through its permuted view: the fast
     * path, and the reference on the view, both against the reference on contiguous position-major copies.
     */
    @ParameterizedTest(name = "attention on a head-major {0} cache, T={1}, Hq={2}, Hkv={3}, D={4}, pos0={5}")
    @CsvSource({"F32, 1, 32, 4, 64, 95", "F16, 1, 32, 4, 64, 95", "F32, 5, 8, 2, 64, 12", "F16, 3, 4, 2, 20, 5"})
    void attentionOnAHeadMajorCache(DType kvType, int t, int heads, int kvHeads, int headDim, int pos0) {
        int positions = pos0 + t, capacity = positions + 7;
        Operand q = operand(DType.F32, new int[]{t, heads, headDim});
        Operand k = operand(kvType, new int[]{kvHeads, capacity, headDim});
        Operand v = operand(kvType, new int[]{kvHeads, capacity, headDim});
        float scale = (float) (1 / Math.sqrt(headDim));
        float[] expected = attend(reference, q, k, v, positions, scale, pos0, true);
        assertBound(SAME_WEIGHTS, attend(reference, q, k, v, positions, scale, pos0, false), expected);
        assertBound(MATMUL, attend(fast, q, k, v, positions, scale, pos0, false), expected);
    }

    /**
     * The attention row kernels at every width ({@link AttentionRows#width} picks four only with 512-bit vectors; here
     * each runs on any machine) against sums in double: rows a gap apart as a position-major cache's, heads of one and
     * two 4L slices, one row and an odd count.
     */
    @ParameterizedTest(name = "attention rows, {0} heads a call, {1} slices of 4L, {2} positions")
    @CsvSource({"4, 1, 37", "4, 2, 300", "4, 1, 1", "2, 2, 37", "1, 1, 37"})
    void attentionRowsTakeOneTwoOrFourHeadsACall(int width, int slices, int visible) {
        int headDim = 4 * WeightRows.L * slices;
        long rowStride = 4L * headDim + 64, headStride = 4L * headDim;
        float scale = 0.125f;
        float[] weights = {0.5f, 2f, -1f, 3f};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment qs = randomFloats(arena, width * headDim), os = arena.allocate(headStride * width, 64);
            MemorySegment ks = randomFloats(arena, (int) (rowStride / 4 * visible)), vs = randomFloats(arena, (int) (rowStride / 4 * visible));
            float[] scores = new float[width * visible];
            AttentionRows.scoreHeads(width, qs, 0, headStride, ks, 0, rowStride, headDim, visible, scale, scores);
            for (int j = 0; j < width; j++) {
                for (int s = 0; s < visible; s++) {
                    double dot = 0, size = 0;
                    for (int d = 0; d < headDim; d++) {
                        double term = (double) qs.getAtIndex(ValueLayout.JAVA_FLOAT, j * headDim + d) * ks.get(ValueLayout.JAVA_FLOAT, s * rowStride + 4L * d);
                        dot += term;
                        size += Math.abs(term);
                    }
                    assertEquals(scale * dot, scores[j * visible + s], 1e-6 * scale * size + 1e-7, "head " + j + ", position " + s);
                }
            }
            AttentionRows.weightedSumHeads(width, scores, visible, vs, 0, rowStride, headDim, weights, 0, os, 0, headStride);
            for (int j = 0; j < width; j++) {
                for (int d = 0; d < headDim; d++) {
                    double sum = 0, size = 0;
                    for (int s = 0; s < visible; s++) {
                        double term = (double) scores[j * visible + s] * vs.get(ValueLayout.JAVA_FLOAT, s * rowStride + 4L * d);
                        sum += term;
                        size += Math.abs(term);
                    }
                    assertEquals(weights[j] * sum, os.getAtIndex(ValueLayout.JAVA_FLOAT, j * headDim + d),
                            1e-6 * Math.abs(weights[j]) * size + 1e-7, "head " + j + ", output " + d);
                }
            }
        }
    }

    private MemorySegment randomFloats(Arena arena, int n) {
        MemorySegment s = arena.allocate(4L * n, 64);
        for (int i = 0; i < n; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) random.nextGaussian());
        return s;
    }

    private static float[] attend(Backend be, Operand q, Operand k, Operand v, int positions, float scale, int pos0,
                                  boolean contiguous) {
        Tensor kv0 = k.on(be).narrow(1, 0, positions).transpose(0, 1), kv1 = v.on(be).narrow(1, 0, positions).transpose(0, 1);
        if (contiguous) {
            kv0 = Ops.contiguous(kv0);
            kv1 = Ops.contiguous(kv1);
        }
        Tensor out = be.empty(DType.F32, Shape.of(q.dims()));
        be.kernels().attention(q.on(be), kv0, kv1, scale, pos0, out);
        return out.toFloats();
    }

    // ---- elementwise and row-wise ----

    @ParameterizedTest(name = "add/mul a [{0}, {1}] b [{2}]")
    @CsvSource({"3, 37, 37", "300, 300, 300", "5, 7, 1", "1, 70001, 70001", "4, 33, 132"})
    void addAndMulWithBroadcast(int rows, int cols, int bSize) {
        Operand a = operand(DType.F32, new int[]{rows, cols});
        Operand b = operand(DType.F32, bSize == rows * cols ? new int[]{rows, cols} : new int[]{bSize});
        compare(ELEMENTWISE, new int[]{rows, cols}, (be, out) -> be.kernels().add(a.on(be), b.on(be), out));
        compare(ELEMENTWISE, new int[]{rows, cols}, (be, out) -> be.kernels().mul(a.on(be), b.on(be), out));
    }

    /** Row-wise copies of strided sources (a prompt's keys, one KV head at a time), converting or not, as the reference. */
    @ParameterizedTest(name = "copy of a strided {0} view into {1}")
    @CsvSource({"F32, F32", "F32, F16", "F16, F32", "BF16, F16"})
    void copyOfStridedRows(DType from, DType to) {
        Operand x = operand(from, new int[]{7, 4, 33});
        float[][] results = new float[2][];
        Backend[] backends = {fast, reference};
        for (int i = 0; i < 2; i++) {
            Tensor view = x.on(backends[i]).transpose(0, 1).narrow(0, 1, 2); // [2, 7, 33], rows 4 * 33 apart
            Tensor out = backends[i].empty(to, view.shape());
            backends[i].kernels().copy(view, out);
            results[i] = out.toFloats();
        }
        assertEquals(Arrays.toString(results[1]), Arrays.toString(results[0]));
    }

    @Test void addInPlace() {
        Operand a = operand(DType.F32, new int[]{9, 31});
        Operand b = operand(DType.F32, new int[]{31});
        float[][] results = new float[2][];
        Backend[] backends = {fast, reference};
        for (int i = 0; i < 2; i++) {
            Tensor x = a.on(backends[i]);
            backends[i].kernels().add(x, b.on(backends[i]), x);
            results[i] = x.toFloats();
        }
        assertBound(ELEMENTWISE, results[0], results[1]);
    }

    @ParameterizedTest(name = "unary ops on [{0}, {1}]")
    @CsvSource({"3, 37", "257, 513", "1, 5"})
    void unaryOps(int rows, int cols) {
        int[] dims = {rows, cols};
        Operand x = operand(DType.F32, dims), up = operand(DType.F32, dims);
        Operand wide = new Operand(DType.F32, dims, scaled(x.values, 12f), false); // exercises exp far from 0
        compare(ELEMENTWISE, dims, (be, out) -> be.kernels().scale(x.on(be), -1.7f, out));
        compare(ELEMENTWISE, dims, (be, out) -> be.kernels().silu(wide.on(be), out));
        compare(ELEMENTWISE, dims, (be, out) -> be.kernels().swiglu(wide.on(be), up.on(be), out));
        compare(ELEMENTWISE, dims, (be, out) -> be.kernels().rmsNorm(x.on(be), 1e-5f, out));
    }

    @ParameterizedTest(name = "softmax [{0}, {1}, {2}] scale={3} causal={4} offset={5}")
    @CsvSource({"1, 3, 37, 1.0, false, 0", "2, 5, 70, 0.125, true, 2", "1, 4, 19, -3.0, true, 0",
            "1, 6, 6, 8.0, true, -2", "3, 100, 300, 2.0, true, 200"})
    void softmax(int batch, int rows, int cols, float scale, boolean causal, int offset) {
        int[] dims = {batch, rows, cols};
        Operand x = operand(DType.F32, dims);
        compare(ELEMENTWISE, dims, (be, out) -> be.kernels().softmax(x.on(be), scale, causal, offset, out));
    }

    @ParameterizedTest(name = "rope {0} nRot={3} of [{1}, {2}, {4}] inverse={5}")
    @CsvSource({"NORMAL, 3, 4, 64, 64, false", "NEOX, 3, 4, 64, 64, false", "NEOX, 5, 2, 32, 48, true",
            "NORMAL, 2, 3, 16, 20, true", "NEOX, 7, 32, 64, 64, false", "NORMAL, 1, 32, 64, 64, false", "NORMAL, 4, 5, 40, 48, true"})
    void rope(RopeMode mode, int rows, int heads, int nRot, int headDim, boolean inverse) {
        int[] dims = {rows, heads, headDim};
        Operand x = operand(DType.F32, dims);
        int[] positions = new int[rows];
        for (int r = 0; r < rows; r++) positions[r] = random.nextInt(4096);
        compare(ELEMENTWISE, dims, (be, out) -> be.kernels().rope(x.on(be), be.fromInts(positions, rows), nRot, 10000f,
                mode, inverse, out));
    }

    /**
     * One position rotated with other rope parameters in turn, inside the shared angle tables and past them: the fast
     * path reuses a position's angles only for the same ones.
     */
    @ParameterizedTest(name = "rope at position {0} with other bases and dims")
    @ValueSource(ints = {77, 100_000})
    void ropeAtOnePositionWithOtherBasesAndDims(int position) {
        int[] dims = {1, 4, 64};
        Operand x = operand(DType.F32, dims);
        for (boolean inverse : new boolean[]{false, true}) {
            for (int nRot : new int[]{64, 32}) {
                for (float base : new float[]{10000f, 500000f}) {
                    compare(ELEMENTWISE, dims, (be, out) -> be.kernels().rope(x.on(be), be.fromInts(new int[]{position}, 1), nRot, base,
                            RopeMode.NEOX, inverse, out));
                }
            }
        }
    }

    /**
     * Positions inside the shared angle table, past it ({@link RopeAngles#MAX_POSITIONS} on) and negative in one call:
     * those outside get their angles computed alone, and a position alone twice in a row reuses them.
     */
    @Test void ropeAtPositionsPastTheSharedTable() {
        int[] positions = {3, RopeAngles.MAX_POSITIONS - 1, RopeAngles.MAX_POSITIONS, 100_000, 100_000, -7, 0};
        int[] dims = {positions.length, 3, 64};
        Operand x = operand(DType.F32, dims);
        for (RopeMode mode : RopeMode.values()) {
            for (boolean inverse : new boolean[]{false, true}) {
                compare(ELEMENTWISE, dims, (be, out) -> be.kernels().rope(x.on(be), be.fromInts(positions, positions.length), 64, 10000f,
                        mode, inverse, out));
            }
        }
    }

    @Test void ropeInPlace() {
        Operand x = operand(DType.F32, new int[]{2, 3, 32});
        float[][] results = new float[2][];
        Backend[] backends = {fast, reference};
        for (int i = 0; i < 2; i++) {
            Tensor t = x.on(backends[i]);
            backends[i].kernels().rope(t, backends[i].fromInts(new int[]{7, 1000}, 2), 32, 10000f, RopeMode.NEOX, false, t);
            results[i] = t.toFloats();
        }
        assertBound(ELEMENTWISE, results[0], results[1]);
    }

    @Test void threadPoolRunsEveryIndexOnceAndReportsFailures() {
        CpuThreads pool = new CpuThreads(3);
        int[] hits = new int[10_001];
        pool.forEach(hits.length, 7, true, (start, end) -> {
            for (int i = start; i < end; i++) hits[i]++;
        });
        for (int i = 0; i < hits.length; i++) assertEquals(1, hits[i], "index " + i);
        try {
            pool.forEach(100, 1, true, (start, end) -> {
                if (start == 57) throw new IllegalStateException("chunk 57");
            });
            fail("the failure of a chunk must reach the caller");
        } catch (IllegalStateException e) {
            assertEquals("chunk 57", e.getMessage());
        }
    }

    /**
     * Segments claimed from both ends: every index once, every call inside one segment; threads that have finished
     * their own segments take the back of one held up (here by a sleep per index); a failure reaches the caller.
     */
    @Test void threadPoolRunsSegmentsFromBothEndsEveryIndexOnce() {
        CpuThreads pool = new CpuThreads(3);
        int[] segmentStarts = {0, 1000, 1003, 4000, 4000};
        AtomicIntegerArray hits = new AtomicIntegerArray(segmentStarts[segmentStarts.length - 1]);
        Set<String> threadsOnSlowSegment = ConcurrentHashMap.newKeySet();
        pool.forEachFromBothEnds(segmentStarts, 16, true, (start, end) -> {
            int segment = 0;
            while (segmentStarts[segment + 1] <= start) segment++;
            assertTrue(end <= segmentStarts[segment + 1], "call [" + start + ", " + end + ") inside its segment");
            if (segment == 0) {
                threadsOnSlowSegment.add(Thread.currentThread().getName());
                LockSupport.parkNanos(20_000L * (end - start));
            }
            for (int i = start; i < end; i++) hits.incrementAndGet(i);
        }, null);
        for (int i = 0; i < hits.length(); i++) assertEquals(1, hits.get(i), "index " + i);
        assertTrue(threadsOnSlowSegment.size() > 1, "the slow segment shared: " + threadsOnSlowSegment);
        try {
            pool.forEachFromBothEnds(new int[]{0, 50, 100}, 1, true, (start, end) -> {
                if (start <= 57 && 57 < end) throw new IllegalStateException("index 57");
            }, null);
            fail("the failure of a call must reach the caller");
        } catch (IllegalStateException e) {
            assertEquals("index 57", e.getMessage());
        }
    }

    /** The pool counts the time of the jobs it runs in parallel, from hand-out to the last thread's end, and only those. */
    @Test void threadPoolCountsTheTimeOfItsParallelJobs() {
        CpuThreads pool = new CpuThreads(3);
        long before = pool.parallelNanos(), started = System.nanoTime();
        pool.forEachFromBothEnds(new int[]{0, 1, 2, 3}, 1, true, (start, end) -> LockSupport.parkNanos(start == 2 ? 30_000_000 : 1_000_000), null);
        long job = pool.parallelNanos() - before, wall = System.nanoTime() - started;
        assertTrue(job >= 30_000_000 && job <= wall, "the job's 30 ms part counted, within the call's " + wall + " ns: " + job);
        long counted = pool.parallelNanos();
        pool.forEach(3, 1, false, (start, end) -> LockSupport.parkNanos(10_000_000));
        pool.forEach(3, 8, true, (start, end) -> LockSupport.parkNanos(10_000_000));
        assertEquals(counted, pool.parallelNanos(), "calls run inline are not counted");
    }

    /** Each thread starts on its own segment's front: the caller on segment 0, worker w on segment w. */
    @Test void threadPoolStartsEachThreadOnItsOwnSegment() {
        CpuThreads pool = new CpuThreads(3);
        int[] segmentStarts = {0, 300, 600, 900};
        Map<String, Integer> firstCalls = new ConcurrentHashMap<>();
        for (int job = 0; job < 20; job++) {
            firstCalls.clear();
            pool.forEachFromBothEnds(segmentStarts, 8, true, (start, end) -> {
                firstCalls.putIfAbsent(Thread.currentThread().getName(), start);
                LockSupport.parkNanos(20_000L * (end - start));
            }, null);
            assertEquals(0, firstCalls.get(Thread.currentThread().getName()), "the caller's first call");
            for (int w = 1; w <= 2; w++) {
                Integer first = firstCalls.get("pocket-cpu-" + w);
                if (first != null) assertEquals(segmentStarts[w], first, "worker " + w + "'s first call, job " + job);
            }
        }
    }

    /**
     * Each thread done with its parts of a job makes the job's reads for its own segment: a worker until they end or
     * the next job comes, the caller while workers are still at work; reads that fail (their memory freed) leave the
     * worker working.
     */
    @Test void threadPoolThreadsReadAheadOnceDoneWithAJob() {
        CpuThreads pool = new CpuThreads(3);
        int[] segmentStarts = {0, 10, 20, 30};
        Set<String> steps = ConcurrentHashMap.newKeySet(), threads = ConcurrentHashMap.newKeySet();
        pool.forEachFromBothEnds(segmentStarts, 10, true, (start, end) -> {
            threads.add(Thread.currentThread().getName() + "#" + Thread.currentThread().threadId());
            // each thread takes its whole segment at once; the workers' are slow, so the caller waits for them
            if (start < 10) awaitTrue(() -> threads.size() == 3, "all three threads on their segments: " + threads);
            else LockSupport.parkNanos(20_000_000);
        }, (segment, i) -> steps.add(segment + ":" + i) && (segment == 0 || i < 9));
        assertTrue(steps.contains("0:0"), "the caller read ahead while it waited: " + steps);
        awaitTrue(() -> steps.stream().filter(step -> !step.startsWith("0:")).count() == 20, "both workers' ten steps: " + steps);
        for (int segment = 1; segment <= 2; segment++) {
            for (int i = 0; i < 10; i++) assertTrue(steps.contains(segment + ":" + i), "segment " + segment + " step " + i);
        }

        AtomicInteger endless = new AtomicInteger();
        pool.forEachFromBothEnds(segmentStarts, 1, true, (start, end) -> {}, (segment, i) -> endless.incrementAndGet() > 0);
        awaitTrue(() -> endless.get() > 1000, "endless reads started");
        assertWorkersJoin(pool);

        pool.forEachFromBothEnds(segmentStarts, 1, true, (start, end) -> {}, (segment, i) -> {
            throw new IllegalStateException("Already closed");
        });
        assertWorkersJoin(pool);
    }

    /** A job each of whose chunks waits (up to 10 s) until all three of the pool's threads have taken one. */
    private static void assertWorkersJoin(CpuThreads pool) {
        Set<String> threads = ConcurrentHashMap.newKeySet();
        pool.forEach(64, 1, true, (start, end) -> {
            threads.add(Thread.currentThread().getName() + "#" + Thread.currentThread().threadId());
            awaitTrue(() -> threads.size() == 3, "the caller and both workers in the job: " + threads);
        });
    }

    private static void awaitTrue(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("timed out waiting for " + what);
            Thread.onSpinWait();
        }
    }

    /**
     * Each matvec on the pool over packed weights (quads, or F16 panels) is recorded as the successor of the one before
     * it, whose threads read it ahead the next time: after a, b, a, b the packed a leads to b and b to a.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"Q4_0", "F16"})
    void packedMatvecsLearnWhichFollowsWhich(DType type) {
        if (!PackedRows.supports(DType.Q4_0, 2048)) return; // no packed kernels below 256-bit vectors: nothing reads ahead
        CpuThreads pool = new CpuThreads(2);
        try (Backend be = new CpuBackend("cpu", fast.device(), new VectorKernels(pool))) {
            Tensor x = be.fromFloats(DType.F32, operand(DType.F32, new int[]{1, 2048}).values(), 1, 2048);
            Tensor a = operand(type, new int[]{256, 2048}).readOnly().on(be), b = operand(type, new int[]{320, 2048}).readOnly().on(be);
            Tensor outA = be.zeros(DType.F32, 1, 256), outB = be.zeros(DType.F32, 1, 320);
            be.kernels().matmul(x, a, outA, false, true);
            PackedWeight packedA = packed(a, pool), packedB = packed(b, pool);
            assertEquals(null, packedA.following(), "nothing followed a yet");
            be.kernels().matmul(x, b, outB, false, true);
            be.kernels().matmul(x, a, outA, false, true);
            be.kernels().matmul(x, b, outB, false, true);
            assertSame(packedB, packedA.following().first(), "b followed a");
            assertSame(packedA, packedB.following().first(), "a followed b");
        }
    }

    private static PackedWeight packed(Tensor weight, CpuThreads pool) {
        return ((CpuStorage) weight.storage()).packedWeight(weight.byteOffset(), weight.dtype(), weight.dim(0), weight.dim(1), pool, true);
    }

    /**
     * A thread's read-ahead steps over its segment of a quad matvec: in bounds for every panel and partial panel, as
     * many as the segment has quads or as fill {@link MatvecReadahead#BYTES}, whichever is fewer.
     */
    @ParameterizedTest(name = "{0} read ahead over [{1}, {2}] in {3} segments")
    @CsvSource({"Q4_0, 700, 2048, 2", "Q4_0, 33, 3072, 3", "Q8_0, 1500, 3072, 2", "Q8_0, 9, 1024, 2", "Q4_0, 4000, 5632, 2",
            "Q4_0, 1000, 576, 2", "Q8_0, 333, 2624, 3", "Q4_0, 70, 96, 2"})
    void readAheadStepsStayInTheirSegment(DType type, int rows, int k, int segments) {
        if (!PackedRows.supports(type, k)) return; // no packed kernels below 256-bit vectors
        try (PackedRows w = (PackedRows) packedFromGgml(type, rows, k)) {
            MatvecQuads plan = MatvecQuads.of(new int[]{rows}, new int[]{w.panels()}, new int[]{w.unitRows(w.panels() - 1)}, segments);
            QuadReadahead reads = new QuadReadahead(new PackedWeight[]{w}, plan);
            for (int segment = 0; segment < segments; segment++) {
                int quads = plan.segmentStarts()[segment + 1] - plan.segmentStarts()[segment], steps = 1;
                long bytes = w.quadBytes(plan.pieceOf(plan.segmentStarts()[segment]).panel());
                while (reads.step(segment, steps - 1)) {
                    bytes += w.quadBytes(plan.pieceOf(plan.segmentStarts()[segment] + steps).panel());
                    steps++;
                }
                assertTrue(steps <= quads, steps + " steps in a segment of " + quads + " quads");
                if (steps < quads) assertTrue(bytes >= MatvecReadahead.BYTES, bytes + " bytes read when the steps stopped");
                else assertTrue(bytes <= MatvecReadahead.BYTES + w.quadBytes(w.panels() - 1) * 2, "the whole segment, " + bytes + " bytes");
            }
        }
    }

    /**
     * The same for panel matvecs over two matrices: each segment's steps are the calls of its first matrix in the first
     * column panel (rows, or pairs), stopping at their end or {@link MatvecReadahead#BYTES}; rows whose panel is not a
     * whole number of cache lines stay in bounds.
     */
    @ParameterizedTest(name = "{0} read ahead over [{1}, {2}] and [{3}, {2}], pairs {4}")
    @CsvSource({"F16, 600, 2100, 700, true", "F16, 600, 2100, 700, false", "F32, 9, 100, 5, false", "BF16, 130, 300, 70, false",
            "F16, 3000, 2048, 64, true"})
    void panelReadAheadStepsStayInTheirSegment(DType type, int rowsA, int k, int rowsB, boolean pairs) {
        try (PanelRows a = (PanelRows) packedFromGgml(type, rowsA, k); PanelRows b = (PanelRows) packedFromGgml(type, rowsB, k)) {
            int total = rowsA + rowsB;
            int[] firstRow = {0, rowsA, total}, segmentStarts = {0, total / 2, total};
            PanelReadahead reads = new PanelReadahead(new PanelRows[]{a, b}, firstRow, segmentStarts, pairs);
            for (int segment = 0; segment < 2; segment++) {
                int start = segmentStarts[segment], m = start < rowsA ? 0 : 1;
                int rows = Math.min(segmentStarts[segment + 1], firstRow[m + 1]) - start;
                int calls = pairs ? (rows + 1) / 2 : rows, steps = 1;
                while (reads.step(segment, steps - 1)) steps++;
                PanelRows w = m == 0 ? a : b;
                long budgetCalls = (MatvecReadahead.BYTES + w.callBytes(pairs) - 1) / w.callBytes(pairs);
                assertEquals(Math.min(calls, budgetCalls), steps, "segment " + segment + "'s steps");
            }
        }
    }

    /**
     * A packed quantized row decoded as the prompt GEMM asks for it, 256 columns at a time, holds at packed position kp
     * exactly the ggml codec's value of the element {@link PackedWeight#naturalIndex} names, and names each element
     * once: in the groups and in the tail of row blocks (576 and 2624 columns: a group or five and a tail; 192: all tail).
     */
    @ParameterizedTest(name = "{0} [{1}, {2}] decoded in packed order")
    @CsvSource({"Q8_0, 37, 576", "Q4_0, 37, 576", "Q8_0, 20, 192", "Q4_0, 20, 192", "Q8_0, 33, 2624", "Q4_0, 33, 2624", "Q4_0, 5, 2048"})
    void packedRowsDecodeToTheCodecsValues(DType type, int rows, int k) {
        if (!PackedRows.supports(type, k)) return; // no packed kernels below 256-bit vectors
        MemorySegment ggml = MemorySegment.ofArray(new byte[Math.toIntExact(type.bytes((long) rows * k))]);
        type.codec().encode(operand(type, new int[]{rows, k}).values(), 0, ggml, 0, rows * k);
        float[] expected = new float[rows * k], row = new float[k];
        type.codec().decode(ggml, 0, expected, 0, rows * k);
        try (PackedWeight w = PackedWeight.pack(ggml, 0, type, rows, k, CpuThreads.shared(), true)) {
            assertArrayEquals(IntStream.range(0, k).toArray(), IntStream.range(0, k).map(w::naturalIndex).sorted().toArray(),
                    "naturalIndex is a permutation of the row");
            for (int r = 0; r < rows; r++) {
                for (int k0 = 0; k0 < k; k0 += 256) w.decode(r, k0, Math.min(256, k - k0), row, k0);
                for (int kp = 0; kp < k; kp++) {
                    assertEquals(expected[r * k + w.naturalIndex(kp)], row[kp], "row " + r + ", packed position " + kp);
                }
            }
        }
    }

    /** A read-only weight of random values, packed from its ggml bytes as a model file's are. */
    private PackedWeight packedFromGgml(DType type, int rows, int k) {
        MemorySegment ggml = MemorySegment.ofArray(new byte[Math.toIntExact(type.bytes((long) rows * k))]);
        type.codec().encode(operand(type, new int[]{rows, k}).values(), 0, ggml, 0, rows * k);
        return PackedWeight.pack(ggml, 0, type, rows, k, CpuThreads.shared(), true);
    }

    /**
     * Each matrix's rows in each of its column panels, split over the segments, are each in exactly one quad (of rows,
     * or of row blocks in a last panel of blocks: those start at a multiple of their rows), every row of a quad below its end; the
     * panels of a matrix follow each other, and the matrices each other.
     */
    @ParameterizedTest(name = "quads of {0} rows in {1} panels (last in blocks of {2}), {3} segments")
    @CsvSource({"'1600,256,64', '1,1,1', '0,0,0', 2", "'5632,5632', '1,1', '0,0', 3", "'7', '1', '0', 2", "'3,1,2', '1,1,1', '0,0,0', 4",
            "'2048', '1', '0', 1", "'2048', '3', '0', 2", "'1600,256', '2,1', '0,0', 2", "'5,9', '3,2', '0,0', 3",
            "'576,192,192', '2,2,2', '16,16,16', 2", "'1000', '2', '16', 3", "'50257', '2', '8', 2", "'7,9', '1,2', '16,8', 3"})
    void matvecQuadsCoverEveryRowOnce(String rows, String panelCounts, String blockRows, int segments) {
        int[] ns = Arrays.stream(rows.split(",")).mapToInt(Integer::parseInt).toArray();
        int[] panels = Arrays.stream(panelCounts.split(",")).mapToInt(Integer::parseInt).toArray();
        int[] lastPanelUnitRows = Arrays.stream(blockRows.split(",")).mapToInt(Integer::parseInt).toArray();
        MatvecQuads plan = MatvecQuads.of(ns, panels, lastPanelUnitRows, segments);
        int[][][] hits = new int[ns.length][][];
        for (int i = 0; i < ns.length; i++) hits[i] = new int[panels[i]][ns[i]];
        int next = 0, lastUnit = 0;
        for (MatvecQuads.Piece piece : plan.pieces()) {
            assertEquals(next, piece.firstQuad(), "pieces numbered in order");
            int unit = Arrays.stream(panels).limit(piece.matrix()).sum() + piece.panel();
            assertTrue(unit >= lastUnit, "panels and matrices in order");
            lastUnit = unit;
            int blockRowCount = piece.panel() == panels[piece.matrix()] - 1 ? lastPanelUnitRows[piece.matrix()] : 0;
            assertEquals(blockRowCount, piece.unitRows(), "the piece's unit");
            if (blockRowCount > 0) {
                assertEquals(0, piece.start() % blockRowCount, "a piece of blocks starts at a whole block");
                int first = piece.start() / blockRowCount, blocks = (piece.end() + blockRowCount - 1) / blockRowCount;
                int part = MatvecQuads.quads(first, blocks);
                assertEquals(part, piece.quadEnd() - piece.firstQuad(), "quads of blocks");
                for (int a = first; a < first + part; a++) {
                    for (int j = 0; j < PackedRows.ROWS_PER_PASS && a + j * part < blocks; j++) {
                        int block = a + j * part;
                        for (int r = block * blockRowCount; r < Math.min(piece.end(), (block + 1) * blockRowCount); r++) hits[piece.matrix()][piece.panel()][r]++;
                    }
                }
            } else {
                int part = MatvecQuads.quads(piece.start(), piece.end());
                for (int a = piece.start(); a < piece.start() + part; a++) {
                    for (int j = 0; j < PackedRows.ROWS_PER_PASS && a + j * part < piece.end(); j++) hits[piece.matrix()][piece.panel()][a + j * part]++;
                }
            }
            for (int q = piece.firstQuad(); q < piece.quadEnd(); q++) assertSame(piece, plan.pieceOf(q), "the piece of quad " + q);
            next = piece.quadEnd();
        }
        assertEquals(next, plan.segmentStarts()[segments]);
        for (int i = 0; i < ns.length; i++) {
            for (int p = 0; p < panels[i]; p++) {
                for (int r = 0; r < ns[i]; r++) assertEquals(1, hits[i][p][r], "matrix " + i + ", panel " + p + ", row " + r);
            }
        }
    }

    // ---- helpers ----

    /** Host values of an operand; a read-only one is mapped as a model file's weights are. */
    private record Operand(DType type, int[] dims, float[] values, boolean mapped) {
        Operand readOnly() { return new Operand(type, dims, values, true); }

        Tensor on(Backend backend) {
            if (!mapped) return backend.fromFloats(type, values, dims);
            MemorySegment bytes = MemorySegment.ofArray(new byte[Math.toIntExact(type.bytes(values.length))]);
            type.codec().encode(values, 0, bytes, 0, values.length);
            return backend.map(type, Shape.of(dims), bytes.asReadOnly());
        }
    }

    /** Random values in [-1, 1] of a given dtype and shape, encoded the same way on both backends. */
    private Operand operand(DType type, int[] dims) {
        long size = 1;
        for (int d : dims) size *= d;
        float[] v = new float[Math.toIntExact(size)];
        for (int i = 0; i < v.length; i++) v[i] = random.nextFloat() * 2 - 1;
        return new Operand(type, dims, v, false);
    }

    private static float[] scaled(float[] v, float s) {
        float[] r = new float[v.length];
        for (int i = 0; i < v.length; i++) r[i] = v[i] * s;
        return r;
    }

    /** An op writing into an F32 output prefilled with NaN, so an unwritten element fails the check. */
    @FunctionalInterface
    private interface Op {
        void run(Backend backend, Tensor out);
    }

    private static void compare(double bound, int[] outDims, Op op) {
        float[][] results = new float[2][];
        Backend[] backends = {fast, reference};
        for (int i = 0; i < 2; i++) {
            Tensor out = backends[i].filled(DType.F32, Float.NaN, outDims);
            op.run(backends[i], out);
            results[i] = out.toFloats();
        }
        assertBound(bound, results[0], results[1]);
    }

    /** NaN/Inf first, then normalized MSE sum((a-b)^2) / sum(b^2) of the fast result a against the reference b. */
    private static void assertBound(double bound, float[] actual, float[] expected) {
        assertEquals(expected.length, actual.length, "element count");
        double err = 0, norm = 0;
        for (int i = 0; i < actual.length; i++) {
            if (!Float.isFinite(actual[i]) || !Float.isFinite(expected[i])) {
                fail("element " + i + " is " + actual[i] + ", reference " + expected[i]);
            }
            double d = (double) actual[i] - expected[i];
            err += d * d;
            norm += (double) expected[i] * expected[i];
        }
        double nmse = norm == 0 ? err : err / norm;
        assertTrue(nmse <= bound, "normalized MSE " + nmse + " exceeds " + bound);
    }
}
