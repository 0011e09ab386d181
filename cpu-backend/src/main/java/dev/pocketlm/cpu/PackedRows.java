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
 * blocks go in groups of L (the float lanes of a vector): the group's L F16 scales ({@code 2L} bytes), then its
 * quants as 4-byte words, word-major: word m of block l at {@code 2L + 4L m + 4l}. One vector load holds word m of L
 * blocks, and one AND + convert + FMA handles L weights, the scales applied once per group (one AVX-512 core, 2048
 * columns in L2: Q8_0 41 GB/s against 26 in ggml's layout, Q4_0 21 against 14). The activations are rearranged to
 * match once per matmul ({@link #prepare}). A row keeps its byte size and position; blocks after the last whole
 * group stay in ggml's layout. Q8_0 quants are stored plus 128 (unsigned), Q4_0's already are plus 8: the offset
 * comes off per block as offset * sum(x).
 */
final class PackedRows implements AutoCloseable {
    private static final VectorSpecies<Float> F = WeightRows.F;
    private static final int L = WeightRows.L;
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, F.vectorShape());
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final int BLOCK = 32;

    private final DType dtype;
    private final long sourceOffset;
    private final int rows, k, groups;
    private final long rowBytes, groupBytes;
    private final Arena arena;
    private final MemorySegment packed;

    private PackedRows(DType dtype, long sourceOffset, int rows, int k) {
        this.dtype = dtype;
        this.sourceOffset = sourceOffset;
        this.rows = rows;
        this.k = k;
        this.groups = k / BLOCK / L;
        this.rowBytes = dtype.bytes(k);
        this.groupBytes = dtype.bytes((long) L * BLOCK);
        this.arena = Arena.ofShared();
        this.packed = arena.allocate(rows * rowBytes, 64);
    }

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
        PackedRows p = new PackedRows(dtype, sourceOffset, rows, k);
        MemorySegment src = source.asSlice(sourceOffset, rows * p.rowBytes);
        threads.forEach(rows, 64, parallel, (start, end) -> {
            for (int r = start; r < end; r++) p.packRow(src, r * p.rowBytes);
        });
        if (src.isMapped()) src.unload();
        return p;
    }

    /** Whether this packs exactly the weight view at {@code sourceOffset} of {@code rows} x {@code k} {@code dtype}. */
    boolean packs(long sourceOffset, DType dtype, int rows, int k) {
        return this.sourceOffset == sourceOffset && this.dtype == dtype && this.rows == rows && this.k == k;
    }

    DType dtype() { return dtype; }

    private void packRow(MemorySegment src, long row) {
        int quantWords = quantWords(), flip = flip();
        long blockBytes = dtype.bytes(BLOCK);
        for (int g = 0; g < groups; g++) {
            long to = row + g * groupBytes;
            for (int l = 0; l < L; l++) {
                long from = row + (g * L + l) * blockBytes;
                packed.set(SHORT, to + 2L * l, src.get(SHORT, from));
                for (int m = 0; m < quantWords; m++) {
                    packed.set(INT, to + 2L * L + 4L * L * m + 4L * l, src.get(INT, from + 2 + 4L * m) ^ flip);
                }
            }
        }
        long tail = groups * groupBytes;
        MemorySegment.copy(src, row + tail, packed, row + tail, rowBytes - tail);
    }

    /**
     * Lays out one activation row x[xOff, xOff + k) for {@link #dot}: xt[xOff...] gets, per group, slot s (the bit
     * field of a quant word) for each of the L blocks, scaled by 2^-(field's low bit) so that a masked, unshifted
     * field converts to the right value; offsets[blockOff + b] = the quant offset times sums[blockOff + b], the
     * {@link WeightRows#blockSums} of the row.
     */
    void prepare(float[] x, int xOff, float[] sums, int blockOff, float[] xt, float[] offsets) {
        boolean q4 = dtype == DType.Q4_0;
        int fieldBits = q4 ? 4 : 8, fields = 32 / fieldBits;
        for (int g = 0; g < groups; g++) {
            int groupX = xOff + g * L * BLOCK;
            for (int s = 0; s < BLOCK; s++) {
                int m = s / fields, j = s % fields;
                // Q4_0: byte i of word m holds elements 4m + i (low nibble) and 16 + 4m + i (high nibble)
                int element = q4 ? (j % 2 == 0 ? 0 : 16) + 4 * m + j / 2 : 4 * m + j;
                float scale = j == fields - 1 ? 1 : Math.scalb(1f, -fieldBits * j);
                for (int l = 0; l < L; l++) xt[groupX + s * L + l] = x[groupX + l * BLOCK + element] * scale;
            }
        }
        float offset = q4 ? 8 : 128;
        for (int b = 0; b < groups * L; b++) offsets[blockOff + b] = offset * sums[blockOff + b];
    }

    /** Row {@code row} dotted with the prepared activation row at xOff (x itself for the unpacked tail). */
    float dot(int row, float[] x, float[] xt, int xOff, float[] sums, float[] offsets, int blockOff) {
        long off = row * rowBytes;
        float packedPart = dtype == DType.Q4_0 ? dotQ4_0(off, xt, xOff, offsets, blockOff) : dotQ8_0(off, xt, xOff, offsets, blockOff);
        int done = groups * L * BLOCK;
        if (done == k) return packedPart;
        return packedPart + WeightRows.dot(dtype, packed, off + groups * groupBytes, x, xOff + done, sums, blockOff + groups * L, k - done);
    }

    private float dotQ4_0(long off, float[] xt, int xOff, float[] offsets, int blockOff) {
        FloatVector acc = FloatVector.zero(F);
        for (int g = 0; g < groups; g++, off += groupBytes, xOff += L * BLOCK, blockOff += L) {
            // four accumulators: the adds would otherwise wait out the FMA latency
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (int m = 0; m < 4; m++) {
                IntVector v = IntVector.fromMemorySegment(INTS, packed, off + 2L * L + 4L * L * m, LE);
                int xs = xOff + 8 * L * m;
                s0 = field(v, 0x0000000f).fma(FloatVector.fromArray(F, xt, xs), s0);
                s1 = field(v, 0x000000f0).fma(FloatVector.fromArray(F, xt, xs + L), s1);
                s2 = field(v, 0x00000f00).fma(FloatVector.fromArray(F, xt, xs + 2 * L), s2);
                s3 = field(v, 0x0000f000).fma(FloatVector.fromArray(F, xt, xs + 3 * L), s3);
                s0 = field(v, 0x000f0000).fma(FloatVector.fromArray(F, xt, xs + 4 * L), s0);
                s1 = field(v, 0x00f00000).fma(FloatVector.fromArray(F, xt, xs + 5 * L), s1);
                s2 = field(v, 0x0f000000).fma(FloatVector.fromArray(F, xt, xs + 6 * L), s2);
                s3 = top(v, 28).fma(FloatVector.fromArray(F, xt, xs + 7 * L), s3);
            }
            acc = scales(off).fma(s0.add(s1).add(s2.add(s3)).sub(FloatVector.fromArray(F, offsets, blockOff)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private float dotQ8_0(long off, float[] xt, int xOff, float[] offsets, int blockOff) {
        FloatVector acc = FloatVector.zero(F);
        for (int g = 0; g < groups; g++, off += groupBytes, xOff += L * BLOCK, blockOff += L) {
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (int m = 0; m < 8; m++) {
                IntVector v = IntVector.fromMemorySegment(INTS, packed, off + 2L * L + 4L * L * m, LE);
                int xs = xOff + 4 * L * m;
                s0 = field(v, 0x000000ff).fma(FloatVector.fromArray(F, xt, xs), s0);
                s1 = field(v, 0x0000ff00).fma(FloatVector.fromArray(F, xt, xs + L), s1);
                s2 = field(v, 0x00ff0000).fma(FloatVector.fromArray(F, xt, xs + 2 * L), s2);
                s3 = top(v, 24).fma(FloatVector.fromArray(F, xt, xs + 3 * L), s3);
            }
            acc = scales(off).fma(s0.add(s1).add(s2.add(s3)).sub(FloatVector.fromArray(F, offsets, blockOff)), acc);
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

    private FloatVector scales(long groupOff) { return WeightRows.load16(DType.F16, packed, groupOff); }

    /**
     * Decodes elements [k0, k0 + count) of row {@code row} into dst[0, count); k0 and count are whole blocks. Packed
     * blocks are first restored to ggml's layout in scratch memory, so the vector decoder does the arithmetic.
     */
    void decode(int row, int k0, int count, float[] dst) {
        long rowOff = row * rowBytes, blockBytes = dtype.bytes(BLOCK);
        int first = k0 / BLOCK, end = first + count / BLOCK, packedEnd = Math.max(first, Math.min(end, groups * L));
        if (packedEnd > first) {
            int restored = packedEnd - first;
            MemorySegment ggml = Scratch.bytes(restored * blockBytes);
            for (int b = first; b < packedEnd; b++) restore(rowOff, b, ggml, (b - first) * blockBytes);
            WeightRows.decode(dtype, ggml, 0, dst, 0, restored * BLOCK);
        }
        if (end > packedEnd) {
            WeightRows.decode(dtype, packed, rowOff + packedEnd * blockBytes, dst, (packedEnd - first) * BLOCK, (end - packedEnd) * BLOCK);
        }
    }

    /** Writes packed block {@code b} of the row at {@code rowOff} to {@code to} in ggml's layout: the inverse of packRow. */
    private void restore(long rowOff, int b, MemorySegment to, long at) {
        long group = rowOff + b / L * groupBytes;
        int l = b % L, quantWords = quantWords(), flip = flip();
        to.set(SHORT, at, packed.get(SHORT, group + 2L * l));
        for (int m = 0; m < quantWords; m++) to.set(INT, at + 2 + 4L * m, packed.get(INT, group + 2L * L + 4L * L * m + 4L * l) ^ flip);
    }

    /** 4-byte quant words per block: 4 for Q4_0, 8 for Q8_0. */
    private int quantWords() { return (int) (groupBytes / L - 2) / 4; }

    /** XORed into every quant word: Q8_0's signed bytes become unsigned (plus 128). */
    private int flip() { return dtype == DType.Q8_0 ? 0x80808080 : 0; }

    @Override public void close() { arena.close(); }
}
