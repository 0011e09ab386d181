package dev.pocketlm.cpu;

import dev.pocketlm.tensor.DType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Q8_0 and Q4_0 weight rows repacked once for the one-token matvec ("blocks in lanes"). In ggml's layout a block's
 * 32 weights sit side by side, so a dot product reduces every block across lanes and scales it alone. Here a row's
 * blocks go in groups of L (the float lanes of a vector) and each group's quants are stored as 4-byte words,
 * word-major: word m of block l at {@code 4L m + 4l} of the group's words. One vector load holds word m of L blocks,
 * and one AND + convert + FMA handles L weights, the scales applied once per group (one AVX-512 core, 2048 columns
 * in L2: Q8_0 41 GB/s against 26 in ggml's layout, Q4_0 21 against 14). The matrix is stored as column panels
 * of {@link #PANEL_GROUPS} groups, each panel all rows long; a panel's row is its groups' L F16 scales, then their
 * words, 64-byte aligned. The blocks after the last whole group follow, every row's in ggml's layout. Layout decides
 * the DRAM rate (Q8_0 32000 x 2048 matvec, 2 threads): scales inside each group, so half the word loads split two
 * cache lines, 13 GB/s; aligned words with the scales after them, 26; scales first, so a row is read front to
 * back, 47 (ggml's layout: 44). The activations are rearranged to match once per matmul ({@link #prepare}).
 * Q8_0 quants are stored plus 128 (unsigned), Q4_0's already are plus 8: the offset comes off per block as
 * offset * sum(x).
 */
final class PackedRows implements PackedWeight {
    private static final VectorSpecies<Float> F = WeightRows.F;
    private static final int L = WeightRows.L;
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, F.vectorShape());
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final int BLOCK = 32;
    /**
     * Groups per column panel: 4 (2048 columns on AVX-512) keeps a panel's activations (8 KiB) in L1 while the
     * weights stream past. TinyLlama's Q8_0 FFN down projections (K = 5632) from DRAM, 2 threads: 22 GB/s as whole
     * rows, 28 in panels of 2 groups, 31-34 in panels of 4; rows of 2048 columns are one panel as before.
     */
    private static final int PANEL_GROUPS = 4;

    private final DType dtype;
    private final int rows, k, groups;
    /** Bytes of: a source row; a group (L blocks); a group's quant words; a row's blocks after the last group. */
    private final long rowBytes, groupBytes, wordBytes, tailBytes;
    /** Per column panel: where it starts, its row stride, and its scales' bytes (then its words); the tail's start. */
    private final long[] panelStart, panelRowBytes, panelScaleBytes;
    private final long tailStart;
    private final Arena arena;
    private final MemorySegment packed;
    /**
     * Set while packing when a scale is Inf or NaN, as {@link PanelRows} checks F16 values; without any, scales
     * convert in three operations instead of eight (TinyLlama Q4_0 matvecs +1-3%, same process). Plain, not volatile,
     * so the kernels read it once: every write happens before {@link #pack} returns.
     */
    private boolean infOrNaNScale;
    /** naturalIndex[k'] = the row element at position k' of the packed order (the identity past the groups). */
    private final int[] naturalIndex;
    /** fieldScale[k'] = 2^-(low bit of the field k' reads), or 1 for the top field (shifted down instead). */
    private final float[] fieldScale;

    private PackedRows(DType dtype, int rows, int k) {
        this.dtype = dtype;
        this.rows = rows;
        this.k = k;
        this.groups = k / BLOCK / L;
        this.rowBytes = dtype.bytes(k);
        this.groupBytes = dtype.bytes((long) L * BLOCK);
        this.wordBytes = groupBytes - 2L * L;
        this.tailBytes = rowBytes - groups * groupBytes;
        int panels = (groups + PANEL_GROUPS - 1) / PANEL_GROUPS;
        panelStart = new long[panels];
        panelRowBytes = new long[panels];
        panelScaleBytes = new long[panels];
        long at = 0;
        for (int p = 0; p < panels; p++) {
            int g = Math.min(PANEL_GROUPS, groups - p * PANEL_GROUPS);
            panelStart[p] = at;
            panelScaleBytes[p] = lineUp(2L * L * g);
            panelRowBytes[p] = panelScaleBytes[p] + g * wordBytes;
            at += rows * panelRowBytes[p];
        }
        this.tailStart = at;
        this.arena = Arena.ofShared();
        this.packed = arena.allocate(Math.max(1, tailStart + rows * tailBytes), 64);
        this.naturalIndex = new int[k];
        for (int kp = 0; kp < k; kp++) naturalIndex[kp] = kp < groups * L * BLOCK ? natural(kp) : kp;
        this.fieldScale = new float[groups * L * BLOCK];
        for (int kp = 0; kp < fieldScale.length; kp++) {
            int j = kp % (L * BLOCK) / L % fields();
            fieldScale[kp] = j == fields() - 1 ? 1 : Math.scalb(1f, -fieldBits() * j);
        }
    }

    /**
     * The natural position of packed position kp: group g, slot s (field j of word m), lane l is element e of block
     * g L + l, where Q4_0's byte i of word m holds elements 4m + i (low nibble) and 16 + 4m + i (high nibble).
     */
    private int natural(int kp) {
        int g = kp / (L * BLOCK), s = kp % (L * BLOCK) / L, l = kp % L;
        int m = s / fields(), j = s % fields();
        int element = dtype == DType.Q4_0 ? (j % 2 == 0 ? 0 : 16) + 4 * m + j / 2 : 4 * m + j;
        return (g * L + l) * BLOCK + element;
    }

    /** Quant fields per 4-byte word: 8 nibbles (Q4_0) or 4 bytes (Q8_0). */
    private int fields() { return dtype == DType.Q4_0 ? 8 : 4; }

    private int fieldBits() { return 32 / fields(); }

    /** What the stored quants are above the signed value: 8 for Q4_0, 128 for Q8_0 (stored unsigned). */
    private float zeroPoint() { return dtype == DType.Q4_0 ? 8 : 128; }

    /** Whether rows of {@code k} elements of this dtype pack on this machine (at least one whole group). */
    static boolean supports(DType dtype, int k) {
        return (dtype == DType.Q8_0 || dtype == DType.Q4_0) && WeightRows.QUANTIZED && k / BLOCK >= L;
    }

    /**
     * Packs {@code rows} rows of {@code k} elements at byte {@code sourceOffset} of {@code source}, in parallel when
     * {@code parallel}. A mapped source is then unloaded from memory: its rows are not read again by a matmul.
     */
    static PackedRows pack(MemorySegment source, long sourceOffset, DType dtype, int rows, int k, CpuThreads threads,
                           boolean parallel) {
        PackedRows p = new PackedRows(dtype, rows, k);
        MemorySegment src = source.asSlice(sourceOffset, rows * p.rowBytes);
        PackedWeight.packRows(src, rows, threads, parallel, r -> p.packRow(src, r));
        return p;
    }

    private void packRow(MemorySegment src, int row) {
        int quantWords = 32 / fields(), flip = flip();
        long from = row * rowBytes, blockBytes = dtype.bytes(BLOCK);
        for (int g = 0; g < groups; g++) {
            for (int l = 0; l < L; l++) {
                long block = from + (g * L + l) * blockBytes;
                packed.set(SHORT, scalesAt(row, g) + 2L * l, src.get(SHORT, block));
                for (int m = 0; m < quantWords; m++) {
                    packed.set(INT, wordsAt(row, g) + 4L * L * m + 4L * l, src.get(INT, block + 2 + 4L * m) ^ flip);
                }
            }
            if (WeightRows.hasInfOrNaN16(packed, scalesAt(row, g), L)) infOrNaNScale = true;
        }
        MemorySegment.copy(src, from + groups * groupBytes, packed, tailAt(row), tailBytes);
    }

    private static long lineUp(long bytes) { return (bytes + 63) / 64 * 64; }

    /** Where group g's L F16 scales are for a row: its panel's row holds its groups' scales first, read in order. */
    private long scalesAt(int row, int g) {
        int p = g / PANEL_GROUPS;
        return panelStart[p] + row * panelRowBytes[p] + 2L * L * (g % PANEL_GROUPS);
    }

    /** Where group g's quant words start for a row: 64-byte aligned, so every vector load is one cache line. */
    private long wordsAt(int row, int g) {
        int p = g / PANEL_GROUPS;
        return panelStart[p] + row * panelRowBytes[p] + panelScaleBytes[p] + (g % PANEL_GROUPS) * wordBytes;
    }

    /** Where a row's blocks after the last group are, in ggml's layout. */
    private long tailAt(int row) { return tailStart + row * tailBytes; }

    /**
     * Lays out one activation row x[xOff, xOff + k) for {@link #multiply}: xt[xOff...] gets, per group, slot s (the bit
     * field of a quant word) for each of the L blocks, scaled by 2^-(field's low bit) so that a masked, unshifted
     * field converts to the right value; offsets[blockOff + b] = the quant offset times sums[blockOff + b], the
     * {@link WeightRows#blockSums} of the row.
     */
    void prepare(float[] x, int xOff, float[] sums, int blockOff, MemorySegment xt, float[] offsets) {
        for (int kp = 0; kp < fieldScale.length; kp++) {
            xt.setAtIndex(ValueLayout.JAVA_FLOAT, xOff + kp, x[xOff + naturalIndex[kp]] * fieldScale[kp]);
        }
        float zeroPoint = zeroPoint();
        for (int b = 0; b < groups * L; b++) offsets[blockOff + b] = zeroPoint * sums[blockOff + b];
    }

    /**
     * out[r, j] (row stride n floats) = the prepared activation row r (at r k of x and xt, r k / 32 of sums and
     * offsets) dotted with weight row j, for rows j in [start, end) and r < xRows. Panel by panel, so a panel's
     * activations stay in L1 while its rows stream; out accumulates across panels, then the tail.
     */
    void multiply(int start, int end, int xRows, float[] x, MemorySegment xt, float[] sums, float[] offsets, MemorySegment out, int n) {
        int blocks = k / BLOCK;
        for (int p = 0; p < panelStart.length; p++) {
            int g0 = p * PANEL_GROUPS, g1 = Math.min(groups, g0 + PANEL_GROUPS);
            for (int j = start; j < end; j++) {
                for (int r = 0; r < xRows; r++) {
                    float part = dot(j, g0, g1, xt, r * k, offsets, r * blocks);
                    long at = 4L * ((long) r * n + j);
                    out.set(FLOAT, at, p == 0 ? part : out.get(FLOAT, at) + part);
                }
            }
        }
        int done = groups * L * BLOCK;
        if (done == k) return;
        for (int j = start; j < end; j++) {
            for (int r = 0; r < xRows; r++) {
                long at = 4L * ((long) r * n + j);
                float tail = WeightRows.dot(dtype, packed, tailAt(j), x, r * k + done, sums, r * blocks + groups * L, k - done);
                out.set(FLOAT, at, out.get(FLOAT, at) + tail);
            }
        }
    }

    /**
     * Groups [g0, g1) of row {@code row} dotted with the prepared activations at xOff (offsets at blockOff). Each
     * quant word's fields are masked in place (the activations carry the field's scale), the top one shifted down;
     * four fields per step into four accumulators, as the adds would otherwise wait out the FMA latency. A group's
     * activations are read through their own 2 KiB slice at constant offsets: read from the whole buffer, C2 bounds-
     * checked every load against a spilled length and the kernel lost what the aligned buffer gained.
     */
    private float dot(int row, int g0, int g1, MemorySegment xt, int xOff, float[] offsets, int blockOff) {
        int fields = fields(), top = fields - 1, bits = fieldBits(), fieldMask = (1 << bits) - 1, words = BLOCK / fields;
        FloatVector acc = FloatVector.zero(F);
        for (int g = g0; g < g1; g++) {
            long words0 = wordsAt(row, g);
            MemorySegment gx = xt.asSlice(4L * (xOff + g * L * BLOCK), 4L * L * BLOCK);
            long xs = 0;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (int m = 0; m < words; m++) {
                IntVector v = IntVector.fromMemorySegment(INTS, packed, words0 + 4L * L * m, LE);
                for (int f = 0; f < fields; f += 4, xs += 16L * L) {
                    s0 = field(v, fieldMask << bits * f).fma(FloatVector.fromMemorySegment(F, gx, xs, LE), s0);
                    s1 = field(v, fieldMask << bits * (f + 1)).fma(FloatVector.fromMemorySegment(F, gx, xs + 4L * L, LE), s1);
                    s2 = field(v, fieldMask << bits * (f + 2)).fma(FloatVector.fromMemorySegment(F, gx, xs + 8L * L, LE), s2);
                    FloatVector q3 = f + 3 == top ? top(v, bits * top) : field(v, fieldMask << bits * (f + 3));
                    s3 = q3.fma(FloatVector.fromMemorySegment(F, gx, xs + 12L * L, LE), s3);
                }
            }
            acc = scales(scalesAt(row, g)).fma(s0.add(s1).add(s2.add(s3)).sub(FloatVector.fromArray(F, offsets, blockOff + g * L)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** The masked field in place, as a float (exact: at most 8 significant bits below bit 31). */
    private static FloatVector field(IntVector v, int mask) {
        return (FloatVector) v.and(mask).convert(VectorOperators.I2F, 0);
    }

    /** The top field, shifted down (in place it would reach the sign bit). */
    private static FloatVector top(IntVector v, int shift) {
        return (FloatVector) v.lanewise(VectorOperators.LSHR, shift).convert(VectorOperators.I2F, 0);
    }

    private FloatVector scales(long at) {
        return infOrNaNScale ? WeightRows.load16(DType.F16, packed, at) : WeightRows.loadF16Finite(packed, at);
    }

    /** The row element at position {@code kp} of the packed order, in which {@link #decode} writes. */
    @Override public int naturalIndex(int kp) { return naturalIndex[kp]; }

    /**
     * Decodes positions [k0, k0 + count) of row {@code row} in the packed order (see {@link #naturalIndex}) into
     * dst[dstOff, dstOff + count): a GEMM may sum over k in any order, and in this one a slot's L values are one
     * vector store. k0 and count are multiples of L (whole blocks past the groups).
     */
    @Override public void decode(int row, int k0, int count, float[] dst, int dstOff) {
        int slots = L * BLOCK, packedEnd = Math.max(k0, Math.min(k0 + count, groups * slots));
        FloatVector zeroPoint = FloatVector.broadcast(F, zeroPoint());
        int fields = fields(), fieldBits = fieldBits(), fieldMask = (1 << fieldBits) - 1;
        for (int g0 = k0 / slots; g0 * slots < packedEnd; g0++) {
            // Per group, not per slot: when the JIT did not inline scales() (it depends on what was compiled first),
            // each call returned a boxed vector, and prompts ran at 55-70 instead of 93-100 tokens/s (TinyLlama Q4_0).
            FloatVector scales = scales(scalesAt(row, g0));
            long words = wordsAt(row, g0);
            for (int kp = Math.max(k0, g0 * slots); kp < Math.min(packedEnd, (g0 + 1) * slots); kp += L) {
                int s = kp % slots / L;
                IntVector word = IntVector.fromMemorySegment(INTS, packed, words + 4L * L * (s / fields), LE);
                FloatVector q = (FloatVector) word.lanewise(VectorOperators.LSHR, fieldBits * (s % fields)).and(fieldMask)
                        .convert(VectorOperators.I2F, 0);
                q.sub(zeroPoint).mul(scales).intoArray(dst, dstOff + kp - k0);
            }
        }
        if (k0 + count > packedEnd) {
            long blockBytes = dtype.bytes(BLOCK);
            long blocksDone = packedEnd / BLOCK - groups * L;
            WeightRows.decode(dtype, packed, tailAt(row) + blocksDone * blockBytes, dst, dstOff + packedEnd - k0, k0 + count - packedEnd);
        }
    }

    /** XORed into every quant word: Q8_0's signed bytes become unsigned (plus 128). */
    private int flip() { return dtype == DType.Q8_0 ? 0x80808080 : 0; }

    @Override public void close() { arena.close(); }
}
