package dev.pocketlm.cpu;

import dev.pocketlm.tensor.DType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Batched GEMM out = op(a) op(b) with F32 activations a, out and b in any {@link WeightRows} dtype (non-F32 only as
 * transposed [N, K] rows), in the BLIS layout: per thread, a KC x NC panel of op(b) is packed (decoded, transposed)
 * into NR-wide strips, an MC x KC panel of op(a) into MR-high strips, and an MR x NR register tile accumulates
 * over the KC depth. Work is split over (batch, row group, column block) tasks. A {@link PackedWeight} goes the other
 * way round ({@link #multiplyPacked}): its rows are the broadcast operand, so they are decoded but never transposed.
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
    /**
     * Activation rows per pass of {@link #multiplyPacked} and of Q4_0's token tiles: bounds their copies of the
     * activations (128 x 5632 floats: 2.9 MB).
     */
    static final int TOKENS_PER_PASS = 128;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /**
     * Operands of one batched product. a holds {@code batches} matrices [m, k] ([k, m] when transA); b holds
     * batches / perB matrices [k, n] ([n, k] when transB) of dtype bType; out holds batches [m, n].
     */
    record Problem(MemorySegment a, MemorySegment b, DType bType, MemorySegment out,
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
                        tile(packedA, is * kc, MR, 1, packedB, js * kc, kc, spill);
                        writeTile(spill, p.out, at, rowBytes, Math.min(MR, mc - is), Math.min(NR, nc - js), k0 > 0);
                    }
                }
            }
        }
    }

    /** packedA[strip][k][r] = op(a)[mb + strip * MR + r, k0 + k], zero past the last row. */
    private static void packA(Problem p, long aBase, int mb, int mc, int k0, int kc, float[] packedA) {
        for (int is = 0; is < mc; is += MR) {
            int base = is * kc;
            for (int r = 0; r < MR; r++) {
                int row = mb + is + r;
                if (is + r >= mc) {
                    for (int k = 0; k < kc; k++) packedA[base + k * MR + r] = 0;
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
                WeightRows.decode(p.bType, p.b, bBase + p.bType.bytes((long) (n0 + c) * p.k + k0), row, 0, kc);
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
     * The MR x NR register tile: spill[r NR + c] = sum over k < kc of a[aOff + k aStep + r aRow] b[bOff + k NR + c].
     * A packed a strip has aStep = MR, aRow = 1; MR weight rows stored whole have aStep = 1, aRow = their length.
     */
    private static void tile(float[] a, int aOff, int aStep, int aRow, float[] b, int bOff, int kc, float[] spill) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        int a1 = aRow, a2 = 2 * aRow, a3 = 3 * aRow, a4 = 4 * aRow, a5 = 5 * aRow;
        for (int k = 0, ai = aOff, bi = bOff; k < kc; k++, ai += aStep, bi += NR) {
            FloatVector b0 = FloatVector.fromArray(F, b, bi), b1 = FloatVector.fromArray(F, b, bi + L);
            FloatVector x = FloatVector.broadcast(F, a[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(F, a[ai + a1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(F, a[ai + a2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(F, a[ai + a3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(F, a[ai + a4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(F, a[ai + a5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        // spilled to an array for the caller to write: a method taking vectors, if not inlined, would box them
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

    /**
     * out [m, n] = a [m, k] w^T for a {@link PackedWeight} w [n, k], the weight as the broadcast operand: each task
     * decodes MR weight rows whole (vector stores, nothing transposed) and runs them against the activations, packed
     * per pass of up to {@link #TOKENS_PER_PASS} rows into NR-token strips in w's column order. Decoding the weight
     * into transposed B strips instead (one scalar store per weight) took 40% of a 64-token matmul: TinyLlama Q4_0
     * prompt 105 -> 145 tokens/s.
     */
    static void multiplyPacked(MemorySegment a, PackedWeight w, MemorySegment out, int m, int k, int n,
                               CpuThreads threads, boolean parallel) {
        int groups = ceilDiv(n, MR), grain = Math.max(1, groups / (8 * threads.size()));
        for (int m0 = 0; m0 < m; m0 += TOKENS_PER_PASS) {
            int tokens = Math.min(TOKENS_PER_PASS, m - m0), strips = ceilDiv(tokens, NR);
            float[] packedTokens = Scratch.floats(Scratch.Slot.PACKED_B, strips * NR * k);
            long aAt = 4L * m0 * k;
            threads.forEach(strips * NR, NR, parallel, (start, end) -> {
                for (int t = start; t < end; t++) packToken(a, aAt, w, t, tokens, k, packedTokens);
            });
            long outAt = 4L * m0 * n;
            threads.forEach(groups, grain, parallel, (start, end) -> {
                float[] rows = Scratch.floats(Scratch.Slot.PACKED_A, MR * k);
                float[] spill = Scratch.floats(Scratch.Slot.TILE, MR * NR);
                for (int g = start; g < end; g++) {
                    int j0 = g * MR, count = Math.min(MR, n - j0);
                    for (int r = 0; r < MR; r++) {
                        if (r >= count) {
                            Arrays.fill(rows, r * k, (r + 1) * k, 0);
                            continue;
                        }
                        for (int k0 = 0; k0 < k; k0 += KC) w.decode(j0 + r, k0, Math.min(KC, k - k0), rows, r * k + k0);
                    }
                    for (int s = 0; s < strips; s++) {
                        tile(rows, 0, 1, k, packedTokens, s * NR * k, k, spill);
                        for (int c = 0; c < Math.min(NR, tokens - s * NR); c++) {
                            long at = outAt + 4L * ((long) (s * NR + c) * n + j0);
                            for (int r = 0; r < count; r++) out.set(FLOAT, at + 4L * r, spill[r * NR + c]);
                        }
                    }
                }
            });
        }
    }

    /** Token t of a pass into packedTokens[strip][kp][t % NR] (kp in w's column order); zero past the pass's tokens. */
    private static void packToken(MemorySegment a, long aAt, PackedWeight w, int t, int tokens, int k, float[] packedTokens) {
        int base = t / NR * NR * k + t % NR;
        long rowAt = aAt + 4L * t * k;
        for (int kp = 0; kp < k; kp++) packedTokens[base + kp * NR] = t < tokens ? a.get(FLOAT, rowAt + 4L * w.naturalIndex(kp)) : 0;
    }

    private static int ceilDiv(long x, long y) { return Math.toIntExact((x + y - 1) / y); }
}
