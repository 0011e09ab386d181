package dev.pocketlm.cpu;

import dev.pocketlm.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.IntConsumer;

/**
 * A read-only weight matrix [rows, k] copied once, on its first matmul, into a layout the CPU streams faster than
 * the file's. The copy replaces the source: a mapped source is unloaded from memory afterwards.
 */
sealed interface PackedWeight extends AutoCloseable permits PackedRows, PanelRows {

    /** The packed form of the weight at byte {@code sourceOffset} of {@code source}, or null when it has none. */
    static PackedWeight pack(MemorySegment source, long sourceOffset, DType dtype, int rows, int k, CpuThreads threads,
                             boolean parallel) {
        if (PackedRows.supports(dtype, k)) return PackedRows.pack(source, sourceOffset, dtype, rows, k, threads, parallel);
        if (PanelRows.supports(dtype, k)) return PanelRows.pack(source, sourceOffset, dtype, rows, k, threads, parallel);
        return null;
    }

    /** Runs {@code packRow} for every row, in parallel when allowed, then unloads a mapped source. */
    static void packRows(MemorySegment source, int rows, CpuThreads threads, boolean parallel, IntConsumer packRow) {
        threads.forEach(rows, 64, parallel, (start, end) -> {
            for (int r = start; r < end; r++) packRow.accept(r);
        });
        if (source.isMapped()) source.unload();
    }

    /**
     * The end of the first half of rows [start, end): the two-row matvec kernels take row a of it with
     * {@link #pairedRow} a, half the range further on, so each thread reads two DRAM streams at once.
     */
    static int firstHalfEnd(int start, int end) { return start + (end - start + 1) / 2; }

    /** Row a's partner in [start, end) (see {@link #firstHalfEnd}); an odd range's middle row pairs with itself. */
    static int pairedRow(int a, int start, int end) {
        int b = a + (end - start + 1) / 2;
        return b < end ? b : a;
    }

    /**
     * A matvec's two row dot products at out[outRow + 4 row] (bytes): written on the first column panel, added on the
     * later ones; a row paired with itself (the middle row of an odd range) once.
     */
    static void storePair(MemorySegment out, long outRow, int rowA, int rowB, float dotA, float dotB, boolean firstPanel) {
        long atA = outRow + 4L * rowA, atB = outRow + 4L * rowB;
        out.set(ValueLayout.JAVA_FLOAT_UNALIGNED, atA, firstPanel ? dotA : out.get(ValueLayout.JAVA_FLOAT_UNALIGNED, atA) + dotA);
        if (rowB != rowA) out.set(ValueLayout.JAVA_FLOAT_UNALIGNED, atB, firstPanel ? dotB : out.get(ValueLayout.JAVA_FLOAT_UNALIGNED, atB) + dotB);
    }

    /**
     * Decodes positions [k0, k0 + count) of row {@code row} into dst[dstOff, dstOff + count), in this layout's column
     * order ({@link #naturalIndex}); k0 and count are multiples of 256 (a GEMM depth panel) or end at k.
     */
    void decode(int row, int k0, int count, float[] dst, int dstOff);

    /** The dtype of the weight this was packed from. */
    DType dtype();

    /** The column of the weight at position {@code kp} of {@link #decode}'s order. */
    int naturalIndex(int kp);

    @Override void close();
}
