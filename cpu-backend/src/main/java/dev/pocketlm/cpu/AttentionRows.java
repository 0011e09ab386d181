package dev.pocketlm.cpu;

import dev.pocketlm.tensor.DType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * One query head's attention over its visible cache rows, read in place (F32 or F16 rows of {@code headDim},
 * {@code rowStride} bytes apart): the scores, then the softmax-weighted sum of values. Both loops are plain vector
 * code with no calls inside, holding q (scores) or four accumulators (the sum) in registers across the rows:
 * TinyLlama's 32 heads over 96 positions, two cores, cache-resident, 27 -> 8 us (through a row-dot call and an
 * array accumulator per position before).
 */
final class AttentionRows {
    private static final VectorSpecies<Float> F = WeightRows.F;
    private static final int L = WeightRows.L;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;

    private AttentionRows() {}

    /** scores[s] = scale * q . k_s for s < visible: q the headDim floats at byte qAt of qs, k_s at kAt + s * rowStride of ks. */
    static void scores(MemorySegment qs, long qAt, DType kType, MemorySegment ks, long kAt, long rowStride, int headDim,
                       int visible, float scale, float[] scores) {
        if (headDim % (4 * L) != 0) {
            scoresAnyWidth(qs, qAt, kType, ks, kAt, rowStride, headDim, visible, scale, scores);
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
                FloatVector p = lanes(kType, ks, at, d).mul(q0), r = lanes(kType, ks, at, d + L).mul(q1);
                p = lanes(kType, ks, at, d + 2 * L).fma(q2, p);
                r = lanes(kType, ks, at, d + 3 * L).fma(q3, r);
                float part = p.add(r).reduceLanes(VectorOperators.ADD);
                scores[s] = d == 0 ? part : scores[s] + part;
            }
        }
    }

    private static void scoresAnyWidth(MemorySegment qs, long qAt, DType kType, MemorySegment ks, long kAt, long rowStride,
                                       int headDim, int visible, float scale, float[] scores) {
        for (int s = 0; s < visible; s++, kAt += rowStride) {
            FloatVector acc = FloatVector.zero(F);
            int d = 0;
            for (; d <= headDim - L; d += L) acc = lanes(kType, ks, kAt, d).fma(FloatVector.fromMemorySegment(F, qs, qAt + 4L * d, LE), acc);
            float dot = acc.reduceLanes(VectorOperators.ADD);
            for (; d < headDim; d++) dot += element(kType, ks, kAt, d) * qs.get(FLOAT, qAt + 4L * d);
            scores[s] = scale * dot;
        }
    }

    /** out = scale * sum_s p[s] v_s over s < visible, v_s at vAt + s * rowStride of vs; out the headDim floats at oAt of os. */
    static void weightedSum(float[] p, int visible, DType vType, MemorySegment vs, long vAt, long rowStride, int headDim,
                            float scale, MemorySegment os, long oAt) {
        int d = 0;
        for (; d <= headDim - 4 * L; d += 4 * L) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            long at = vAt;
            for (int s = 0; s < visible; s++, at += rowStride) {
                FloatVector ps = FloatVector.broadcast(F, p[s]);
                a0 = lanes(vType, vs, at, d).fma(ps, a0);
                a1 = lanes(vType, vs, at, d + L).fma(ps, a1);
                a2 = lanes(vType, vs, at, d + 2 * L).fma(ps, a2);
                a3 = lanes(vType, vs, at, d + 3 * L).fma(ps, a3);
            }
            a0.mul(scale).intoMemorySegment(os, oAt + 4L * d, LE);
            a1.mul(scale).intoMemorySegment(os, oAt + 4L * (d + L), LE);
            a2.mul(scale).intoMemorySegment(os, oAt + 4L * (d + 2 * L), LE);
            a3.mul(scale).intoMemorySegment(os, oAt + 4L * (d + 3 * L), LE);
        }
        for (; d <= headDim - L; d += L) {
            FloatVector a = FloatVector.zero(F);
            long at = vAt;
            for (int s = 0; s < visible; s++, at += rowStride) a = lanes(vType, vs, at, d).fma(FloatVector.broadcast(F, p[s]), a);
            a.mul(scale).intoMemorySegment(os, oAt + 4L * d, LE);
        }
        for (; d < headDim; d++) {
            float sum = 0;
            long at = vAt;
            for (int s = 0; s < visible; s++, at += rowStride) sum += p[s] * element(vType, vs, at, d);
            os.set(FLOAT, oAt + 4L * d, sum * scale);
        }
    }

    /** Elements d..d+L of the F32 or F16 row at byte {@code at} of s, as floats. */
    private static FloatVector lanes(DType t, MemorySegment s, long at, int d) {
        return t == DType.F32 ? FloatVector.fromMemorySegment(F, s, at + 4L * d, LE) : WeightRows.load16(t, s, at + 2L * d);
    }

    private static float element(DType t, MemorySegment s, long at, int d) {
        return t == DType.F32 ? s.get(FLOAT, at + 4L * d) : Float.float16ToFloat(s.get(SHORT, at + 2L * d));
    }
}
