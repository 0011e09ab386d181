package dev.pocketlm.cpu;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Kernels;
import dev.pocketlm.tensor.Ops;
import dev.pocketlm.tensor.ReduceOp;
import dev.pocketlm.tensor.RopeMode;
import dev.pocketlm.tensor.Scope;
import dev.pocketlm.tensor.Tensor;
import dev.pocketlm.tensor.codec.Half;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Forward kernels against hand-computed values. */
class ReferenceForwardTest {
    private static final Backend BE = new CpuProvider().open(CpuProvider.REFERENCE);
    private static final Kernels K = BE.kernels();
    private static final float EPS = 1e-6f;

    private Scope scope;

    @BeforeEach void open() { scope = BE.scope(); }

    @AfterEach void close() { scope.close(); }

    // ---- elementwise ----

    @Test void addAndMulTileTheSecondOperand() {
        Tensor a = BE.fromFloats(new float[]{1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor b = BE.fromFloats(new float[]{10, 20, 30}, 3);
        assertArrayEquals(new float[]{11, 22, 33, 14, 25, 36}, Ops.add(a, b).toFloats());
        assertArrayEquals(new float[]{10, 40, 90, 40, 100, 180}, Ops.mul(a, b).toFloats());
        assertArrayEquals(new float[]{-2, -4, -6, -8, -10, -12}, Ops.scale(a, -2).toFloats());
    }

    @Test void addMayWriteIntoItsFirstInput() {
        Tensor a = BE.fromFloats(new float[]{1, 2, 3, 4}, 2, 2);
        K.add(a, BE.fromFloats(new float[]{1, -1}, 2), a);
        assertArrayEquals(new float[]{2, 1, 4, 3}, a.toFloats());
    }

    @Test void siluAndSwiglu() {
        // silu(1) = 1 / (1 + e^-1), silu(-2) = -2 / (1 + e^2)
        float silu1 = 0.7310585786f, siluMinus2 = -0.2384058440f;
        Tensor x = BE.fromFloats(new float[]{0, 1, -2}, 3);
        assertArrayEquals(new float[]{0, silu1, siluMinus2}, Ops.silu(x).toFloats(), EPS);
        Tensor up = BE.fromFloats(new float[]{5, 2, -1}, 3);
        assertArrayEquals(new float[]{0, 2 * silu1, -siluMinus2}, Ops.swiglu(x, up).toFloats(), EPS);
    }

    // ---- normalization, rotation, softmax ----

    @Test void rmsNormDividesByTheRootMeanSquare() {
        // rows [3, 4] (mean square 12.5) and [1, 1] (mean square 1), eps 0
        Tensor x = BE.fromFloats(new float[]{3, 4, 1, 1}, 2, 2);
        float r = (float) (1 / Math.sqrt(12.5));
        assertArrayEquals(new float[]{3 * r, 4 * r, 1, 1}, Ops.rmsNorm(x, 0).toFloats(), EPS);
    }

    @Test void ropeNormalRotatesAdjacentPairs() {
        // pos 1, nRot 4, base 10000: pair 0 turns by 1 rad, pair 1 by 10000^(-1/2) = 0.01 rad
        Tensor x = BE.fromFloats(new float[]{1, 0, 1, 0}, 1, 1, 4);
        Tensor out = Ops.rope(x, BE.fromInts(new int[]{1}, 1), 4, 10000f, RopeMode.NORMAL);
        float[] expected = {(float) Math.cos(1), (float) Math.sin(1), (float) Math.cos(0.01), (float) Math.sin(0.01)};
        assertArrayEquals(expected, out.toFloats(), EPS);
    }

    @Test void ropeNeoxRotatesHalvesAndPassesExtraDimsThrough() {
        // nRot 4 of 6 dims: pairs (0, 2) at 1 rad and (1, 3) at 0.01 rad (times pos 2); dims 4, 5 pass through
        Tensor x = BE.fromFloats(new float[]{1, 0, 1, 0, 7, 8}, 1, 1, 6);
        Tensor out = Ops.rope(x, BE.fromInts(new int[]{1}, 1), 4, 10000f, RopeMode.NEOX);
        float c = (float) Math.cos(1), s = (float) Math.sin(1);
        assertArrayEquals(new float[]{c - s, 0, s + c, 0, 7, 8}, out.toFloats(), EPS);

        Tensor y = BE.fromFloats(new float[]{0, 1, 0, 0, 0, 0}, 1, 1, 6);
        Tensor at2 = Ops.rope(y, BE.fromInts(new int[]{2}, 1), 4, 10000f, RopeMode.NEOX);
        assertArrayEquals(new float[]{0, (float) Math.cos(0.02), 0, (float) Math.sin(0.02), 0, 0}, at2.toFloats(), EPS);
    }

    @Test void inverseRopeUndoesRope() {
        float[] values = FiniteDifferences.uniform(3, 2 * 3 * 8);
        Tensor x = BE.fromFloats(values, 2, 3, 8);
        Tensor pos = BE.fromInts(new int[]{5, 17}, 2);
        for (RopeMode mode : RopeMode.values()) {
            Tensor rotated = Ops.rope(x, pos, 6, 500f, mode);
            Tensor back = BE.empty(DType.F32, 2, 3, 8);
            K.rope(rotated, pos, 6, 500f, mode, true, back);
            assertArrayEquals(values, back.toFloats(), 1e-5f, mode.name());
        }
    }

    @Test void softmaxOfKnownValues() {
        Tensor x = BE.fromFloats(new float[]{1, 2, 3}, 3);
        assertArrayEquals(new float[]{0.09003057f, 0.24472847f, 0.66524096f}, Ops.softmax(x).toFloats(), EPS);
        // scale 2 on [0, ln(3)/2] gives logits [0, ln 3]: probabilities [1/4, 3/4]
        Tensor y = BE.fromFloats(new float[]{0, (float) (Math.log(3) / 2)}, 2);
        assertArrayEquals(new float[]{0.25f, 0.75f}, Ops.softmax(y, 2, false, 0).toFloats(), EPS);
    }

    @Test void softmaxIsStableForLargeLogits() {
        Tensor x = BE.fromFloats(new float[]{1000, 1000}, 2);
        assertArrayEquals(new float[]{0.5f, 0.5f}, Ops.softmax(x).toFloats());
    }

    @Test void causalMaskHidesColumnsAfterRowPlusOffset() {
        // equal logits: row r of each 3x3 matrix spreads evenly over columns 0..r+offset
        Tensor x = BE.zeros(DType.F32, 2, 3, 3);
        float h = 0.5f, t = 1f / 3;
        float[] offset0 = {1, 0, 0, h, h, 0, t, t, t};
        assertArrayEquals(concat(offset0, offset0), Ops.softmax(x, 1, true, 0).toFloats(), EPS);
        float[] offset1 = {h, h, 0, t, t, t, t, t, t};
        assertArrayEquals(concat(offset1, offset1), Ops.softmax(x, 1, true, 1).toFloats(), EPS);
    }

    @Test void fullyMaskedRowsAreZero() {
        Tensor x = BE.fromFloats(new float[]{1, 2, 3, 4}, 2, 2);
        Tensor out = BE.empty(DType.F32, 2, 2);
        K.softmax(x, 1, true, -1, out);
        assertArrayEquals(new float[]{0, 0, 1, 0}, out.toFloats());
    }

    // ---- attention ----

    @Test void attentionOfAHandComputedCase() {
        // scores q.k = [0, ln 3] give weights [1/4, 3/4] over values [1, 0] and [0, 1]
        Tensor q = BE.fromFloats(new float[]{1, 0}, 1, 1, 2);
        Tensor k = BE.fromFloats(new float[]{0, 0, (float) Math.log(3), 0}, 2, 1, 2);
        Tensor v = BE.fromFloats(new float[]{1, 0, 0, 1}, 2, 1, 2);
        assertArrayEquals(new float[]{0.25f, 0.75f}, Ops.attention(q, k, v, 1, 1).toFloats(), EPS);
        // at position 0 only the first key is visible
        assertArrayEquals(new float[]{1, 0}, Ops.attention(q, k, v, 1, 0).toFloats(), EPS);
    }

    @Test void attentionRejectsPositionsPastTheCache() {
        Tensor q = BE.zeros(DType.F32, 1, 1, 2), kv = BE.zeros(DType.F32, 2, 1, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ops.attention(q, kv, kv, 1, 2));
        assertEquals("attention: positions 2..2 need 3 cached rows (operands: [1, 1, 2] F32; [2, 1, 2] F32; [2, 1, 2] F32)", e.getMessage());
    }

    @Test void groupedQueryAttentionMatchesExplicitSoftmaxOfScores() {
        int queries = 2, heads = 4, kvHeads = 2, keys = 5, headDim = 3, pos0 = 2;
        float scale = 0.6f;
        float[] q = FiniteDifferences.uniform(10, queries * heads * headDim);
        float[] k = FiniteDifferences.uniform(11, keys * kvHeads * headDim);
        float[] v = FiniteDifferences.uniform(12, keys * kvHeads * headDim);
        float[] expected = explicitAttention(q, k, v, queries, heads, kvHeads, headDim, scale, pos0);

        Tensor qt = BE.fromFloats(q, queries, heads, headDim);
        float[] f32 = Ops.attention(qt, BE.fromFloats(k, keys, kvHeads, headDim), BE.fromFloats(v, keys, kvHeads, headDim),
                scale, pos0).toFloats();
        assertArrayEquals(expected, f32, 1e-6f);

        Tensor k16 = BE.fromFloats(DType.F16, k, keys, kvHeads, headDim), v16 = BE.fromFloats(DType.F16, v, keys, kvHeads, headDim);
        float[] expected16 = explicitAttention(q, k16.toFloats(), v16.toFloats(), queries, heads, kvHeads, headDim, scale, pos0);
        assertArrayEquals(expected16, Ops.attention(qt, k16, v16, scale, pos0).toFloats(), 1e-6f);
    }

    /** softmax(scale q k^T) v with query t at pos0 + t seeing keys 0..pos0 + t, head h using KV head h / (Hq / Hkv). */
    private static float[] explicitAttention(float[] q, float[] k, float[] v, int queries, int heads, int kvHeads,
                                             int headDim, float scale, int pos0) {
        float[] out = new float[queries * heads * headDim];
        for (int t = 0; t < queries; t++) {
            for (int h = 0; h < heads; h++) {
                int kv = h / (heads / kvHeads), visible = pos0 + t + 1;
                double[] w = new double[visible];
                double total = 0;
                for (int s = 0; s < visible; s++) {
                    double score = 0;
                    for (int d = 0; d < headDim; d++) score += q[(t * heads + h) * headDim + d] * k[(s * kvHeads + kv) * headDim + d];
                    w[s] = Math.exp(scale * score);
                    total += w[s];
                }
                for (int d = 0; d < headDim; d++) {
                    double acc = 0;
                    for (int s = 0; s < visible; s++) acc += w[s] / total * v[(s * kvHeads + kv) * headDim + d];
                    out[(t * heads + h) * headDim + d] = (float) acc;
                }
            }
        }
        return out;
    }

    // ---- rows ----

    @Test void getRowsDecodesQuantizedTables() {
        float[] table = FiniteDifferences.uniform(20, 3 * 32);
        Tensor q8 = BE.fromFloats(DType.Q8_0, table, 3, 32);
        float[] decoded = q8.toFloats();
        Tensor rows = Ops.getRows(q8, BE.fromInts(new int[]{2, 0, 2}, 3));
        float[] expected = concat(slice(decoded, 64, 32), slice(decoded, 0, 32), slice(decoded, 64, 32));
        assertArrayEquals(expected, rows.toFloats());
    }

    @Test void getRowsRejectsIdsOutsideTheTable() {
        Tensor table = BE.zeros(DType.F32, 2, 2);
        assertThrows(IndexOutOfBoundsException.class, () -> Ops.getRows(table, BE.fromInts(new int[]{2}, 1)));
    }

    @Test void setRowsRoundsIntoAnF16Cache() {
        Tensor cache = BE.zeros(DType.F16, 3, 2);
        Ops.setRows(BE.fromFloats(new float[]{0.1f, 1f / 3, -2, 5}, 2, 2), BE.fromInts(new int[]{2, 0}, 2), cache);
        float a = Half.f16ToFloat(Half.floatToF16(0.1f)), b = Half.f16ToFloat(Half.floatToF16(1f / 3));
        assertArrayEquals(new float[]{-2, 5, 0, 0, a, b}, cache.toFloats());
        assertTrue(a != 0.1f, "0.1 is not exact in F16, so the rounding above was really checked");
    }

    @Test void addRowsAccumulatesRepeatedIds() {
        Tensor dst = BE.fromFloats(new float[]{1, 1, 1, 1}, 2, 2);
        K.addRows(BE.fromFloats(new float[]{1, 2, 3, 4, 5, 6}, 3, 2), BE.fromInts(new int[]{1, 1, 0}, 3), dst);
        assertArrayEquals(new float[]{6, 7, 5, 7}, dst.toFloats());
    }

    // ---- copies and fills ----

    @Test void copyWalksStridedViews() {
        Tensor x = BE.fromFloats(new float[]{1, 2, 3, 4, 5, 6}, 2, 3);
        assertArrayEquals(new float[]{1, 4, 2, 5, 3, 6}, Ops.contiguous(x.transpose(0, 1)).toFloats());
        assertArrayEquals(new float[]{2, 5}, Ops.contiguous(x.narrow(1, 1, 1)).toFloats());
        Tensor ids = BE.fromInts(new int[]{1, 2, 3, 4, 5, 6}, 3, 2);
        assertArrayEquals(new int[]{1, 3, 5, 2, 4, 6}, Ops.contiguous(ids.transpose(0, 1)).toInts());
    }

    @Test void assignWritesAStridedViewBlockByBlock() {
        // positions 1 and 2 of a head-major cache [2 heads, 3 positions, 2] from k [2 positions, 2 heads, 2]
        Tensor cache = BE.zeros(DType.F16, 2, 3, 2);
        Tensor k = BE.fromFloats(new float[]{1, 2, 3, 4, 5, 6, 7, 8}, 2, 2, 2);
        Ops.assign(cache.narrow(1, 1, 2), k.transpose(0, 1));
        assertArrayEquals(new float[]{0, 0, 1, 2, 5, 6, 0, 0, 3, 4, 7, 8}, cache.toFloats());
    }

    @Test void sizeOneDimensionsMayHaveAnyStride() {
        Tensor x = BE.fromFloats(new float[]{1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor row = x.transpose(0, 1).narrow(1, 1, 1); // [3, 1], strides (1, 3): elements 3..5 in order
        assertTrue(row.isContiguous());
        assertArrayEquals(new float[]{4, 5, 6}, row.reshape(3).toFloats());
        assertFalse(x.narrow(1, 0, 2).isContiguous());
        assertFalse(x.transpose(0, 1).isContiguous());
    }

    @Test void castRoundsToNearestEven() {
        // 1 + 2^-8 and 1 + 3 * 2^-8 are halfway between BF16 neighbours: they round to the even 1 and 1 + 2^-6
        Tensor x = BE.fromFloats(new float[]{1 + 0x1p-8f, 1 + 3 * 0x1p-8f, 1f / 3}, 3);
        assertArrayEquals(new float[]{1, 1 + 0x1p-6f, 0.333984375f}, Ops.cast(x, DType.BF16).toFloats());
        Tensor half = Ops.cast(x.narrow(0, 2, 1), DType.F16);
        assertEquals(Half.f16ToFloat(Half.floatToF16(1f / 3)), half.item());
        assertEquals(half.item(), Ops.cast(half, DType.F32).item());
        assertEquals(0.333984375f, Ops.cast(Ops.cast(x, DType.BF16), DType.F16).toFloats()[2]);
    }

    @Test void fillEveryDType() {
        assertArrayEquals(new float[]{0.1f, 0.1f}, BE.filled(DType.F32, 0.1f, 2).toFloats());
        assertArrayEquals(new float[]{Half.f16ToFloat(Half.floatToF16(0.1f))}, BE.filled(DType.F16, 0.1f, 1).toFloats());
        assertArrayEquals(new float[]{Half.bf16ToFloat(Half.floatToBf16(0.1f))}, BE.filled(DType.BF16, 0.1f, 1).toFloats());
        assertArrayEquals(new int[]{-3, -3, -3}, BE.filled(DType.I32, -3, 3).toInts());
    }

    @Test void unsupportedDTypesNameOpDTypeAndBackend() {
        Tensor q = BE.empty(DType.Q8_0, 1, 32);
        var e = assertThrows(UnsupportedOperationException.class, () -> K.fill(q, 1));
        assertTrue(e.getMessage().contains("fill") && e.getMessage().contains("Q8_0") && e.getMessage().contains(BE.name()),
                e.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> K.copy(BE.zeros(DType.I32, 2), BE.empty(DType.F32, 2)));
    }

    // ---- reductions and losses ----

    @Test void reductionsOverTheLastDim() {
        Tensor x = BE.fromFloats(new float[]{1, 2, 3, -1, -5, 0}, 2, 3);
        assertArrayEquals(new float[]{6, -6}, Ops.reduce(x, ReduceOp.SUM).toFloats());
        assertArrayEquals(new float[]{2, -2}, Ops.reduce(x, ReduceOp.MEAN).toFloats());
        assertArrayEquals(new float[]{3, 0}, Ops.reduce(x, ReduceOp.MAX).toFloats());
        Tensor colSums = BE.empty(DType.F32, 3);
        K.sumRows(x, colSums);
        assertArrayEquals(new float[]{0, -3, 3}, colSums.toFloats());
        Tensor expanded = BE.empty(DType.F32, 2, 2);
        K.expandRows(BE.fromFloats(new float[]{1, -2}, 2), 0.5f, expanded);
        assertArrayEquals(new float[]{0.5f, 0.5f, -1, -1}, expanded.toFloats());
    }

    @Test void crossEntropyOfKnownLogits() {
        // uniform over 4 gives ln 4; logits [0, ln 3] give probabilities [1/4, 3/4]
        Tensor logits = BE.fromFloats(new float[]{0, 0, 0, 0, 0, (float) Math.log(3), 0, 0}, 2, 4);
        float[] ce = Ops.crossEntropy(logits, BE.fromInts(new int[]{3, 1}, 2)).toFloats();
        double p1 = 3.0 / 6; // row 2 logits [0, ln3, 0, 0]: exp sums to 6
        assertArrayEquals(new float[]{(float) Math.log(4), (float) -Math.log(p1)}, ce, EPS);
    }

    @Test void klDivergenceBothDirectionsAtATemperature() {
        // teacher [0, 2 ln 3] / T=2 gives p = [1/4, 3/4]; student zeros gives q = [1/2, 1/2]
        Tensor teacher = BE.fromFloats(new float[]{0, (float) (2 * Math.log(3))}, 1, 2);
        Tensor student = BE.zeros(DType.F32, 1, 2);
        double forward = 0.25 * Math.log(0.25 / 0.5) + 0.75 * Math.log(0.75 / 0.5);
        double reverse = 0.5 * Math.log(0.5 / 0.25) + 0.5 * Math.log(0.5 / 0.75);
        assertEquals(forward, Ops.klDiv(teacher, student, 2, false).item(), EPS);
        assertEquals(reverse, Ops.klDiv(teacher, student, 2, true).item(), EPS);
    }

    // ---- optimizer ----

    @Test void adamwFirstStep() {
        // g 0.5: m = 0.05, v = 0.25 (1 - 0.999f) (the float beta2 is not exactly 0.999); bias-corrected 0.5 and 0.25;
        // p = 1 - 0.1 (0.5 / (0.5 + 1e-8) + 0.01 * 1)
        Tensor p = BE.fromFloats(new float[]{1}, 1), g = BE.fromFloats(new float[]{0.5f}, 1);
        Tensor m = BE.zeros(DType.F32, 1), v = BE.zeros(DType.F32, 1);
        Ops.adamw(p, g, m, v, 0.1f, 0.9f, 0.999f, 1e-8f, 0.01f, 1);
        assertEquals(0.05f, m.item(), EPS);
        assertEquals(0.25 * (1 - 0.999f), v.item(), 1e-11);
        assertEquals(1 - 0.1 * (0.5 / (0.5 + 1e-8) + 0.01), p.item(), EPS);
        // step 2 with g = 0: m = 0.045, v = 0.00024975; corrections 0.19 and 0.001999
        Ops.adamw(p, BE.zeros(DType.F32, 1), m, v, 0.1f, 0.9f, 0.999f, 1e-8f, 0, 2);
        double expected = 0.899 - 0.1 * (0.045 / 0.19) / (Math.sqrt(0.00024975 / 0.001999) + 1e-8);
        assertEquals(expected, p.item(), 1e-5);
    }

    private static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) n += p.length;
        float[] out = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private static float[] slice(float[] v, int from, int length) {
        float[] out = new float[length];
        System.arraycopy(v, from, out, 0, length);
        return out;
    }
}
