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
     * Rows per part when a matvec kernel reads rows [start, end) as {@code ways} parts at once: row a of the first part
     * goes with {@link #partRow} a, j of the later ones, so each thread reads {@code ways} DRAM streams at once.
     */
    static int partRows(int start, int end, int ways) { return (end - start + ways - 1) / ways; }

    /** Row a's partner in part j (see {@link #partRows}), or a itself where part j ends before it. */
    static int partRow(int a, int j, int partRows, int end) {
        int row = a + j * partRows;
        return row < end ? row : a;
    }

    /** A matvec row's dot product at out[outRow + 4 row] (bytes): written on the first column panel, added on the later ones. */
    static void store(MemorySegment out, long outRow, int row, float dot, boolean firstPanel) {
        long at = outRow + 4L * row;
        out.set(ValueLayout.JAVA_FLOAT_UNALIGNED, at, firstPanel ? dot : out.get(ValueLayout.JAVA_FLOAT_UNALIGNED, at) + dot);
    }

    /** Two rows' dot products (see {@link #store}); a row that is its own partner ({@link #partRow}) once. */
    static void storePair(MemorySegment out, long outRow, int rowA, int rowB, float dotA, float dotB, boolean firstPanel) {
        store(out, outRow, rowA, dotA, firstPanel);
        if (rowB != rowA) store(out, outRow, rowB, dotB, firstPanel);
    }

    /**
     * Decodes positions [k0, k0 + count) of row {@code row} into dst[dstOff, dstOff + count), in this layout's column
     * order ({@link #naturalIndex}); k0 and count are multiples of 256 (a GEMM depth panel) or end at k.
     */
    void decode(int row, int k0, int count, float[] dst, int dstOff);

    /** The matvec that ran after one led by this weight, last time ({@link MatvecReadahead}), or null. */
    MatvecReadahead following();

    /** Records the matvec that ran after one led by this weight. */
    void follow(MatvecReadahead next);

    /** The dtype of the weight this was packed from. */
    DType dtype();

    /** The column of the weight at position {@code kp} of {@link #decode}'s order. */
    int naturalIndex(int kp);

    @Override void close();
}
