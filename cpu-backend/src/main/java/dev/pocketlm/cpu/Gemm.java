package dev.pocketlm.cpu;

import dev.pocketlm.tensor.DType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Batched GEMM out = op(a) op(b) with F32 activations a, out and b in any {@link WeightRows} dtype (non-F32 only as
 * transposed [N, K] rows), in the BLIS layout: per thread, a KC x NC panel of op(b) is packed (decoded, transposed)
 * into NR-wide strips, an MC x KC panel of op(a) into MR-high strips, and an MR x NR register tile accumulates
 * over the KC depth. Work is split over (batch, row group, column block) tasks.
 */
final class Gemm {
    private static final VectorSpecies<Float> F = WeightRows.F;
    private static final int L = WeightRows.L;
    /** Register tile: MR rows x two vectors; 12 accumulators fit the 16 (AVX2) or 32 (AVX-512) vector registers. */
    private static final int MR = 6, NR = 2 * L;
    /** Depth of a packed panel: an NR x KC strip of b (32 KiB on AVX-512) stays in L1. Whole Q blocks. */
    private static final int KC = 256;
    /** Rows of a packed a panel (96 x KC floats, L2) and columns of a b panel (KC x 256, L2). */
    private static final int MC = 16 * MR;
    private static final int NC = 256;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /**
     * Operands of one batched product. a holds {@code batches} matrices [m, k] ([k, m] when transA); b holds
     * batches / perB matrices [k, n] ([n, k] when transB) of dtype bType, or b's rows come from bPacked when not
     * null; out holds batches [m, n].
     */
    record Problem(MemorySegment a, MemorySegment b, DType bType, PackedWeight bPacked, MemorySegment out,
                   int batches, int perB, int m, int k, int n, boolean transA, boolean transB) {}

    private Gemm() {}

    static void multiply(Problem p, CpuThreads threads, boolean parallel) {
        if (p.m == 0 || p.n == 0) return;
        int nBlocks = ceilDiv(p.n, NC);
        int wanted = 4 * threads.size();
        int mGroups = Math.clamp(ceilDiv(wanted, (long) p.batches * nBlocks), 1, Math.max(1, ceilDiv(p.m, MC)));
        int groupRows = ceilDiv(ceilDiv(p.m, mGroups), MR) * MR;
        int groups = Math.max(1, ceilDiv(p.m, groupRows));
        int tasks = p.batches * groups * nBlocks;
        threads.forEach(tasks, 1, parallel, (start, end) -> {
            for (int t = start; t < end; t++) {
                int batch = t / (groups * nBlocks), rest = t % (groups * nBlocks);
                int m0 = rest / nBlocks * groupRows, n0 = rest % nBlocks * NC;
                block(p, batch, m0, Math.min(p.m, m0 + groupRows), n0, Math.min(NC, p.n - n0));
            }
        });
    }

    /** out rows [m0, m1) x columns [n0, n0 + nc) of one batch. */
    private static void block(Problem p, int batch, int m0, int m1, int n0, int nc) {
        long aBase = 4L * batch * p.m * p.k;
        long bBase = p.bType.bytes((long) (batch / p.perB) * p.k * p.n);
        long outBase = 4L * batch * p.m * p.n, rowBytes = 4L * p.n;
        if (p.k == 0) {
            for (int r = m0; r < m1; r++) p.out.asSlice(outBase + r * rowBytes + 4L * n0, 4L * nc).fill((byte) 0);
            return;
        }
        float[] packedB = Scratch.floats(Scratch.Slot.PACKED_B, KC * ceilDiv(nc, NR) * NR);
        float[] packedA = Scratch.floats(Scratch.Slot.PACKED_A, KC * MC);
        // fetched once per block rather than per tile (a thread-local lookup)
        float[] spill = Scratch.floats(Scratch.Slot.TILE, MR * NR);
        for (int k0 = 0; k0 < p.k; k0 += KC) {
            int kc = Math.min(KC, p.k - k0);
            packB(p, bBase, k0, kc, n0, nc, packedB);
            for (int mb = m0; mb < m1; mb += MC) {
                int mc = Math.min(MC, m1 - mb);
                packA(p, aBase, mb, mc, k0, kc, packedA);
                for (int js = 0; js < nc; js += NR) {
                    for (int is = 0; is < mc; is += MR) {
                        long at = outBase + (mb + is) * rowBytes + 4L * (n0 + js);
                        tile(packedA, is * kc, packedB, js * kc, kc, p.out, at, rowBytes,
                                Math.min(MR, mc - is), Math.min(NR, nc - js), k0 > 0, spill);
                    }
                }
            }
        }
    }

