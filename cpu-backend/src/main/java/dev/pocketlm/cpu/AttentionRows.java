package dev.pocketlm.cpu;

import dev.pocketlm.tensor.DType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * One query head's attention over its visible cache rows, read in place (F32 rows of {@code headDim}, {@code
 * rowStride} bytes apart; F16 caches are {@link #stage staged} as F32 first): the scores, then the softmax-weighted
 * sum of values. Both loops are plain vector code with no calls inside, holding q (scores) or four accumulators (the
 * sum) in registers across the rows: TinyLlama's 32 heads over 96 positions, two cores, cache-resident, 27 -> 8 us
 * (through a row-dot call and an array accumulator per position before).
 */
final class AttentionRows {
    private static final VectorSpecies<Float> F = WeightRows.F;
    private static final int L = WeightRows.L;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    /**
     * Four query heads a call with 512-bit vectors: each K and V row loaded once for four heads, half the passes over a KV
     * head's rows. TinyLlama's layer at 1,024 positions (F32, AttentionBenchmark, alternating): 47-64 against 62-78 us
     * with the cache in L2/L3, 68-106 against 86-107 from DRAM; a 64-token prompt chunk 3036-3072 against 3379-3757 us.
     * With 256-bit vectors (16 registers) four heads' q spill: F16 148-206 against 141 us, so two.
     */
    private static final boolean QUADS = L >= 16;
    /** The most query heads {@link #width} gives a call: what buffers of one call's scores and outputs hold. */
    static final int MAX_WIDTH = 4;

    private AttentionRows() {}

    /**
     * Query heads of one KV head that one {@link #scoreHeads} call takes, of {@code remaining}: four with 512-bit
     * vectors (their q in 16 of the 32 registers), else two; one where headDim is not a multiple of 4L or one remains.
     */
    static int width(int remaining, int headDim) {
        if (headDim % (4 * L) != 0 || remaining < 2) return 1;
        return QUADS && remaining >= MAX_WIDTH ? MAX_WIDTH : 2;
    }

    /** The scores of {@code width} query heads (q at qAt + j qStride), head j's at scores[j visible, (j + 1) visible). */
    static void scoreHeads(int width, MemorySegment qs, long qAt, long qStride, MemorySegment ks, long kAt, long rowStride,
                           int headDim, int visible, float scale, float[] scores) {
        switch (width) {
            case 4 -> scoreQuads(qs, qAt, qStride, ks, kAt, rowStride, headDim, visible, scale, scores);
            case 2 -> scorePairs(qs, qAt, qStride, ks, kAt, rowStride, headDim, visible, scale, scores);
            default -> scores(qs, qAt, ks, kAt, rowStride, headDim, visible, scale, scores);
        }
    }

    /**
     * The weighted sums of {@code width} query heads: head j's weights at p[j visible, (j + 1) visible), its output
     * scaled by scales[scalesAt + j] to oAt + j oStride.
     */
    static void weightedSumHeads(int width, float[] p, int visible, MemorySegment vs, long vAt, long rowStride, int headDim,
                                 float[] scales, int scalesAt, MemorySegment os, long oAt, long oStride) {
        switch (width) {
            case 4 -> weightedSumQuads(p, visible, vs, vAt, rowStride, headDim, scales[scalesAt], scales[scalesAt + 1],
                    scales[scalesAt + 2], scales[scalesAt + 3], os, oAt, oStride);
            case 2 -> weightedSumPairs(p, visible, vs, vAt, rowStride, headDim, scales[scalesAt], scales[scalesAt + 1], os, oAt, oStride);
            default -> weightedSum(p, visible, vs, vAt, rowStride, headDim, scales[scalesAt], os, oAt);
        }
    }

    /** scores[s] = scale * q . k_s for s < visible: q the headDim floats at byte qAt of qs, k_s at kAt + s * rowStride of ks. */
    static void scores(MemorySegment qs, long qAt, MemorySegment ks, long kAt, long rowStride, int headDim,
                       int visible, float scale, float[] scores) {
        if (headDim % (4 * L) != 0) {
            scoresAnyWidth(qs, qAt, ks, kAt, rowStride, headDim, visible, scale, scores);
            return;
        }
        // q in four registers per 4L-wide slice, each row's slice then one load per register (one core, 64 wide:
        // 2.0 ns a score, against 6.5 reloading q and bounds-checking each load in a loop over the width)
        for (int d = 0; d < headDim; d += 4 * L) {
            FloatVector q0 = FloatVector.fromMemorySegment(F, qs, qAt + 4L * d, LE).mul(scale);
            FloatVector q1 = FloatVector.fromMemorySegment(F, qs, qAt + 4L * (d + L), LE).mul(scale);
            FloatVector q2 = FloatVector.fromMemorySegment(F, qs, qAt + 4L * (d + 2 * L), LE).mul(scale);
            FloatVector q3 = FloatVector.fromMemorySegment(F, qs, qAt + 4L * (d + 3 * L), LE).mul(scale);
            long at = kAt;
            for (int s = 0; s < visible; s++, at += rowStride) {
                FloatVector p = lanes(ks, at, d).mul(q0), r = lanes(ks, at, d + L).mul(q1);
                p = lanes(ks, at, d + 2 * L).fma(q2, p);
                r = lanes(ks, at, d + 3 * L).fma(q3, r);
                float part = p.add(r).reduceLanes(VectorOperators.ADD);
                scores[s] = d == 0 ? part : scores[s] + part;
            }
        }
    }

    /**
     * {@link #scores} of two query heads of one KV head at once (q at qAt and qAt + qStride; headDim a multiple of 4L):
     * each K row is loaded once for both, so the loop does half the loads a score. Head 0's scores go to
     * scores[0, visible), head 1's to scores[visible, 2 visible).
     */
    static void scorePairs(MemorySegment qs, long qAt, long qStride, MemorySegment ks, long kAt, long rowStride, int headDim,
                           int visible, float scale, float[] scores) {
        for (int d = 0; d < headDim; d += 4 * L) {
            FloatVector a0 = lanes(qs, qAt, d).mul(scale), a1 = lanes(qs, qAt, d + L).mul(scale);
            FloatVector a2 = lanes(qs, qAt, d + 2 * L).mul(scale), a3 = lanes(qs, qAt, d + 3 * L).mul(scale);
            FloatVector b0 = lanes(qs, qAt + qStride, d).mul(scale), b1 = lanes(qs, qAt + qStride, d + L).mul(scale);
            FloatVector b2 = lanes(qs, qAt + qStride, d + 2 * L).mul(scale), b3 = lanes(qs, qAt + qStride, d + 3 * L).mul(scale);
            long at = kAt;
            for (int s = 0; s < visible; s++, at += rowStride) {
                FloatVector k0 = lanes(ks, at, d), k1 = lanes(ks, at, d + L), k2 = lanes(ks, at, d + 2 * L), k3 = lanes(ks, at, d + 3 * L);
                float partA = k2.fma(a2, k0.mul(a0)).add(k3.fma(a3, k1.mul(a1))).reduceLanes(VectorOperators.ADD);
                float partB = k2.fma(b2, k0.mul(b0)).add(k3.fma(b3, k1.mul(b1))).reduceLanes(VectorOperators.ADD);
                scores[s] = d == 0 ? partA : scores[s] + partA;
                scores[visible + s] = d == 0 ? partB : scores[visible + s] + partB;
            }
        }
    }

    /**
     * {@link #scorePairs} of four query heads of one KV head (q at qAt + j qStride; headDim a multiple of 4L): head j's
     * scores go to scores[j visible, (j + 1) visible). Their q is copied, scaled, into an array first: its 16 vectors
     * loaded from the segment passed C2's inlining budget (NodeCountInliningCutoff), and the K loads came back as calls
     * on boxed vectors (656 against 74 us a layer). The heads' vectors are named a, b, c and e (d is the dimension).
     */
    static void scoreQuads(MemorySegment qs, long qAt, long qStride, MemorySegment ks, long kAt, long rowStride, int headDim,
                           int visible, float scale, float[] scores) {
        float[] q = Scratch.floats(Scratch.Slot.QUERIES, 4 * headDim);
        for (int j = 0; j < 4; j++) {
            for (int d = 0; d < headDim; d++) q[j * headDim + d] = scale * qs.get(FLOAT, qAt + j * qStride + 4L * d);
        }
        int h1 = headDim, h2 = 2 * headDim, h3 = 3 * headDim;
        for (int d = 0; d < headDim; d += 4 * L) {
            FloatVector a0 = FloatVector.fromArray(F, q, d), a1 = FloatVector.fromArray(F, q, d + L);
            FloatVector a2 = FloatVector.fromArray(F, q, d + 2 * L), a3 = FloatVector.fromArray(F, q, d + 3 * L);
            FloatVector b0 = FloatVector.fromArray(F, q, h1 + d), b1 = FloatVector.fromArray(F, q, h1 + d + L);
            FloatVector b2 = FloatVector.fromArray(F, q, h1 + d + 2 * L), b3 = FloatVector.fromArray(F, q, h1 + d + 3 * L);
            FloatVector c0 = FloatVector.fromArray(F, q, h2 + d), c1 = FloatVector.fromArray(F, q, h2 + d + L);
            FloatVector c2 = FloatVector.fromArray(F, q, h2 + d + 2 * L), c3 = FloatVector.fromArray(F, q, h2 + d + 3 * L);
            FloatVector e0 = FloatVector.fromArray(F, q, h3 + d), e1 = FloatVector.fromArray(F, q, h3 + d + L);
            FloatVector e2 = FloatVector.fromArray(F, q, h3 + d + 2 * L), e3 = FloatVector.fromArray(F, q, h3 + d + 3 * L);
            long at = kAt;
            for (int s = 0; s < visible; s++, at += rowStride) {
                FloatVector k0 = lanes(ks, at, d), k1 = lanes(ks, at, d + L), k2 = lanes(ks, at, d + 2 * L), k3 = lanes(ks, at, d + 3 * L);
                float partA = k2.fma(a2, k0.mul(a0)).add(k3.fma(a3, k1.mul(a1))).reduceLanes(VectorOperators.ADD);
                float partB = k2.fma(b2, k0.mul(b0)).add(k3.fma(b3, k1.mul(b1))).reduceLanes(VectorOperators.ADD);
                float partC = k2.fma(c2, k0.mul(c0)).add(k3.fma(c3, k1.mul(c1))).reduceLanes(VectorOperators.ADD);
                float partE = k2.fma(e2, k0.mul(e0)).add(k3.fma(e3, k1.mul(e1))).reduceLanes(VectorOperators.ADD);
                scores[s] = d == 0 ? partA : scores[s] + partA;
                scores[visible + s] = d == 0 ? partB : scores[visible + s] + partB;
                scores[2 * visible + s] = d == 0 ? partC : scores[2 * visible + s] + partC;
                scores[3 * visible + s] = d == 0 ? partE : scores[3 * visible + s] + partE;
            }
        }
    }

    private static void scoresAnyWidth(MemorySegment qs, long qAt, MemorySegment ks, long kAt, long rowStride,
                                       int headDim, int visible, float scale, float[] scores) {
        for (int s = 0; s < visible; s++, kAt += rowStride) {
            FloatVector acc = FloatVector.zero(F);
            int d = 0;
            for (; d <= headDim - L; d += L) acc = lanes(ks, kAt, d).fma(FloatVector.fromMemorySegment(F, qs, qAt + 4L * d, LE), acc);
            float dot = acc.reduceLanes(VectorOperators.ADD);
            for (; d < headDim; d++) dot += element(ks, kAt, d) * qs.get(FLOAT, qAt + 4L * d);
            scores[s] = scale * dot;
        }
    }

    /** out = scale * sum_s p[s] v_s over s < visible, v_s at vAt + s * rowStride of vs; out the headDim floats at oAt of os. */
    static void weightedSum(float[] p, int visible, MemorySegment vs, long vAt, long rowStride, int headDim,
                            float scale, MemorySegment os, long oAt) {
        int d = 0;
        for (; d <= headDim - 4 * L; d += 4 * L) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            long at = vAt;
            for (int s = 0; s < visible; s++, at += rowStride) {
                FloatVector ps = FloatVector.broadcast(F, p[s]);
                a0 = lanes(vs, at, d).fma(ps, a0);
                a1 = lanes(vs, at, d + L).fma(ps, a1);
                a2 = lanes(vs, at, d + 2 * L).fma(ps, a2);
                a3 = lanes(vs, at, d + 3 * L).fma(ps, a3);
            }
            a0.mul(scale).intoMemorySegment(os, oAt + 4L * d, LE);
            a1.mul(scale).intoMemorySegment(os, oAt + 4L * (d + L), LE);
            a2.mul(scale).intoMemorySegment(os, oAt + 4L * (d + 2 * L), LE);
            a3.mul(scale).intoMemorySegment(os, oAt + 4L * (d + 3 * L), LE);
        }
        for (; d <= headDim - L; d += L) {
            FloatVector a = FloatVector.zero(F);
            long at = vAt;
            for (int s = 0; s < visible; s++, at += rowStride) a = lanes(vs, at, d).fma(FloatVector.broadcast(F, p[s]), a);
            a.mul(scale).intoMemorySegment(os, oAt + 4L * d, LE);
        }
        for (; d < headDim; d++) {
            float sum = 0;
            long at = vAt;
            for (int s = 0; s < visible; s++, at += rowStride) sum += p[s] * element(vs, at, d);
            os.set(FLOAT, oAt + 4L * d, sum * scale);
        }
    }

    /**
     * {@link #weightedSum} of two query heads at once (headDim a multiple of 4L): p holds head 0's weights at [0,
     * visible) and head 1's at [visible, 2 visible), their outputs go to oAt and oAt + oStride, and each V row is loaded
     * once for both.
     */
    static void weightedSumPairs(float[] p, int visible, MemorySegment vs, long vAt, long rowStride, int headDim,
                                 float scaleA, float scaleB, MemorySegment os, long oAt, long oStride) {
        for (int d = 0; d < headDim; d += 4 * L) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            long at = vAt;
            for (int s = 0; s < visible; s++, at += rowStride) {
                FloatVector v0 = lanes(vs, at, d), v1 = lanes(vs, at, d + L), v2 = lanes(vs, at, d + 2 * L), v3 = lanes(vs, at, d + 3 * L);
                FloatVector pa = FloatVector.broadcast(F, p[s]), pb = FloatVector.broadcast(F, p[visible + s]);
                a0 = v0.fma(pa, a0);
                a1 = v1.fma(pa, a1);
                a2 = v2.fma(pa, a2);
                a3 = v3.fma(pa, a3);
                b0 = v0.fma(pb, b0);
                b1 = v1.fma(pb, b1);
                b2 = v2.fma(pb, b2);
                b3 = v3.fma(pb, b3);
            }
            a0.mul(scaleA).intoMemorySegment(os, oAt + 4L * d, LE);
            a1.mul(scaleA).intoMemorySegment(os, oAt + 4L * (d + L), LE);
            a2.mul(scaleA).intoMemorySegment(os, oAt + 4L * (d + 2 * L), LE);
            a3.mul(scaleA).intoMemorySegment(os, oAt + 4L * (d + 3 * L), LE);
            b0.mul(scaleB).intoMemorySegment(os, oAt + oStride + 4L * d, LE);
            b1.mul(scaleB).intoMemorySegment(os, oAt + oStride + 4L * (d + L), LE);
            b2.mul(scaleB).intoMemorySegment(os, oAt + oStride + 4L * (d + 2 * L), LE);
            b3.mul(scaleB).intoMemorySegment(os, oAt + oStride + 4L * (d + 3 * L), LE);
        }
    }

    /**
     * {@link #weightedSumPairs} of four query heads: p holds head j's weights at [j visible, (j + 1) visible), its
     * output goes to oAt + j oStride with scale scales[j].
     */
    static void weightedSumQuads(float[] p, int visible, MemorySegment vs, long vAt, long rowStride, int headDim,
                                 float scaleA, float scaleB, float scaleC, float scaleE, MemorySegment os, long oAt, long oStride) {
        for (int d = 0; d < headDim; d += 4 * L) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0, e0 = a0, e1 = a0, e2 = a0, e3 = a0;
            long at = vAt;
            for (int s = 0; s < visible; s++, at += rowStride) {
                FloatVector v0 = lanes(vs, at, d), v1 = lanes(vs, at, d + L), v2 = lanes(vs, at, d + 2 * L), v3 = lanes(vs, at, d + 3 * L);
                FloatVector pa = FloatVector.broadcast(F, p[s]), pb = FloatVector.broadcast(F, p[visible + s]);
                FloatVector pc = FloatVector.broadcast(F, p[2 * visible + s]), pe = FloatVector.broadcast(F, p[3 * visible + s]);
                a0 = v0.fma(pa, a0);
                a1 = v1.fma(pa, a1);
                a2 = v2.fma(pa, a2);
                a3 = v3.fma(pa, a3);
                b0 = v0.fma(pb, b0);
                b1 = v1.fma(pb, b1);
                b2 = v2.fma(pb, b2);
                b3 = v3.fma(pb, b3);
                c0 = v0.fma(pc, c0);
                c1 = v1.fma(pc, c1);
                c2 = v2.fma(pc, c2);
                c3 = v3.fma(pc, c3);
                e0 = v0.fma(pe, e0);
                e1 = v1.fma(pe, e1);
                e2 = v2.fma(pe, e2);
                e3 = v3.fma(pe, e3);
            }
            a0.mul(scaleA).intoMemorySegment(os, oAt + 4L * d, LE);
            a1.mul(scaleA).intoMemorySegment(os, oAt + 4L * (d + L), LE);
            a2.mul(scaleA).intoMemorySegment(os, oAt + 4L * (d + 2 * L), LE);
            a3.mul(scaleA).intoMemorySegment(os, oAt + 4L * (d + 3 * L), LE);
            b0.mul(scaleB).intoMemorySegment(os, oAt + oStride + 4L * d, LE);
            b1.mul(scaleB).intoMemorySegment(os, oAt + oStride + 4L * (d + L), LE);
            b2.mul(scaleB).intoMemorySegment(os, oAt + oStride + 4L * (d + 2 * L), LE);
            b3.mul(scaleB).intoMemorySegment(os, oAt + oStride + 4L * (d + 3 * L), LE);
            c0.mul(scaleC).intoMemorySegment(os, oAt + 2 * oStride + 4L * d, LE);
            c1.mul(scaleC).intoMemorySegment(os, oAt + 2 * oStride + 4L * (d + L), LE);
            c2.mul(scaleC).intoMemorySegment(os, oAt + 2 * oStride + 4L * (d + 2 * L), LE);
            c3.mul(scaleC).intoMemorySegment(os, oAt + 2 * oStride + 4L * (d + 3 * L), LE);
            e0.mul(scaleE).intoMemorySegment(os, oAt + 3 * oStride + 4L * d, LE);
            e1.mul(scaleE).intoMemorySegment(os, oAt + 3 * oStride + 4L * (d + L), LE);
            e2.mul(scaleE).intoMemorySegment(os, oAt + 3 * oStride + 4L * (d + 2 * L), LE);
            e3.mul(scaleE).intoMemorySegment(os, oAt + 3 * oStride + 4L * (d + 3 * L), LE);
        }
    }

    /**
     * Rows [from, to) of one KV head, each headDim values of type t at {@code at + s * rowStride} of src, as F32 rows
     * of headDim floats side by side in dst: {@link WeightRows#decode}'s conversion, but into off-heap memory (read
     * from a heap array, the two loops above ran 2x slower) and with no call per row (25 ns each); rows one after
     * another (a head-major cache) as one run ({@link WeightRows#decodeRun16}).
     */
    static void stage(DType t, MemorySegment src, long at, long rowStride, int headDim, int from, int to, MemorySegment dst) {
        if (t != DType.F32 && rowStride == t.bytes(headDim)) {
            WeightRows.decodeRun16(t, src, at + from * rowStride, (long) (to - from) * headDim, dst, 4L * from * headDim);
            return;
        }
        for (int s = from; s < to; s++) {
            long row = at + s * rowStride, staged = 4L * s * headDim;
            if (t == DType.F32) {
                MemorySegment.copy(src, row, dst, staged, 4L * headDim);
                continue;
            }
            int d = 0;
            for (; d <= headDim - L; d += L) WeightRows.load16(t, src, row + 2L * d).intoMemorySegment(dst, staged + 4L * d, LE);
            for (; d < headDim; d++) dst.set(FLOAT, staged + 4L * d, WeightRows.scalar16(t, src.get(SHORT, row + 2L * d)));
        }
    }

    /** Elements d..d+L of the row at byte {@code at} of s. */
    private static FloatVector lanes(MemorySegment s, long at, int d) {
        return FloatVector.fromMemorySegment(F, s, at + 4L * d, LE);
    }

    private static float element(MemorySegment s, long at, int d) {
        return s.get(FLOAT, at + 4L * d);
    }
}
