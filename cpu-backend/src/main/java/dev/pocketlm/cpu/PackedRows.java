package dev.pocketlm.cpu;

import dev.pocketlm.tensor.DType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Q8_0 and Q4_0 weight rows repacked once for the one-token matvec ("blocks in lanes"). In ggml's layout a block's
 * 32 weights sit side by side, so a dot product reduces every block across lanes and scales it alone. Here a row's
 * blocks go in groups of L (the float lanes of a vector) and each group's quants are stored as 4-byte words,
 * word-major: word m of block l at {@code 4L m + 4l} of the group's words. One vector load holds word m of L blocks,
 * and one AND + convert + FMA handles L weights, the scales applied once per group (one AVX-512 core, 2048 columns
 * in L2: Q8_0 41 GB/s against 26 in ggml's layout, Q4_0 21 against 14). The matrix is stored as column panels
 * of {@link #PANEL_GROUPS} groups, each panel all rows long; a panel's row is its groups' L F16 scales, then their
 * words, 64-byte aligned. The blocks after the last whole group (the tail) follow as a column panel of row blocks,
 * a row in each lane ({@link #tailBlockAt}). Layout decides the DRAM rate (Q8_0 32000 x 2048 matvec, 2 threads):
 * scales inside each group, so half the word loads split two cache lines, 13 GB/s; aligned words with the scales
 * after them, 26; scales first, so a row is read front to back, 47 (ggml's layout: 44). The activations are
 * rearranged to match once per matmul ({@link #prepare}).
 * Both multiply activations quantized to 8 bits per block, as ggml's Q4_0 x Q8_0 and Q8_0 x Q8_0 dot products do
 * ({@link #prepare}), in 16-bit lanes: Q4_0 ({@link #dotQuantized}) 2L weights take a 16-bit multiply and add, three
 * times in four a shift, and no AND (the prepared activations cancel the bits above the field), where floats took 8
 * (TinyLlama Q4_0 matvecs from DRAM, one thread, same process: 18.6 -> 23.0 GB/s; generation 48-50 -> 57-59
 * tokens/s); Q8_0 ({@link #dotQ8_0}), stored plus 128, 4.5 operations where floats took 6, two of them FMAs
 * (TinyLlama Q8_0, builds alternating in one JVM: L3-resident matvecs 34-46 -> 43-70 GB/s, from DRAM 43.5 -> 51.6,
 * generation median 31.3 -> 38.2 tokens/s).
 */
final class PackedRows implements PackedWeight {
    private static final VectorSpecies<Float> F = WeightRows.F;
    private static final int L = WeightRows.L;
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, F.vectorShape());
    /** 2L 16-bit lanes: an int lane's two halves, each four Q4_0 nibbles of one block. */
    private static final VectorSpecies<Short> SHORTS = VectorSpecies.of(short.class, F.vectorShape());
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final int BLOCK = 32;
    /** L 16-bit lanes, what L int lanes narrow to. */
    private static final VectorSpecies<Short> HALF_SHORTS = VectorSpecies.of(short.class, VectorShape.forBitSize(16 * L));
    /** L / 4 ints: the L quant bytes that one vector of L floats decodes ({@link #decodeTail}). */
    private static final VectorSpecies<Integer> WORDS_OF_L_BYTES = VectorSpecies.of(int.class, VectorShape.forBitSize(8 * L));
    /** Gather map: lane l reads block l's int (BLOCK / 2 ints per block). */
    private static final int[] BLOCK_STRIDE = IntStream.range(0, L).map(l -> l * BLOCK / 2).toArray();
    private static final float ROUNDER = 0x1.8p23f;
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER), ABS_BITS = 0x7fffffff;
    /** The low byte of each 16-bit half of an int lane. */
    private static final int LOW_BYTES = 0x00FF00FF;
    /**
     * Groups per column panel, 2048 columns at either vector width (4 groups of 16 blocks on AVX-512, 8 of 8 with
     * 256-bit vectors): a panel's activations stay in L1 while the weights stream past. TinyLlama's Q8_0 FFN down
     * projections (K = 5632) from DRAM, 2 threads: 22 GB/s as whole rows, 28 in panels of 2 groups, 31-34 in panels of
     * 4 (AVX-512). With 256-bit vectors, panels of 4 groups (1024 columns) split every 2048-column row in two: 8 groups
     * instead, `-XX:UseAVX=2`, builds alternating in one JVM: L3-resident matvecs Q4_0 1.17x, Q8_0 1.33x; from DRAM
     * Q4_0 28.0 -> 32.0 GB/s; Q4_0 prompt tiles 1.11x.
     */
    private static final int PANEL_GROUPS = 64 / L;
    /**
     * A prepared group: 16 slots of 2L 16-bit quantized activations, slot s lane pair l the block l elements a quant
     * field multiplies (Q4_0: slot 4m + f, nibble f of each half of word m; Q8_0: slots 2m and 2m + 1, the low and high
     * bytes of each half of word m), then offset vectors of 2L shorts (Q4_0: one, the halves' -8 sum(x); Q8_0: one per
     * word), then the L blocks' activation scales (floats), padded to whole cache lines: each group's slice is
     * 64-byte aligned (with 8 lanes Q8_0's group holds 800 bytes).
     */
    private static final int Q_SLOTS = 16, Q_OFFSETS = Q_SLOTS * 4 * L, UNIT_BYTES = 4 * L;
    private static final int Q4_SCALES = Q_OFFSETS + 4 * L, Q4_GROUP_BYTES = (int) lineUp(Q4_SCALES + 4 * L);
    private static final int Q8_SCALES = Q_OFFSETS + BLOCK / 4 * 4 * L, Q8_GROUP_BYTES = (int) lineUp(Q8_SCALES + 4 * L);
    /** A group's quant words in one row, the step between groups in a panel's word slice. */
    private static final long Q4_0_GROUP_WORD_BYTES = 4L * L * (BLOCK / 8), Q8_0_GROUP_WORD_BYTES = 4L * L * (BLOCK / 4);
    /**
     * A column panel's quant words and scales in one row, and its prepared activations: the kernels read each through
     * one slice of this constant size per call, a partial last panel within it (the packed matrix and the prepared rows
     * are padded to whole panels).
     */
    private static final long Q4_0_PANEL_WORD_BYTES = PANEL_GROUPS * Q4_0_GROUP_WORD_BYTES, Q8_0_PANEL_WORD_BYTES = PANEL_GROUPS * Q8_0_GROUP_WORD_BYTES;
    private static final long PANEL_SCALE_BYTES = lineUp(2L * L * PANEL_GROUPS);
    private static final long Q4_PANEL_BYTES = (long) PANEL_GROUPS * Q4_GROUP_BYTES, Q8_PANEL_BYTES = (long) PANEL_GROUPS * Q8_GROUP_BYTES;
    /**
     * Added to the low half of each Q8_0 word's 16-bit pair sums (through the word's offsets), so that as the low half of
     * an int lane it reads as its own value: the kernel then widens the halves with one shift (see {@link #dotQ8_0}).
     */
    private static final int LOW_HALF_BIAS = 1 << 15;
    /** Weight rows a kernel call takes, each from its own part of the thread's range ({@link #multiply}). */
    static final int ROWS_PER_PASS = 4;
    /** Tokens a prompt's kernel call takes ({@link #dotQ4_0Tile}), and weight rows that meet them all before the next. */
    private static final int TILE_TOKENS = 4, TILE_ROW_BLOCK = 64;

    private final DType dtype;
    /**
     * Rows, columns, whole groups, their column panels, and the blocks after the last group (the tail), a column panel
     * of its own with the rows in lanes (see {@link #tailBlockAt}).
     */
    private final int rows, k, groups, groupPanels, tailBlocks;
    /** Bytes of: a source row; a group (L blocks); a group's quant words. */
    private final long rowBytes, groupBytes, wordBytes;
    /**
     * Per column panel: where it starts, its row stride, and its scales' bytes (then its words); the tail's (last) row
     * stride is that of a block of L rows.
     */
    private final long[] panelStart, panelRowBytes, panelScaleBytes;
    private final Arena arena;
    private final MemorySegment packed;
    /**
     * Set while packing when a scale is Inf or NaN, as {@link PanelRows} checks F16 values; without any, scales
     * convert in three operations instead of eight (TinyLlama Q4_0 matvecs +1-3%, same process). Plain, not volatile,
     * so the kernels read it once: every write happens before {@link #pack} returns.
     */
    private boolean infOrNaNScale;
    private volatile MatvecReadahead following;
    /** naturalIndex[k'] = the row element at position k' of the packed order. */
    private final int[] naturalIndex;

    private PackedRows(DType dtype, int rows, int k) {
        this.dtype = dtype;
        this.rows = rows;
        this.k = k;
        this.groups = k / BLOCK / L;
        this.groupPanels = (groups + PANEL_GROUPS - 1) / PANEL_GROUPS;
        this.tailBlocks = k / BLOCK - groups * L;
        this.rowBytes = dtype.bytes(k);
        this.groupBytes = dtype.bytes((long) L * BLOCK);
        this.wordBytes = groupBytes - 2L * L;
        int panels = groupPanels + (tailBlocks > 0 ? 1 : 0);
        panelStart = new long[panels];
        panelRowBytes = new long[panels];
        panelScaleBytes = new long[panels];
        long at = 0;
        for (int p = 0; p < groupPanels; p++) {
            int g = Math.min(PANEL_GROUPS, groups - p * PANEL_GROUPS);
            panelStart[p] = at;
            panelScaleBytes[p] = lineUp(2L * L * g);
            panelRowBytes[p] = panelScaleBytes[p] + g * wordBytes;
            at += rows * panelRowBytes[p];
        }
        if (tailBlocks > 0) {
            panelStart[groupPanels] = at;
            panelRowBytes[groupPanels] = tailScalesOffset() + lineUp(2L * L * tailBlocks);
            at += tailRowBlocks() * panelRowBytes[groupPanels];
        }
        this.arena = Arena.ofShared();
        // a panel's worth past the end: the last row's slices of a partial last panel are a whole panel long
        this.packed = arena.allocate(at + PANEL_GROUPS * groupBytes, 64);
        this.naturalIndex = new int[k];
        for (int kp = 0; kp < k; kp++) naturalIndex[kp] = kp < groups * L * BLOCK ? natural(kp) : tailNatural(kp);
    }

    /**
     * The natural position of packed position kp: group g, slot s (field j of word m), lane l is element e of block
     * g L + l. Q4_0's nibble j (nibble f = j % 4 of 16-bit half h = j / 4) holds element 8m + 2f + h; Q8_0's byte j
     * (byte f = j % 2 of half h = j / 2) element 4m + 2f + h. Either way a field's two halves hold adjacent elements,
     * so the activations they multiply are one int of the block's 16-bit quants.
     */
    private int natural(int kp) {
        int g = kp / (L * BLOCK), s = kp % (L * BLOCK) / L, l = kp % L;
        return (g * L + l) * BLOCK + element(s / fields(), s % fields());
    }

    /**
     * The natural position of packed position kp in the tail, in the order {@link #decodeTail} writes a block: Q8_0
     * the row's 32 bytes in turn (byte j of word m is field j); Q4_0 per L bytes (L / 4 words), their low nibbles,
     * then their high ones (byte c of word m holds fields 2c and 2c + 1).
     */
    private int tailNatural(int kp) {
        int tailStart = groups * L * BLOCK, block = (kp - tailStart) / BLOCK, i = (kp - tailStart) % BLOCK, m, j;
        if (dtype == DType.Q8_0) {
            m = i / 4;
            j = i % 4;
        } else {
            int word = i / (2 * L) * L + i % L, high = i % (2 * L) / L;
            m = word / 4;
            j = 2 * (word % 4) + high;
        }
        return tailStart + block * BLOCK + element(m, j);
    }

    /** The element of a block that field j of packed word m holds (see {@link #natural}). */
    private int element(int m, int j) {
        int perHalf = fields() / 2;
        return 2 * perHalf * m + 2 * (j % perHalf) + j / perHalf;
    }

    /** Quant fields per 4-byte word: 8 nibbles (Q4_0) or 4 bytes (Q8_0). */
    private int fields() { return dtype == DType.Q4_0 ? 8 : 4; }

    private int fieldBits() { return 32 / fields(); }

    /** 4-byte quant words per block of 32: 4 (Q4_0) or 8 (Q8_0). */
    private int quantWords() { return BLOCK / fields(); }

    /** What the stored quants are above the signed value: 8 for Q4_0, 128 for Q8_0 (stored unsigned). */
    private float zeroPoint() { return dtype == DType.Q4_0 ? 8 : 128; }

    /** Whether rows of {@code k} elements of this dtype pack on this machine: any whole number of blocks. */
    static boolean supports(DType dtype, int k) {
        return (dtype == DType.Q8_0 || dtype == DType.Q4_0) && WeightRows.QUANTIZED && k % BLOCK == 0 && k > 0;
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
        int quantWords = quantWords(), flip = flip();
        long from = row * rowBytes, blockBytes = dtype.bytes(BLOCK);
        for (int g = 0; g < groups; g++) {
            for (int l = 0; l < L; l++) {
                long block = from + (g * L + l) * blockBytes;
                packed.set(SHORT, scalesAt(row, g) + 2L * l, src.get(SHORT, block));
                for (int m = 0; m < quantWords; m++) {
                    packed.set(INT, wordsAt(row, g) + 4L * L * m + 4L * l, packedWord(src, block + 2, m) ^ flip);
                }
            }
            if (WeightRows.hasInfOrNaN16(packed, scalesAt(row, g), L)) infOrNaNScale = true;
        }
        if (tailBlocks == 0) return;
        long rowBlock = tailBlockAt(row / L), lane = 4L * (row % L);
        for (int b = 0; b < tailBlocks; b++) {
            long block = from + (groups * L + b) * blockBytes;
            short scale = src.get(SHORT, block);
            packed.set(SHORT, rowBlock + tailScalesOffset() + 2L * L * b + 2L * (row % L), scale);
            if ((scale & 0x7c00) == 0x7c00) infOrNaNScale = true;
            for (int m = 0; m < quantWords; m++) packed.set(INT, rowBlock + (long) (b * quantWords + m) * UNIT_BYTES + lane, packedWord(src, block + 2, m) ^ flip);
        }
    }

    /**
     * Packed word m of the block whose quants are at {@code quants}, before {@link #flip}: ggml's Q4_0 byte i holds
     * elements i and i + 16, its Q8_0 byte i element i.
     */
    private int packedWord(MemorySegment src, long quants, int m) {
        int word = 0, bits = fieldBits(), mask = (1 << bits) - 1;
        for (int j = 0; j < fields(); j++) {
            int e = element(m, j);
            int b = dtype == DType.Q4_0 ? src.get(ValueLayout.JAVA_BYTE, quants + e % 16) >>> (e < 16 ? 0 : 4)
                    : src.get(ValueLayout.JAVA_BYTE, quants + e);
            word |= (b & mask) << bits * j;
        }
        return word;
    }

    private static long lineUp(long bytes) { return (bytes + 63) / 64 * 64; }

    /** Where a row's part of column panel p starts: its groups' scales, then their words. */
    private long panelRowAt(int row, int p) { return panelStart[p] + row * panelRowBytes[p]; }

    /** Where a row's words of panel p start, its part of the panel at {@code panelRow}: after the panel's scales. */
    private long panelWordsAt(long panelRow, int p) { return panelRow + panelScaleBytes[p]; }

    /** Groups in column panel p. */
    private int panelGroups(int p) { return Math.min(groups - p * PANEL_GROUPS, PANEL_GROUPS); }

    /**
     * Where the L F16 scales of group i of a panel are, the row's part of the panel at {@code panelRow}: its panel's
     * row holds its groups' scales first, read in order.
     */
    private static long groupScalesAt(long panelRow, int i) { return panelRow + 2L * L * i; }

    /** Where the quant words of group i of a panel start, the row's words of the panel at {@code panelWords}: 64-byte aligned. */
    private long groupWordsAt(long panelWords, int i) { return panelWords + i * wordBytes; }

    /** Where group g's L F16 scales are for a row. */
    private long scalesAt(int row, int g) { return groupScalesAt(panelRowAt(row, g / PANEL_GROUPS), g % PANEL_GROUPS); }

    /** Where group g's quant words start for a row: 64-byte aligned, so every vector load is one cache line. */
    private long wordsAt(int row, int g) {
        int p = g / PANEL_GROUPS;
        return groupWordsAt(panelWordsAt(panelRowAt(row, p), p), g % PANEL_GROUPS);
    }

    /**
     * The tail: the blocks after the last whole group, in blocks of L rows with a row in each lane (word m of tail
     * block b of the rows at {@code UNIT_BYTES (W b + m)}, W words a block, then each tail block's L F16 scales), so
     * its dot products need no sums across lanes: a kernel call takes four such row blocks ({@link #dotTailQ4_0}) and
     * a token's prepared tail group (its {@link #prepare}d group {@code groups}, the blocks past the tail zero), one
     * block at a time, each activation a broadcast. Rows of 576 columns (SmolLM's) are one group and two such blocks. Dotted a row at a time in ggml's
     * layout, the tail made a Q4_0 matvec of 131072 rows 0.54x as fast at 576 columns as at 512 (JMH). A first try,
     * four rows a call with each row's words in lanes and a sum across lanes per row, was no faster; with the rows in
     * lanes, no such sum: 0.69x (Q8_0 0.70x; the bytes alone would give 0.89x), the tail alone (64 columns) 4.8x as
     * fast as in the first try.
     */
    private long tailBlockAt(int rowBlock) { return panelStart[groupPanels] + rowBlock * panelRowBytes[groupPanels]; }

    /** Where a tail row block's scales are within it: after its words. */
    private long tailScalesOffset() { return (long) tailBlocks * quantWords() * UNIT_BYTES; }

    /** Blocks of L rows in the tail. */
    private int tailRowBlocks() { return (rows + L - 1) / L; }

    /** Bytes of one prepared activation group: {@link #Q_SLOTS}, offsets and scales. */
    private int preparedGroupBytes() { return dtype == DType.Q4_0 ? Q4_GROUP_BYTES : Q8_GROUP_BYTES; }

    /** Where a prepared group's L activation scales are. */
    private int preparedScales() { return dtype == DType.Q4_0 ? Q4_SCALES : Q8_SCALES; }

    /**
     * Bytes of one prepared activation row ({@link #prepare}): its groups, the tail's as one more, padded to whole
     * panels: a multiple of 64.
     */
    long preparedBytes() { return (long) (preparedGroups() + PANEL_GROUPS - 1) / PANEL_GROUPS * PANEL_GROUPS * preparedGroupBytes(); }

    /** Groups of a prepared activation row: the whole ones, and the tail's blocks (then zeros) as one more. */
    private int preparedGroups() { return groups + (tailBlocks > 0 ? 1 : 0); }

    /** Tokens whose prepared rows interleave ({@link #prepare}) when {@link #multiply} takes {@code xRows} rows. */
    private int tileTokens(int xRows) { return multipliesTokens(xRows) ? TILE_TOKENS : 1; }

    /** Prepared rows ({@link #preparedBytes} each) that {@code xRows} activation rows take: whole tiles. */
    int preparedRows(int xRows) { return (xRows + tileTokens(xRows) - 1) / tileTokens(xRows) * tileTokens(xRows); }

    /**
     * Where vector-sized unit u (slot, offsets, scales: see {@link #Q_SLOTS}) of prepared group g is for token t of the
     * tile of {@code tile} tokens at tileAt: unit by unit, the tile's tokens side by side (one token: as described).
     */
    private long unitAt(long tileAt, int g, int tile, int t, int u) {
        return tileAt + (long) g * tile * preparedGroupBytes() + ((long) u * tile + t) * UNIT_BYTES;
    }

    /**
     * Lays out activation row r of the xRows in x (row xRows - 1 where r is past them, filling a tile) for {@link
     * #multiply}, at r {@link #preparedBytes} of xt (in tiles of four tokens, see {@link #unitAt}), as ggml's Q8_0 blocks
     * (its Q4_0 x Q8_0 and Q8_0 x Q8_0 dot products quantize the activations so): per block of 32, scale
     * d = max|x| / 127 and quants rint(x / d) in [-127, 127], laid out as {@link #Q_SLOTS} describes. Each block's
     * quants are narrowed to 16 bits in place, so int i of a block holds elements 2i and 2i + 1, which is slot i's lane
     * pair: a strided gather per slot moves them into blocks-in-lanes order. Q4_0's nibbles are stored plus 8, so a
     * half's offset is -8 times the sum of its 16 quants (added); Q8_0's bytes plus 128, so word m's offset is 128 times the sum
     * of the two quants each half's bytes multiply (slots 2m and 2m + 1), less {@link #LOW_HALF_BIAS} in low halves.
     * The kernels take a field without masking off the fields above it (Q4_0: {@code word >>> 4f} as 32 bits, so a
     * low half also holds the high half's low nibbles; Q8_0: the low byte as the whole half). Number the fields of b
     * bits from the bottom (Q4_0: the word's eight nibbles, b = 4; Q8_0: a half's two bytes, b = 8): field j then
     * meets sum over i <= j of 2^(b (j - i)) y_i modulo 2^16, y_i the stored activation field i multiplies. So
     * a slot stores y_j = x_j - 2^b x_(j-1), and that sum telescopes to x_j: each field's products come out exact
     * modulo 2^16, as with an AND, one operation fewer per field and row (L3-resident matvecs, builds alternating in one JVM: Q4_0 1.030 and 1/0.958, Q8_0 1.055, Q4_0 with 256-bit vectors 1.064;
     * 8 layers from DRAM Q4_0 44.2 -> 46.6 GB/s, Q8_0 level; prompt tiles 1.033).
     */
    void prepare(float[] x, int xRows, int r, MemorySegment xt) {
        int tile = tileTokens(xRows), t = r % tile, xOff = Math.min(r, xRows - 1) * k, blocks = k / BLOCK;
        long tileAt = (long) r / tile * tile * preparedBytes();
        int[] pairs = Scratch.ints(Scratch.Slot.QUANTIZED_PAIRS, preparedGroups() * L * BLOCK / 2);
        for (int b = 0; b < preparedGroups() * L; b++) {
            float scale = 0;
            if (b < blocks) {
                int from = xOff + b * BLOCK;
                // |x| compared as int bits, which order as the floats do (a float max handles NaN and -0 in blends)
                IntVector magnitude = IntVector.zero(INTS);
                for (int i = 0; i < BLOCK; i += L) magnitude = magnitude.max(FloatVector.fromArray(F, x, from + i).reinterpretAsInts().and(ABS_BITS));
                float amax = Float.intBitsToFloat(magnitude.reduceLanes(VectorOperators.MAX)), inverse = amax == 0 ? 0 : 127 / amax;
                for (int i = 0; i < BLOCK; i += L) {
                    // adding 1.5 * 2^23 rounds to the nearest integer, ties to even (|v| <= 127), in the low mantissa bits
                    IntVector v = FloatVector.fromArray(F, x, from + i).mul(inverse).add(ROUNDER).reinterpretAsInts().sub(ROUNDER_BITS);
                    ((IntVector) v.convertShape(VectorOperators.I2S, HALF_SHORTS, 0).reinterpretAsInts()).intoArray(pairs, (b * BLOCK + i) / 2);
                }
                scale = amax / 127;
            } else {
                Arrays.fill(pairs, b * BLOCK / 2, (b + 1) * BLOCK / 2, 0); // past the tail: zeros, which add nothing
            }
            xt.set(FLOAT, unitAt(tileAt, b / L, tile, t, preparedScales() / UNIT_BYTES) + 4L * (b % L), scale);
        }
        ShortVector lowHalfBias = (ShortVector) IntVector.broadcast(INTS, LOW_HALF_BIAS).reinterpretAsShorts();
        short radix = (short) (1 << fieldBits());
        int perHalf = fields() / 2;
        for (int g = 0; g < preparedGroups(); g++) {
            // Q4_0 sums all 16 slots into one offset vector; Q8_0 each word's two slots into its own
            ShortVector halfSums = ShortVector.zero(SHORTS);
            for (int first = 0; first < Q_SLOTS; first += perHalf) {
                int last = first + perHalf - 1;
                IntVector top = slotLanes(pairs, g, last);
                // below each field, the one that stored quants cancel: below Q4_0's nibble 0, the low half's nibble 3
                // in the high half (a 32-bit shift brings it along); nothing below Q8_0's low byte
                ShortVector below = dtype == DType.Q4_0 ? (ShortVector) top.lanewise(VectorOperators.LSHL, 16).reinterpretAsShorts()
                        : ShortVector.zero(SHORTS);
                for (int slot = first; slot <= last; slot++) {
                    ShortVector quants = (ShortVector) (slot == last ? top : slotLanes(pairs, g, slot)).reinterpretAsShorts();
                    quants.sub(below.mul(radix)).intoMemorySegment(xt, unitAt(tileAt, g, tile, t, slot), LE);
                    halfSums = halfSums.add(quants);
                    below = quants;
                }
                if (dtype == DType.Q8_0) {
                    halfSums.mul((short) 128).sub(lowHalfBias).intoMemorySegment(xt, unitAt(tileAt, g, tile, t, Q_SLOTS + first / 2), LE);
                    halfSums = ShortVector.zero(SHORTS);
                }
            }
            if (dtype == DType.Q4_0) halfSums.mul((short) -8).intoMemorySegment(xt, unitAt(tileAt, g, tile, t, Q_SLOTS), LE);
        }
    }

    /** Slot {@code slot}'s quantized activations of group g in blocks-in-lanes order, gathered from the block pairs. */
    private static IntVector slotLanes(int[] pairs, int g, int slot) {
        return IntVector.fromArray(INTS, pairs, g * L * BLOCK / 2 + slot, BLOCK_STRIDE, 0);
    }

    /**
     * out[r, j] (row stride n floats) = the prepared activation row r (at r {@link #preparedBytes} of xt) dotted with
     * weight row j, for rows j in [start, end) and the xRows tokens of a prompt ({@link #multipliesTokens}): per
     * column panel, blocks of {@link #TILE_ROW_BLOCK} weight rows (their panel in L2) meet every tile of
     * {@link #TILE_TOKENS} tokens (the tile's prepared panel in L1); then the tail, four blocks of L rows at a time
     * (as {@link #multiplyQuads} takes them), token by token.
     */
    void multiply(int start, int end, int xRows, MemorySegment xt, MemorySegment out, int n) {
        multiplyTiles(start, end, xRows, xt, out, n);
        if (tailBlocks == 0) return;
        long stride = preparedBytes();
        float[] dots = Scratch.floats(Scratch.Slot.ROW_DOTS, ROWS_PER_PASS * L), scales = Scratch.floats(Scratch.Slot.TAIL_SCALES, tailScaleFloats());
        int first = start / L, blocks = (end + L - 1) / L, part = MatvecQuads.quads(first, blocks);
        for (int a = first; a < first + part; a++) {
            int b = PackedWeight.partRow(a, 1, part, blocks), c = PackedWeight.partRow(a, 2, part, blocks), d = PackedWeight.partRow(a, 3, part, blocks);
            tailScales(a, b, c, d, scales);
            for (int r = 0; r < xRows; r++) {
                long tailGroup = unitAt(r / TILE_TOKENS * TILE_TOKENS * stride, groups, TILE_TOKENS, r % TILE_TOKENS, 0);
                dotTailQ4_0(a, b, c, d, xt, tailGroup, TILE_TOKENS * UNIT_BYTES, out, 4L * r * n, start, end, groupPanels > 0, dots, scales);
            }
        }
    }

    /** The whole groups' part of {@link #multiply}: a method of its own, as C2 compiles the tiles best alone. */
    private void multiplyTiles(int start, int end, int xRows, MemorySegment xt, MemorySegment out, int n) {
        float[] dots = Scratch.floats(Scratch.Slot.ROW_DOTS, TILE_TOKENS);
        long stride = preparedBytes();
        for (int p = 0; p < groupPanels; p++) {
            for (int block = start; block < end; block += TILE_ROW_BLOCK) {
                int blockEnd = Math.min(end, block + TILE_ROW_BLOCK);
                for (int t = 0; t < xRows; t += TILE_TOKENS) {
                    int count = Math.min(TILE_TOKENS, xRows - t);
                    for (int row = block; row < blockEnd; row++) {
                        dotQ4_0Tile(row, p, xt, t * stride, dots);
                        for (int i = 0; i < count; i++) PackedWeight.store(out, 4L * (t + i) * n, row, dots[i], p == 0);
                    }
                }
            }
        }
    }

    /** A kernel call's four dot products stored in out's row at outRow (bytes); rows equal to a are past the range's end. */
    private static void storeQuad(MemorySegment out, long outRow, int a, int b, int c, int d, float[] dots) {
        PackedWeight.storePair(out, outRow, a, b, dots[0], dots[1], true);
        if (c != a) PackedWeight.store(out, outRow, c, dots[2], true);
        if (d != a) PackedWeight.store(out, outRow, d, dots[3], true);
    }

    /** Whether {@link #multiply} takes {@code xRows} activation rows (tokens) in tiles ({@link #dotQ4_0Tile}). */
    boolean multipliesTokens(int xRows) { return dtype == DType.Q4_0 && xRows >= TILE_TOKENS; }

    /** Column panels a row is stored in, the tail's included. */
    int panels() { return panelStart.length; }

    /**
     * Column panel {@code panel} of quads [from, to) of rows [start, end), for a token's or a few tokens' matvec (not
     * {@link #multipliesTokens}); in the tail's panel, quads of blocks of L rows instead (blocks numbered from start / L,
     * start a multiple of L, stored for the rows in [start, end)). Quad q is the kernel call's four rows (blocks) start + q
     * + j part (part = {@link MatvecQuads#quads}), those below end, so each thread reads four streams at once and the rows share
     * activation loads: DRAM serves a core two streams faster than one (TinyLlama-shaped matvecs, 2 threads, against
     * a read of the memory in the same process: Q4_0 32-35 -> 36-41 GB/s, Q8_0 about 86 -> 97% on average); rows
     * next to each other instead of a part apart ran at 20 against 48 GB/s from DRAM, the scale loads waiting on
     * memory. Their dot products with that panel are stored in out (not added).
     */
    void multiplyQuads(int start, int end, int from, int to, int panel, int xRows, MemorySegment xt, MemorySegment out, int n) {
        long stride = preparedBytes();
        if (panel == groupPanels) {
            float[] dots = Scratch.floats(Scratch.Slot.ROW_DOTS, ROWS_PER_PASS * L), scales = Scratch.floats(Scratch.Slot.TAIL_SCALES, tailScaleFloats());
            int first = start / L, blocks = (end + L - 1) / L, part = MatvecQuads.quads(first, blocks);
            for (int a = first + from; a < first + to; a++) {
                int b = PackedWeight.partRow(a, 1, part, blocks), c = PackedWeight.partRow(a, 2, part, blocks), d = PackedWeight.partRow(a, 3, part, blocks);
                tailScales(a, b, c, d, scales);
                for (int r = 0; r < xRows; r++) {
                    long tailGroup = unitAt(r * stride, groups, 1, 0, 0);
                    if (dtype == DType.Q4_0) dotTailQ4_0(a, b, c, d, xt, tailGroup, UNIT_BYTES, out, 4L * r * n, start, end, false, dots, scales);
                    else dotTailQ8_0(a, b, c, d, xt, tailGroup, UNIT_BYTES, out, 4L * r * n, start, end, false, dots, scales);
                }
            }
            return;
        }
        int part = MatvecQuads.quads(start, end);
        float[] dots = Scratch.floats(Scratch.Slot.ROW_DOTS, ROWS_PER_PASS);
        for (int a = start + from; a < start + to; a++) {
            int b = PackedWeight.partRow(a, 1, part, end), c = PackedWeight.partRow(a, 2, part, end), d = PackedWeight.partRow(a, 3, part, end);
            for (int r = 0; r < xRows; r++) {
                if (dtype == DType.Q4_0) dotQuantized(a, b, c, d, panel, xt, r * stride, dots);
                else dotQ8_0(a, b, c, d, panel, xt, r * stride, dots);
                storeQuad(out, 4L * r * n, a, b, c, d, dots);
            }
        }
    }

    /**
     * Rows in each of the four units of a quad of {@link MatvecQuads} in column panel {@code panel}: 0 for a whole
     * group's (its quads are of single rows), L in the tail's (of row blocks, {@link #tailBlockAt}); a piece of the
     * tail's then starts at a multiple of L.
     */
    int unitRows(int panel) { return panel == groupPanels ? L : 0; }

    /**
     * Reads ahead ({@link WeightRows#touchLines}) what {@link #multiplyQuads} reads of quad {@code quad} of rows
     * [start, end) in column panel {@code panel}; returns the lines' bits ORed.
     */
    int touchQuad(int start, int end, int quad, int panel) {
        if (panel == groupPanels) {
            int first = start / L, blocks = (end + L - 1) / L, part = MatvecQuads.quads(first, blocks), a = first + quad;
            return WeightRows.touchLines(packed, panelRowBytes[panel], tailBlockAt(a), tailBlockAt(PackedWeight.partRow(a, 1, part, blocks)),
                    tailBlockAt(PackedWeight.partRow(a, 2, part, blocks)), tailBlockAt(PackedWeight.partRow(a, 3, part, blocks)));
        }
        int part = MatvecQuads.quads(start, end), a = start + quad;
        return WeightRows.touchLines(packed, panelRowBytes[panel], panelRowAt(a, panel), panelRowAt(PackedWeight.partRow(a, 1, part, end), panel),
                panelRowAt(PackedWeight.partRow(a, 2, part, end), panel), panelRowAt(PackedWeight.partRow(a, 3, part, end), panel));
    }

    /** Bytes of weights a quad (of row blocks, in the tail) reads in column panel {@code panel}. */
    long quadBytes(int panel) { return ROWS_PER_PASS * panelRowBytes[panel]; }

    /**
     * Q8_0: column panel p of rows rowA..rowD dotted with the quantized activations at byte xtOff, into dots[0..3] as
     * {@link #dotQuantized} does, as ggml's Q8_0 x Q8_0 dot product: integer
     * sums per block, scaled by d(w) d(x). A quant word's two 16-bit halves each hold two bytes (stored plus 128): the
     * low bytes are the halves as they are (see {@link #prepare}), the high ones a 32-bit shift and AND (a 16-bit
     * shift took its count from a register, set anew before each one: 48 moves and 53 mask broadcasts in the compiled
     * kernel, against 6 and 3; L3-resident matvecs 44-54 -> 47-58 GB/s; again 0.925 without the AND); each multiplies
     * its slot of activation quants and the two products add up in the half, wrapping. Less the word's offset, a half holds the sum of two products of signed quants, at most 2 * 128 *
     * 127 in magnitude, so exact, and (with {@link #LOW_HALF_BIAS}) the low half's bits read unsigned as its value.
     * Then an int lane is 65536 high + low: the kernel adds the lanes and their high halves (one arithmetic shift) over
     * the group's eight words and takes the low halves' total as the difference at the end. Per word a row takes nine
     * operations, two of them shifts, and no FMA; the float products took four FMAs, which issue one a cycle here
     * (figures in the class comment). Four rows rather than two, sharing each word's three activation loads: from DRAM
     * 52.7 -> 56.6 and 37.5 -> 40.0 GB/s ({@code SameJvmAB}, both orders), L3-resident 1-5% faster; generation mixed
     * (bench/README.md, session 10). The rows' panel offsets are computed once, not per group (pocket bench, builds
     * alternating in one JVM: Q4_0 74-78 -> 77-85 tokens/s, Q8_0 38.4-39.0 -> 40.1-42.2). How both packed kernels are
     * written is set by C2:
     * <ul>
     * <li>The panel's activations, and each row's words and scales, are read through slices of constant size
     *     ({@link #Q4_0_PANEL_WORD_BYTES} and its neighbours), taken once per call: read from the whole buffer, each
     *     load kept a bounds check (one thread: 16 against 23 GB/s, Q4_0). Slices per group cost each group about 60
     *     scalar instructions of bounds and alignment checks, 7% of the kernel's samples; per call, L3-resident
     *     matvecs ran 3% (Q4_0) and 5% (Q8_0) faster (bench/README.md, session 11).</li>
     * <li>The slices are taken with the three-argument {@code asSlice}: the two-argument one is a bridge whose JVM-wide
     *     profile sometimes kept C2 from inlining it, and then a slice object was allocated per call.</li>
     * <li>Our helpers are called first (the slices, then each group's scales): C2 parses a method in order and stops
     *     inlining our own helper methods (not the Vector API's) past 18,000 nodes, which these kernels pass. A scale
     *     conversion left for the end of the group was then a call returning a boxed vector; Q4_0's word slices
     *     taken after the scales, calls to {@code asSlice} and {@code groupWordsAt} (27-33 tokens/s).</li>
     * <li>The panel's group count is read once, before the loop: as the loop's condition, {@code panelGroups} stayed
     *     a call per group, around which the accumulators were spilled to the stack (one thread, so bound by compute:
     *     TinyLlama Q4_0 generation 38-40 -> 48-50 GB/s in {@code SameJvmBench}).</li>
     * </ul>
     * The uninlined bridge and the late scale conversion each allocated per group: TinyLlama generation ran at 33-35
     * instead of 54-61 tokens/s (Q4_0), with 160-570 young collections per run instead of 12-33, after a short prompt
     * or in one process of six.
     */
    private void dotQ8_0(int rowA, int rowB, int rowC, int rowD, int p, MemorySegment xt, long xtOff, float[] dots) {
        FloatVector accA = FloatVector.zero(F), accB = accA, accC = accA, accD = accA;
        long panelA = panelRowAt(rowA, p), panelB = panelRowAt(rowB, p), panelC = panelRowAt(rowC, p), panelD = panelRowAt(rowD, p);
        MemorySegment px = xt.asSlice(xtOff + (long) p * Q8_PANEL_BYTES, Q8_PANEL_BYTES, 64);
        MemorySegment wa = packed.asSlice(panelWordsAt(panelA, p), Q8_0_PANEL_WORD_BYTES, 64), sa = packed.asSlice(panelA, PANEL_SCALE_BYTES, 64);
        MemorySegment wb = packed.asSlice(panelWordsAt(panelB, p), Q8_0_PANEL_WORD_BYTES, 64), sb = packed.asSlice(panelB, PANEL_SCALE_BYTES, 64);
        MemorySegment wc = packed.asSlice(panelWordsAt(panelC, p), Q8_0_PANEL_WORD_BYTES, 64), sc = packed.asSlice(panelC, PANEL_SCALE_BYTES, 64);
        MemorySegment wd = packed.asSlice(panelWordsAt(panelD, p), Q8_0_PANEL_WORD_BYTES, 64), sd = packed.asSlice(panelD, PANEL_SCALE_BYTES, 64);
        for (int i = 0, count = panelGroups(p); i < count; i++) {
            long gx = (long) i * Q8_GROUP_BYTES, gw = i * Q8_0_GROUP_WORD_BYTES, gs = 2L * L * i;
            FloatVector xScales = FloatVector.fromMemorySegment(F, px, gx + Q8_SCALES, LE);
            FloatVector scaleA = scales(sa, gs).mul(xScales), scaleB = scales(sb, gs).mul(xScales);
            FloatVector scaleC = scales(sc, gs).mul(xScales), scaleD = scales(sd, gs).mul(xScales);
            IntVector lanesA = IntVector.zero(INTS), highsA = lanesA, lanesB = lanesA, highsB = lanesA;
            IntVector lanesC = lanesA, highsC = lanesA, lanesD = lanesA, highsD = lanesA;
            for (int m = 0; m < BLOCK / 4; m++) {
                ShortVector xLow = ShortVector.fromMemorySegment(SHORTS, px, gx + 8L * L * m, LE), xHigh = ShortVector.fromMemorySegment(SHORTS, px, gx + 8L * L * m + 4L * L, LE);
                ShortVector offset = ShortVector.fromMemorySegment(SHORTS, px, gx + Q_OFFSETS + 4L * L * m, LE);
                IntVector u = IntVector.fromMemorySegment(INTS, wa, gw + 4L * L * m, LE), v = IntVector.fromMemorySegment(INTS, wb, gw + 4L * L * m, LE);
                IntVector w = IntVector.fromMemorySegment(INTS, wc, gw + 4L * L * m, LE), z = IntVector.fromMemorySegment(INTS, wd, gw + 4L * L * m, LE);
                IntVector pairsA = (IntVector) ((ShortVector) u.reinterpretAsShorts()).mul(xLow)
                        .add(((ShortVector) u.lanewise(VectorOperators.LSHR, 8).and(LOW_BYTES).reinterpretAsShorts()).mul(xHigh)).sub(offset).reinterpretAsInts();
                IntVector pairsB = (IntVector) ((ShortVector) v.reinterpretAsShorts()).mul(xLow)
                        .add(((ShortVector) v.lanewise(VectorOperators.LSHR, 8).and(LOW_BYTES).reinterpretAsShorts()).mul(xHigh)).sub(offset).reinterpretAsInts();
                IntVector pairsC = (IntVector) ((ShortVector) w.reinterpretAsShorts()).mul(xLow)
                        .add(((ShortVector) w.lanewise(VectorOperators.LSHR, 8).and(LOW_BYTES).reinterpretAsShorts()).mul(xHigh)).sub(offset).reinterpretAsInts();
                IntVector pairsD = (IntVector) ((ShortVector) z.reinterpretAsShorts()).mul(xLow)
                        .add(((ShortVector) z.lanewise(VectorOperators.LSHR, 8).and(LOW_BYTES).reinterpretAsShorts()).mul(xHigh)).sub(offset).reinterpretAsInts();
                lanesA = lanesA.add(pairsA);
                highsA = highsA.add(pairsA.lanewise(VectorOperators.ASHR, 16));
                lanesB = lanesB.add(pairsB);
                highsB = highsB.add(pairsB.lanewise(VectorOperators.ASHR, 16));
                lanesC = lanesC.add(pairsC);
                highsC = highsC.add(pairsC.lanewise(VectorOperators.ASHR, 16));
                lanesD = lanesD.add(pairsD);
                highsD = highsD.add(pairsD.lanewise(VectorOperators.ASHR, 16));
            }
            // per block: the highs, plus the lows (the lanes less the highs shifted back), less the lows' bias
            IntVector sumsA = lanesA.sub(highsA.lanewise(VectorOperators.LSHL, 16)).add(highsA).sub(BLOCK / 4 * LOW_HALF_BIAS);
            IntVector sumsB = lanesB.sub(highsB.lanewise(VectorOperators.LSHL, 16)).add(highsB).sub(BLOCK / 4 * LOW_HALF_BIAS);
            IntVector sumsC = lanesC.sub(highsC.lanewise(VectorOperators.LSHL, 16)).add(highsC).sub(BLOCK / 4 * LOW_HALF_BIAS);
            IntVector sumsD = lanesD.sub(highsD.lanewise(VectorOperators.LSHL, 16)).add(highsD).sub(BLOCK / 4 * LOW_HALF_BIAS);
            accA = ((FloatVector) sumsA.convert(VectorOperators.I2F, 0)).fma(scaleA, accA);
            accB = ((FloatVector) sumsB.convert(VectorOperators.I2F, 0)).fma(scaleB, accB);
            accC = ((FloatVector) sumsC.convert(VectorOperators.I2F, 0)).fma(scaleC, accC);
            accD = ((FloatVector) sumsD.convert(VectorOperators.I2F, 0)).fma(scaleD, accD);
        }
        dots[0] = accA.reduceLanes(VectorOperators.ADD);
        dots[1] = accB.reduceLanes(VectorOperators.ADD);
        dots[2] = accC.reduceLanes(VectorOperators.ADD);
        dots[3] = accD.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Q4_0: column panel p of rows rowA..rowD dotted with the quantized activations at byte xtOff, into dots[0..3]
     * (rowB..rowD equal to rowA are past the range's end: computed, not stored). The caller stores them: {@link
     * PackedWeight#store} called here, past C2's inlining budget (see {@link #dotQ8_0}), stayed three calls (TinyLlama
     * Q4_0 matvecs from L3, builds alternating in one JVM: 7.6% faster; Q8_0 4.9%).
     * Four rows, not two, share each activation load: bound by compute, this kernel ran at the speed of its
     * instructions less the loads (one core, L1: the word loop of two rows 46 cycles a group, 30 with the activation
     * loads hoisted out; four rows 36 per two rows). L3-resident matvecs (one layer's attention, both threads): 80-82
     * against 69-71 GB/s; from DRAM 2-6.5% slower (four streams a thread instead of two); generation level
     * (bench/README.md, session 9). Nibble f of both halves of an int lane is one 32-bit shift, the nibbles above it
     * left in ({@link #prepare}); its products with the activation quants add up in 16-bit lanes, wrapping: with the
     * offsets, the two halves' total is sum((q - 8) x) over the block, at most 32 * 8 * 127 in magnitude, so exact
     * modulo 2^16. Per group the halves are added, converted and scaled by d(w) d(x). Each row has one accumulator, started at the negated
     * offsets: with two (nibbles 0 and 2, 1 and 3) C2 spilled them and reloaded the nibble mask before every AND in
     * AVX2's 16 registers (L3-resident matvecs with 256-bit vectors 10% faster with one, level with 512). An int
     * lane's halves add up in one shift and add before the shift down (six operations a row and group before, four
     * now: 2-3% faster). The slices are taken as in {@link #dotQ8_0}. Faster from L3 but slower in the model (pocket
     * bench, builds alternating in one JVM, 74-79 against 81-86 tokens/s): the words unrolled, the halves added by a
     * multiply by 0x10001.
     */
    private void dotQuantized(int rowA, int rowB, int rowC, int rowD, int p, MemorySegment xt, long xtOff, float[] dots) {
        FloatVector accA = FloatVector.zero(F), accB = accA, accC = accA, accD = accA;
        long panelA = panelRowAt(rowA, p), panelB = panelRowAt(rowB, p), panelC = panelRowAt(rowC, p), panelD = panelRowAt(rowD, p);
        MemorySegment px = xt.asSlice(xtOff + (long) p * Q4_PANEL_BYTES, Q4_PANEL_BYTES, 64);
        MemorySegment wa = packed.asSlice(panelWordsAt(panelA, p), Q4_0_PANEL_WORD_BYTES, 64), sa = packed.asSlice(panelA, PANEL_SCALE_BYTES, 64);
        MemorySegment wb = packed.asSlice(panelWordsAt(panelB, p), Q4_0_PANEL_WORD_BYTES, 64), sb = packed.asSlice(panelB, PANEL_SCALE_BYTES, 64);
        MemorySegment wc = packed.asSlice(panelWordsAt(panelC, p), Q4_0_PANEL_WORD_BYTES, 64), sc = packed.asSlice(panelC, PANEL_SCALE_BYTES, 64);
        MemorySegment wd = packed.asSlice(panelWordsAt(panelD, p), Q4_0_PANEL_WORD_BYTES, 64), sd = packed.asSlice(panelD, PANEL_SCALE_BYTES, 64);
        for (int i = 0, count = panelGroups(p); i < count; i++) {
            long gx = (long) i * Q4_GROUP_BYTES, gw = i * Q4_0_GROUP_WORD_BYTES, gs = 2L * L * i;
            FloatVector xScales = FloatVector.fromMemorySegment(F, px, gx + Q4_SCALES, LE);
            FloatVector scaleA = scales(sa, gs).mul(xScales), scaleB = scales(sb, gs).mul(xScales);
            FloatVector scaleC = scales(sc, gs).mul(xScales), scaleD = scales(sd, gs).mul(xScales);
            ShortVector offsets = ShortVector.fromMemorySegment(SHORTS, px, gx + Q_OFFSETS, LE);
            ShortVector halvesA = offsets, halvesB = offsets, halvesC = offsets, halvesD = offsets;
            for (int m = 0; m < BLOCK / 8; m++) {
                IntVector u = IntVector.fromMemorySegment(INTS, wa, gw + 4L * L * m, LE), v = IntVector.fromMemorySegment(INTS, wb, gw + 4L * L * m, LE);
                IntVector w = IntVector.fromMemorySegment(INTS, wc, gw + 4L * L * m, LE), z = IntVector.fromMemorySegment(INTS, wd, gw + 4L * L * m, LE);
                long xs = gx + 16L * L * m;
                ShortVector x0 = ShortVector.fromMemorySegment(SHORTS, px, xs, LE), x1 = ShortVector.fromMemorySegment(SHORTS, px, xs + 4L * L, LE);
                ShortVector x2 = ShortVector.fromMemorySegment(SHORTS, px, xs + 8L * L, LE), x3 = ShortVector.fromMemorySegment(SHORTS, px, xs + 12L * L, LE);
                // field f of every 16-bit half, the bits above it included: the prepared quants cancel their products
                halvesA = halvesA.add(((ShortVector) u.reinterpretAsShorts()).mul(x0));
                halvesB = halvesB.add(((ShortVector) v.reinterpretAsShorts()).mul(x0));
                halvesC = halvesC.add(((ShortVector) w.reinterpretAsShorts()).mul(x0));
                halvesD = halvesD.add(((ShortVector) z.reinterpretAsShorts()).mul(x0));
                halvesA = halvesA.add(((ShortVector) u.lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts()).mul(x1));
                halvesB = halvesB.add(((ShortVector) v.lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts()).mul(x1));
                halvesC = halvesC.add(((ShortVector) w.lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts()).mul(x1));
                halvesD = halvesD.add(((ShortVector) z.lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts()).mul(x1));
                halvesA = halvesA.add(((ShortVector) u.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts()).mul(x2));
                halvesB = halvesB.add(((ShortVector) v.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts()).mul(x2));
                halvesC = halvesC.add(((ShortVector) w.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts()).mul(x2));
                halvesD = halvesD.add(((ShortVector) z.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts()).mul(x2));
                halvesA = halvesA.add(((ShortVector) u.lanewise(VectorOperators.LSHR, 12).reinterpretAsShorts()).mul(x3));
                halvesB = halvesB.add(((ShortVector) v.lanewise(VectorOperators.LSHR, 12).reinterpretAsShorts()).mul(x3));
                halvesC = halvesC.add(((ShortVector) w.lanewise(VectorOperators.LSHR, 12).reinterpretAsShorts()).mul(x3));
                halvesD = halvesD.add(((ShortVector) z.lanewise(VectorOperators.LSHR, 12).reinterpretAsShorts()).mul(x3));
            }
            // per int lane (block), the sum of its 16-bit halves: the low one added into the high one, shifted down signed
            IntVector pairsA = (IntVector) halvesA.reinterpretAsInts(), pairsB = (IntVector) halvesB.reinterpretAsInts();
            IntVector pairsC = (IntVector) halvesC.reinterpretAsInts(), pairsD = (IntVector) halvesD.reinterpretAsInts();
            IntVector sumsA = pairsA.add(pairsA.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            IntVector sumsB = pairsB.add(pairsB.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            IntVector sumsC = pairsC.add(pairsC.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            IntVector sumsD = pairsD.add(pairsD.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            accA = ((FloatVector) sumsA.convert(VectorOperators.I2F, 0)).fma(scaleA, accA);
            accB = ((FloatVector) sumsB.convert(VectorOperators.I2F, 0)).fma(scaleB, accB);
            accC = ((FloatVector) sumsC.convert(VectorOperators.I2F, 0)).fma(scaleC, accC);
            accD = ((FloatVector) sumsD.convert(VectorOperators.I2F, 0)).fma(scaleD, accD);
        }
        dots[0] = accA.reduceLanes(VectorOperators.ADD);
        dots[1] = accB.reduceLanes(VectorOperators.ADD);
        dots[2] = accC.reduceLanes(VectorOperators.ADD);
        dots[3] = accD.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Q4_0, {@link #TILE_TOKENS} tokens at once: column panel p of row {@code row} dotted with the prepared tile of four
     * tokens at byte tileAt of xt, into dots[0..3] (stored by the caller, as {@link #dotQuantized}'s: four calls a row
     * here cost 9% of a prompt's matmuls). The products are {@link
     * #dotQuantized}'s, but a row's nibbles (three shifts) serve four tokens: per word and token 8 operations
     * (multiply, add) and 0.75 of nibbles instead of 6. The tile's tokens sit side by side, unit by unit ({@link
     * #unitAt}), so every activation load is one slice plus a constant. One row a call: with two, or a loop over rows, the method
     * passed C2's inlining budget (18,000 nodes) before its end, and its last vector operations were calls on boxed
     * vectors (TinyLlama Q4_0 prompt 8 tokens/s); for the same reason nothing here is a helper.
     */
    private void dotQ4_0Tile(int row, int p, MemorySegment xt, long tileAt, float[] dots) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        long panelRow = panelRowAt(row, p);
        MemorySegment x = xt.asSlice(tileAt + TILE_TOKENS * p * Q4_PANEL_BYTES, TILE_TOKENS * Q4_PANEL_BYTES, 64);
        MemorySegment words = packed.asSlice(panelWordsAt(panelRow, p), Q4_0_PANEL_WORD_BYTES, 64);
        MemorySegment rowScales = packed.asSlice(panelRow, PANEL_SCALE_BYTES, 64);
        for (int i = 0, groupCount = panelGroups(p); i < groupCount; i++) {
            long gx = (long) i * TILE_TOKENS * Q4_GROUP_BYTES, gw = i * Q4_0_GROUP_WORD_BYTES, offsets = gx + TILE_TOKENS * Q_OFFSETS;
            FloatVector scale = scales(rowScales, 2L * L * i);
            ShortVector h0 = ShortVector.fromMemorySegment(SHORTS, x, offsets, LE);
            ShortVector h1 = ShortVector.fromMemorySegment(SHORTS, x, offsets + UNIT_BYTES, LE);
            ShortVector h2 = ShortVector.fromMemorySegment(SHORTS, x, offsets + 2 * UNIT_BYTES, LE);
            ShortVector h3 = ShortVector.fromMemorySegment(SHORTS, x, offsets + 3 * UNIT_BYTES, LE);
            for (int m = 0; m < BLOCK / 8; m++) {
                IntVector u = IntVector.fromMemorySegment(INTS, words, gw + 4L * L * m, LE);
                // field f of every 16-bit half, the bits above it included, as in dotQuantized
                ShortVector q0 = (ShortVector) u.reinterpretAsShorts();
                ShortVector q1 = (ShortVector) u.lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts();
                ShortVector q2 = (ShortVector) u.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts();
                ShortVector q3 = (ShortVector) u.lanewise(VectorOperators.LSHR, 12).reinterpretAsShorts();
                // slot 4m + f of token t: unit 4 (4m + f) + t of the group, so unit 4f + t from s; the four offsets
                // step a unit per token in place (as s + t, f1 + t, ... the kernel ran at 0.66x: ComputeAB tokens=64)
                long s = gx + 4L * TILE_TOKENS * UNIT_BYTES * m, f1 = s + 4L * UNIT_BYTES, f2 = s + 8L * UNIT_BYTES, f3 = s + 12L * UNIT_BYTES;
                h0 = h0.add(q0.mul(ShortVector.fromMemorySegment(SHORTS, x, s, LE)).add(q1.mul(ShortVector.fromMemorySegment(SHORTS, x, f1, LE))))
                        .add(q2.mul(ShortVector.fromMemorySegment(SHORTS, x, f2, LE)).add(q3.mul(ShortVector.fromMemorySegment(SHORTS, x, f3, LE))));
                s += UNIT_BYTES;
                f1 += UNIT_BYTES;
                f2 += UNIT_BYTES;
                f3 += UNIT_BYTES;
                h1 = h1.add(q0.mul(ShortVector.fromMemorySegment(SHORTS, x, s, LE)).add(q1.mul(ShortVector.fromMemorySegment(SHORTS, x, f1, LE))))
                        .add(q2.mul(ShortVector.fromMemorySegment(SHORTS, x, f2, LE)).add(q3.mul(ShortVector.fromMemorySegment(SHORTS, x, f3, LE))));
                s += UNIT_BYTES;
                f1 += UNIT_BYTES;
                f2 += UNIT_BYTES;
                f3 += UNIT_BYTES;
                h2 = h2.add(q0.mul(ShortVector.fromMemorySegment(SHORTS, x, s, LE)).add(q1.mul(ShortVector.fromMemorySegment(SHORTS, x, f1, LE))))
                        .add(q2.mul(ShortVector.fromMemorySegment(SHORTS, x, f2, LE)).add(q3.mul(ShortVector.fromMemorySegment(SHORTS, x, f3, LE))));
                s += UNIT_BYTES;
                f1 += UNIT_BYTES;
                f2 += UNIT_BYTES;
                f3 += UNIT_BYTES;
                h3 = h3.add(q0.mul(ShortVector.fromMemorySegment(SHORTS, x, s, LE)).add(q1.mul(ShortVector.fromMemorySegment(SHORTS, x, f1, LE))))
                        .add(q2.mul(ShortVector.fromMemorySegment(SHORTS, x, f2, LE)).add(q3.mul(ShortVector.fromMemorySegment(SHORTS, x, f3, LE))));
            }
            // per int lane (block), its halves' sum as in dotQuantized, scaled by d(w) d(x)
            long xScales = gx + TILE_TOKENS * Q4_SCALES;
            IntVector p0 = (IntVector) h0.reinterpretAsInts(), p1 = (IntVector) h1.reinterpretAsInts();
            IntVector p2 = (IntVector) h2.reinterpretAsInts(), p3 = (IntVector) h3.reinterpretAsInts();
            acc0 = ((FloatVector) p0.add(p0.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                    .fma(scale.mul(FloatVector.fromMemorySegment(F, x, xScales, LE)), acc0);
            acc1 = ((FloatVector) p1.add(p1.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                    .fma(scale.mul(FloatVector.fromMemorySegment(F, x, xScales + UNIT_BYTES, LE)), acc1);
            acc2 = ((FloatVector) p2.add(p2.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                    .fma(scale.mul(FloatVector.fromMemorySegment(F, x, xScales + 2 * UNIT_BYTES, LE)), acc2);
            acc3 = ((FloatVector) p3.add(p3.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                    .fma(scale.mul(FloatVector.fromMemorySegment(F, x, xScales + 3 * UNIT_BYTES, LE)), acc3);
        }
        dots[0] = acc0.reduceLanes(VectorOperators.ADD);
        dots[1] = acc1.reduceLanes(VectorOperators.ADD);
        dots[2] = acc2.reduceLanes(VectorOperators.ADD);
        dots[3] = acc3.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Q4_0: the tail of four row blocks (rows [L block, L block + L) for blockA..blockD, a row in each lane; blockB..D
     * equal to blockA are past the range's end: computed, not stored), dotted with a token's prepared tail group (its
     * unit u at byte tailGroup + u unitStep of xt: in a tile the tokens' units interleave), stored (added, when {@code
     * add}) for the rows in [from, to) at byte outRow of out. Per tail block, {@link #dotQuantized}'s products with
     * each activation slot broadcast (lane b of the group's slot, block b's), so no sum crosses lanes, and each
     * broadcast serves the four blocks. Four blocks a part apart, as {@link #dotQuantized} takes four rows: one block
     * a call read one stream per thread, and a 65536 x 960 matvec (14 of its 30 blocks a row in the tail) streamed
     * 24-33 GB/s where 65536 x 1024 (whole groups) streamed 49-60 (JMH, one run each). dots: 4L floats of scratch;
     * scales: the four blocks' weight scales as {@link #tailScales} left them.
     */
    private void dotTailQ4_0(int blockA, int blockB, int blockC, int blockD, MemorySegment xt, long tailGroup, long unitStep,
                             MemorySegment out, long outRow, int from, int to, boolean add, float[] dots, float[] scales) {
        long wa = tailBlockAt(blockA), wb = tailBlockAt(blockB), wc = tailBlockAt(blockC), wd = tailBlockAt(blockD);
        FloatVector accA = FloatVector.zero(F), accB = accA, accC = accA, accD = accA;
        for (int b = 0; b < tailBlocks; b++) {
            long x = tailGroup + 4L * b;
            FloatVector xScale = FloatVector.broadcast(F, xt.get(FLOAT, x + (long) (Q4_SCALES / UNIT_BYTES) * unitStep));
            FloatVector scaleA = FloatVector.fromArray(F, scales, 4 * L * b).mul(xScale), scaleB = FloatVector.fromArray(F, scales, 4 * L * b + L).mul(xScale);
            FloatVector scaleC = FloatVector.fromArray(F, scales, 4 * L * b + 2 * L).mul(xScale), scaleD = FloatVector.fromArray(F, scales, 4 * L * b + 3 * L).mul(xScale);
            ShortVector offsets = (ShortVector) IntVector.broadcast(INTS, xt.get(INT, x + Q_SLOTS * unitStep)).reinterpretAsShorts();
            ShortVector halvesA = offsets, halvesB = offsets, halvesC = offsets, halvesD = offsets;
            for (int m = 0; m < BLOCK / 8; m++) {
                long slots = x + 4L * m * unitStep, word = (long) (4 * b + m) * UNIT_BYTES;
                // each slot's int in every lane, written out: a helper for it, past C2's budget, was a call boxing its result
                ShortVector x0 = (ShortVector) IntVector.broadcast(INTS, xt.get(INT, slots)).reinterpretAsShorts();
                ShortVector x1 = (ShortVector) IntVector.broadcast(INTS, xt.get(INT, slots + unitStep)).reinterpretAsShorts();
                ShortVector x2 = (ShortVector) IntVector.broadcast(INTS, xt.get(INT, slots + 2 * unitStep)).reinterpretAsShorts();
                ShortVector x3 = (ShortVector) IntVector.broadcast(INTS, xt.get(INT, slots + 3 * unitStep)).reinterpretAsShorts();
                IntVector u = IntVector.fromMemorySegment(INTS, packed, wa + word, LE), v = IntVector.fromMemorySegment(INTS, packed, wb + word, LE);
                IntVector w = IntVector.fromMemorySegment(INTS, packed, wc + word, LE), z = IntVector.fromMemorySegment(INTS, packed, wd + word, LE);
                // field f of every 16-bit half, the bits above it included, as in dotQuantized
                halvesA = halvesA.add(((ShortVector) u.reinterpretAsShorts()).mul(x0)).add(((ShortVector) u.lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts()).mul(x1))
                        .add(((ShortVector) u.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts()).mul(x2)).add(((ShortVector) u.lanewise(VectorOperators.LSHR, 12).reinterpretAsShorts()).mul(x3));
                halvesB = halvesB.add(((ShortVector) v.reinterpretAsShorts()).mul(x0)).add(((ShortVector) v.lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts()).mul(x1))
                        .add(((ShortVector) v.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts()).mul(x2)).add(((ShortVector) v.lanewise(VectorOperators.LSHR, 12).reinterpretAsShorts()).mul(x3));
                halvesC = halvesC.add(((ShortVector) w.reinterpretAsShorts()).mul(x0)).add(((ShortVector) w.lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts()).mul(x1))
                        .add(((ShortVector) w.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts()).mul(x2)).add(((ShortVector) w.lanewise(VectorOperators.LSHR, 12).reinterpretAsShorts()).mul(x3));
                halvesD = halvesD.add(((ShortVector) z.reinterpretAsShorts()).mul(x0)).add(((ShortVector) z.lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts()).mul(x1))
                        .add(((ShortVector) z.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts()).mul(x2)).add(((ShortVector) z.lanewise(VectorOperators.LSHR, 12).reinterpretAsShorts()).mul(x3));
            }
            IntVector pairsA = (IntVector) halvesA.reinterpretAsInts(), pairsB = (IntVector) halvesB.reinterpretAsInts();
            IntVector pairsC = (IntVector) halvesC.reinterpretAsInts(), pairsD = (IntVector) halvesD.reinterpretAsInts();
            accA = ((FloatVector) pairsA.add(pairsA.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(scaleA, accA);
            accB = ((FloatVector) pairsB.add(pairsB.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(scaleB, accB);
            accC = ((FloatVector) pairsC.add(pairsC.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(scaleC, accC);
            accD = ((FloatVector) pairsD.add(pairsD.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(scaleD, accD);
        }
        // not passed on as vectors: past C2's budget a call would take them boxed
        accA.intoArray(dots, 0);
        accB.intoArray(dots, L);
        accC.intoArray(dots, 2 * L);
        accD.intoArray(dots, 3 * L);
        storeTails(dots, blockA, blockB, blockC, blockD, out, outRow, from, to, add);
    }

    /** Q8_0: the tail of four row blocks, as {@link #dotTailQ4_0} does Q4_0's, with {@link #dotQ8_0}'s products. */
    private void dotTailQ8_0(int blockA, int blockB, int blockC, int blockD, MemorySegment xt, long tailGroup, long unitStep,
                             MemorySegment out, long outRow, int from, int to, boolean add, float[] dots, float[] scales) {
        long wa = tailBlockAt(blockA), wb = tailBlockAt(blockB), wc = tailBlockAt(blockC), wd = tailBlockAt(blockD);
        FloatVector accA = FloatVector.zero(F), accB = accA, accC = accA, accD = accA;
        for (int b = 0; b < tailBlocks; b++) {
            long x = tailGroup + 4L * b;
            FloatVector xScale = FloatVector.broadcast(F, xt.get(FLOAT, x + (long) (Q8_SCALES / UNIT_BYTES) * unitStep));
            FloatVector scaleA = FloatVector.fromArray(F, scales, 4 * L * b).mul(xScale), scaleB = FloatVector.fromArray(F, scales, 4 * L * b + L).mul(xScale);
            FloatVector scaleC = FloatVector.fromArray(F, scales, 4 * L * b + 2 * L).mul(xScale), scaleD = FloatVector.fromArray(F, scales, 4 * L * b + 3 * L).mul(xScale);
            IntVector lanesA = IntVector.zero(INTS), highsA = lanesA, lanesB = lanesA, highsB = lanesA;
            IntVector lanesC = lanesA, highsC = lanesA, lanesD = lanesA, highsD = lanesA;
            for (int m = 0; m < BLOCK / 4; m++) {
                long word = (long) (8 * b + m) * UNIT_BYTES;
                // each slot's int in every lane, written out as in dotTailQ4_0
                ShortVector xLow = (ShortVector) IntVector.broadcast(INTS, xt.get(INT, x + 2L * m * unitStep)).reinterpretAsShorts();
                ShortVector xHigh = (ShortVector) IntVector.broadcast(INTS, xt.get(INT, x + (2L * m + 1) * unitStep)).reinterpretAsShorts();
                ShortVector offset = (ShortVector) IntVector.broadcast(INTS, xt.get(INT, x + (Q_SLOTS + m) * unitStep)).reinterpretAsShorts();
                IntVector u = IntVector.fromMemorySegment(INTS, packed, wa + word, LE), v = IntVector.fromMemorySegment(INTS, packed, wb + word, LE);
                IntVector w = IntVector.fromMemorySegment(INTS, packed, wc + word, LE), z = IntVector.fromMemorySegment(INTS, packed, wd + word, LE);
                IntVector pairsA = (IntVector) ((ShortVector) u.reinterpretAsShorts()).mul(xLow)
                        .add(((ShortVector) u.lanewise(VectorOperators.LSHR, 8).and(LOW_BYTES).reinterpretAsShorts()).mul(xHigh)).sub(offset).reinterpretAsInts();
                IntVector pairsB = (IntVector) ((ShortVector) v.reinterpretAsShorts()).mul(xLow)
                        .add(((ShortVector) v.lanewise(VectorOperators.LSHR, 8).and(LOW_BYTES).reinterpretAsShorts()).mul(xHigh)).sub(offset).reinterpretAsInts();
                IntVector pairsC = (IntVector) ((ShortVector) w.reinterpretAsShorts()).mul(xLow)
                        .add(((ShortVector) w.lanewise(VectorOperators.LSHR, 8).and(LOW_BYTES).reinterpretAsShorts()).mul(xHigh)).sub(offset).reinterpretAsInts();
                IntVector pairsD = (IntVector) ((ShortVector) z.reinterpretAsShorts()).mul(xLow)
                        .add(((ShortVector) z.lanewise(VectorOperators.LSHR, 8).and(LOW_BYTES).reinterpretAsShorts()).mul(xHigh)).sub(offset).reinterpretAsInts();
                lanesA = lanesA.add(pairsA);
                highsA = highsA.add(pairsA.lanewise(VectorOperators.ASHR, 16));
                lanesB = lanesB.add(pairsB);
                highsB = highsB.add(pairsB.lanewise(VectorOperators.ASHR, 16));
                lanesC = lanesC.add(pairsC);
                highsC = highsC.add(pairsC.lanewise(VectorOperators.ASHR, 16));
                lanesD = lanesD.add(pairsD);
                highsD = highsD.add(pairsD.lanewise(VectorOperators.ASHR, 16));
            }
            // per block: the highs, plus the lows (the lanes less the highs shifted back), less the lows' bias
            accA = ((FloatVector) lanesA.sub(highsA.lanewise(VectorOperators.LSHL, 16)).add(highsA).sub(BLOCK / 4 * LOW_HALF_BIAS).convert(VectorOperators.I2F, 0)).fma(scaleA, accA);
            accB = ((FloatVector) lanesB.sub(highsB.lanewise(VectorOperators.LSHL, 16)).add(highsB).sub(BLOCK / 4 * LOW_HALF_BIAS).convert(VectorOperators.I2F, 0)).fma(scaleB, accB);
            accC = ((FloatVector) lanesC.sub(highsC.lanewise(VectorOperators.LSHL, 16)).add(highsC).sub(BLOCK / 4 * LOW_HALF_BIAS).convert(VectorOperators.I2F, 0)).fma(scaleC, accC);
            accD = ((FloatVector) lanesD.sub(highsD.lanewise(VectorOperators.LSHL, 16)).add(highsD).sub(BLOCK / 4 * LOW_HALF_BIAS).convert(VectorOperators.I2F, 0)).fma(scaleD, accD);
        }
        // not passed on as vectors: past C2's budget a call would take them boxed
        accA.intoArray(dots, 0);
        accB.intoArray(dots, L);
        accC.intoArray(dots, 2 * L);
        accD.intoArray(dots, 3 * L);
        storeTails(dots, blockA, blockB, blockC, blockD, out, outRow, from, to, add);
    }

    /**
     * The F16 scales of the tail blocks of row blocks a..d as floats, tail block by tail block, into dst
     * ({@link #tailScaleFloats}), once for every token a tail kernel then takes those blocks for. With the
     * conversions inside the kernels' loops, one process in four compiled a Q8_0 kernel whose scales were calls
     * returning boxed vectors (SmolLM-360M's shape, 5.9 MB a generated token).
     */
    private void tailScales(int a, int b, int c, int d, float[] dst) {
        long wa = tailBlockAt(a), wb = tailBlockAt(b), wc = tailBlockAt(c), wd = tailBlockAt(d), at = tailScalesOffset();
        for (int block = 0; block < tailBlocks; block++, at += 2L * L) {
            scales(packed, wa + at).intoArray(dst, 4 * L * block);
            scales(packed, wb + at).intoArray(dst, 4 * L * block + L);
            scales(packed, wc + at).intoArray(dst, 4 * L * block + 2 * L);
            scales(packed, wd + at).intoArray(dst, 4 * L * block + 3 * L);
        }
    }

    /** Floats of scratch a tail kernel's scales take ({@link #tailScales}). */
    private int tailScaleFloats() { return 4 * L * tailBlocks; }

    /** A tail kernel's four row blocks' dots (L each, in order) stored by {@link #storeTail}; a block equal to blockA once. */
    private static void storeTails(float[] dots, int blockA, int blockB, int blockC, int blockD, MemorySegment out, long outRow,
                                   int from, int to, boolean add) {
        storeTail(dots, 0, blockA, out, outRow, from, to, add);
        if (blockB != blockA) storeTail(dots, L, blockB, out, outRow, from, to, add);
        if (blockC != blockA) storeTail(dots, 2 * L, blockC, out, outRow, from, to, add);
        if (blockD != blockA) storeTail(dots, 3 * L, blockD, out, outRow, from, to, add);
    }

    /**
     * A row block's L dots at dots[at...] into out, for the rows of the block in [from, to): one vector where the
     * block is whole.
     */
    private static void storeTail(float[] dots, int at, int rowBlock, MemorySegment out, long outRow, int from, int to, boolean add) {
        int first = rowBlock * L;
        if (from <= first && first + L <= to) {
            long outAt = outRow + 4L * first;
            FloatVector v = FloatVector.fromArray(F, dots, at);
            (add ? v.add(FloatVector.fromMemorySegment(F, out, outAt, LE)) : v).intoMemorySegment(out, outAt, LE);
            return;
        }
        for (int row = Math.max(from, first); row < Math.min(to, first + L); row++) PackedWeight.store(out, outRow, row, dots[at + row - first], !add);
    }

    private FloatVector scales(MemorySegment w, long at) {
        return infOrNaNScale ? WeightRows.load16(DType.F16, w, at) : WeightRows.loadF16Finite(w, at);
    }

    @Override public DType dtype() { return dtype; }

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
            FloatVector scales = scales(packed, scalesAt(row, g0));
            long words = wordsAt(row, g0);
            for (int kp = Math.max(k0, g0 * slots); kp < Math.min(packedEnd, (g0 + 1) * slots); kp += L) {
                int s = kp % slots / L;
                IntVector word = IntVector.fromMemorySegment(INTS, packed, words + 4L * L * (s / fields), LE);
                FloatVector q = (FloatVector) word.lanewise(VectorOperators.LSHR, fieldBits * (s % fields)).and(fieldMask)
                        .convert(VectorOperators.I2F, 0);
                q.sub(zeroPoint).mul(scales).intoArray(dst, dstOff + kp - k0);
            }
        }
        int tailStart = groups * slots;
        if (k0 + count > packedEnd) decodeTail(row, (packedEnd - tailStart) / BLOCK, (k0 + count - tailStart) / BLOCK, dst, dstOff + packedEnd - k0);
    }

    /**
     * Blocks [from, to) of a row's tail into dst[at...], in the order {@link #tailNatural} gives: the row's words of a
     * block (a row block's lane, so a cache line apart) copied to scratch, then L bytes at a time widened to floats,
     * less the zero point, times the block's scale. Decoded a field at a time, the default model's 192-column Q8_0
     * rows (all tail) took a 16-token prompt from 6682 to 5236 tokens/s.
     */
    private void decodeTail(int row, int from, int to, float[] dst, int at) {
        long rowBlock = tailBlockAt(row / L), lane = 4L * (row % L);
        int quantWords = quantWords();
        int[] words = Scratch.ints(Scratch.Slot.TAIL_WORDS, quantWords);
        for (int b = from; b < to; b++, at += BLOCK) {
            FloatVector scale = FloatVector.broadcast(F, Float.float16ToFloat(packed.get(SHORT, rowBlock + tailScalesOffset() + 2L * L * b + lane / 2)));
            for (int m = 0; m < quantWords; m++) words[m] = packed.get(INT, rowBlock + (long) (b * quantWords + m) * UNIT_BYTES + lane);
            if (dtype == DType.Q4_0) {
                for (int v = 0; v < BLOCK / 2 / L; v++) {
                    ByteVector bytes = (ByteVector) IntVector.fromArray(WORDS_OF_L_BYTES, words, v * L / 4).reinterpretAsBytes();
                    ((FloatVector) bytes.and((byte) 15).sub((byte) 8).castShape(F, 0)).mul(scale).intoArray(dst, at + 2 * L * v);
                    ((FloatVector) bytes.lanewise(VectorOperators.LSHR, 4).sub((byte) 8).castShape(F, 0)).mul(scale).intoArray(dst, at + 2 * L * v + L);
                }
            } else {
                for (int v = 0; v < BLOCK / L; v++) {
                    // stored plus 128: the sign bit flipped back gives the signed quant
                    ByteVector bytes = (ByteVector) IntVector.fromArray(WORDS_OF_L_BYTES, words, v * L / 4).reinterpretAsBytes();
                    ((FloatVector) bytes.lanewise(VectorOperators.XOR, (byte) 0x80).castShape(F, 0)).mul(scale).intoArray(dst, at + L * v);
                }
            }
        }
    }

    /** XORed into every quant word: Q8_0's signed bytes become unsigned (plus 128). */
    private int flip() { return dtype == DType.Q8_0 ? 0x80808080 : 0; }

    @Override public MatvecReadahead following() { return following; }

    @Override public void follow(MatvecReadahead next) { following = next; }

    @Override public void close() {
        following = null; // what a closed weight's matvec led to is not kept alive by it
        arena.close();
    }
}
