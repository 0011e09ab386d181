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

    private AttentionRows() {}

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