    /**
     * packedA[strip][k][r] = op(a)[mb + strip * MR + r, k0 + k], zero past the last row; with k in b's packed order
     * when b comes from a {@link PackedWeight}.
     */
    private static void packA(Problem p, long aBase, int mb, int mc, int k0, int kc, float[] packedA) {
        for (int is = 0; is < mc; is += MR) {
            int base = is * kc;
            for (int r = 0; r < MR; r++) {
                int row = mb + is + r;
                if (is + r >= mc) {
                    for (int k = 0; k < kc; k++) packedA[base + k * MR + r] = 0;
                } else if (p.bPacked != null) {
                    long rowAt = aBase + 4L * row * p.k;
                    for (int k = 0; k < kc; k++) packedA[base + k * MR + r] = p.a.get(FLOAT, rowAt + 4L * p.bPacked.naturalIndex(k0 + k));
                } else if (p.transA) {
                    for (int k = 0; k < kc; k++) packedA[base + k * MR + r] = p.a.get(FLOAT, aBase + 4L * ((long) (k0 + k) * p.m + row));
                } else {
                    long rowAt = aBase + 4L * ((long) row * p.k + k0);
                    for (int k = 0; k < kc; k++) packedA[base + k * MR + r] = p.a.get(FLOAT, rowAt + 4L * k);
                }
            }
        }
    }

    /** packedB[strip][k][c] = op(b)[k0 + k, n0 + strip * NR + c], zero past the last column. */
    private static void packB(Problem p, long bBase, int k0, int kc, int n0, int nc, float[] packedB) {
        int strips = ceilDiv(nc, NR);
        if (p.transB) {
            float[] row = Scratch.floats(Scratch.Slot.ROW, KC);
            for (int c = 0; c < strips * NR; c++) {
                int base = c / NR * NR * kc + c % NR;
                if (c >= nc) {
                    for (int k = 0; k < kc; k++) packedB[base + k * NR] = 0;
                    continue;
                }
                if (p.bPacked != null) {
                    p.bPacked.decode(n0 + c, k0, kc, row);
                } else {
                    WeightRows.decode(p.bType, p.b, bBase + p.bType.bytes((long) (n0 + c) * p.k + k0), row, 0, kc);
                }
                for (int k = 0; k < kc; k++) packedB[base + k * NR] = row[k];
            }
            return;
        }
        for (int s = 0; s < strips; s++) {
            int cols = Math.min(NR, nc - s * NR);
            VectorMask<Float> m0 = F.indexInRange(0, cols), m1 = F.indexInRange(L, cols);
            for (int k = 0; k < kc; k++) {
                long at = bBase + 4L * ((long) (k0 + k) * p.n + n0 + s * NR);
                int to = s * NR * kc + k * NR;
                FloatVector.fromMemorySegment(F, p.b, at, LE, m0).intoArray(packedB, to);
                FloatVector.fromMemorySegment(F, p.b, at + 4L * L, LE, m1).intoArray(packedB, to + L);
            }
        }
    }

    /**
     * An MR x NR tile of out at byte {@code at}: packed a strip times packed b strip, added to out when accumulating;
     * spill holds MR x NR floats.
     */
    private static void tile(float[] a, int aOff, float[] b, int bOff, int kc, MemorySegment out, long at, long rowBytes,
                             int rows, int cols, boolean accumulate, float[] spill) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        for (int k = 0, ai = aOff, bi = bOff; k < kc; k++, ai += MR, bi += NR) {
            FloatVector b0 = FloatVector.fromArray(F, b, bi), b1 = FloatVector.fromArray(F, b, bi + L);
            FloatVector x = FloatVector.broadcast(F, a[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(F, a[ai + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(F, a[ai + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(F, a[ai + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(F, a[ai + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(F, a[ai + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        // spilled to an array, then written: a method taking vectors, if not inlined, would box them
        c00.intoArray(spill, 0);
        c01.intoArray(spill, L);
        c10.intoArray(spill, NR);
        c11.intoArray(spill, NR + L);
        c20.intoArray(spill, 2 * NR);
        c21.intoArray(spill, 2 * NR + L);
        c30.intoArray(spill, 3 * NR);
        c31.intoArray(spill, 3 * NR + L);
        c40.intoArray(spill, 4 * NR);
        c41.intoArray(spill, 4 * NR + L);
        c50.intoArray(spill, 5 * NR);
        c51.intoArray(spill, 5 * NR + L);
        writeTile(spill, out, at, rowBytes, rows, cols, accumulate);
    }

    /** The first rows x cols of an MR x NR tile written to (or added to) out at byte {@code at}. */
    private static void writeTile(float[] tile, MemorySegment out, long at, long rowBytes, int rows, int cols, boolean accumulate) {
        for (int r = 0; r < rows; r++, at += rowBytes) {
            for (int c = 0; c < cols; c += L) {
                VectorMask<Float> m = F.indexInRange(c, cols);
                FloatVector v = FloatVector.fromArray(F, tile, r * NR + c);
                if (accumulate) v = v.add(FloatVector.fromMemorySegment(F, out, at + 4L * c, LE, m));
                v.intoMemorySegment(out, at + 4L * c, LE, m);
            }
        }
    }

    private static int ceilDiv(long x, long y) { return Math.toIntExact((x + y - 1) / y); }
}
