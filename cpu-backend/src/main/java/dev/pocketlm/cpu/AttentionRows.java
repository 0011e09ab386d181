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
     * Rows [from, to) of one KV head, each headDim values of type t at {@code at + s * rowStride} of src, as F32 rows
     * of headDim floats side by side in dst: {@link WeightRows#decode}'s conversion, but into off-heap memory (read
     * from a heap array, the two loops above ran 2x slower) and with no call per row (25 ns each).
     */
    static void stage(DType t, MemorySegment src, long at, long rowStride, int headDim, int from, int to, MemorySegment dst) {
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
