package dev.pocketlm.cpu;

import dev.pocketlm.tensor.DType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * F32, F16 and BF16 weight rows copied into column panels of {@link #PANEL_COLUMNS}, each all rows long, for the
 * reason {@link PackedRows} uses panels: a panel's activations (8 KiB) stay in L1 while its rows stream past
 * (TinyLlama F16 FFN down, K = 5632: 22 -> 26 GB/s). Values and their order within a row are unchanged. Narrower
 * weights are copied too (one panel), and F32 ones (attention runs the same kernels on the KV cache): when some
 * matvecs read mapped file memory and others packed memory, the Vector API loads see two segment classes at one
 * call site and C2 compiles them without their intrinsics (packing only the down projections took every other F16
 * matvec from about 40 to 24 GB/s). F16 values are checked for Inf and NaN while they are copied; without any, the
 * conversion skips their handling.
 */
final class PanelRows implements PackedWeight {
    private static final int PANEL_COLUMNS = 2048;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final DType dtype;
    private final int rows, k;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment packed;
    /** Set while packing when an F16 value is Inf or NaN; otherwise the dot products skip their handling. */
    private volatile boolean infOrNaN;
    private volatile MatvecReadahead following;

    private PanelRows(DType dtype, int rows, int k) {
        this.dtype = dtype;
        this.rows = rows;
        this.k = k;
        this.packed = arena.allocate(dtype.bytes((long) rows * k), 64);
    }

    /** Whether rows of this dtype are stored in panels: floats of any width (see the class comment). */
    static boolean supports(DType dtype, int k) {
        return dtype.isPlainFloat();
    }

    static PanelRows pack(MemorySegment source, long sourceOffset, DType dtype, int rows, int k, CpuThreads threads,
                          boolean parallel) {
        PanelRows p = new PanelRows(dtype, rows, k);
        MemorySegment src = source.asSlice(sourceOffset, dtype.bytes((long) rows * k));
        PackedWeight.packRows(src, rows, threads, parallel, r -> p.packRow(src, r));
        return p;
    }

    private void packRow(MemorySegment src, int row) {
        for (int p = 0; p * PANEL_COLUMNS < k; p++) {
            MemorySegment.copy(src, dtype.bytes((long) row * k + (long) p * PANEL_COLUMNS), packed, at(p, row), dtype.bytes(columns(p)));
            if (dtype == DType.F16 && WeightRows.hasInfOrNaN16(packed, at(p, row), columns(p))) infOrNaN = true;
        }
    }

    private int columns(int panel) { return Math.min(PANEL_COLUMNS, k - panel * PANEL_COLUMNS); }

    /** Where row {@code row}'s part of panel p starts: the panels one after another, each [rows, its columns]. */
    private long at(int panel, int row) {
        return dtype.bytes((long) rows * panel * PANEL_COLUMNS + (long) row * columns(panel));
    }

    /**
     * Whether these weights take activations prescaled by 2^112 ({@link WeightRows#prescaleForF16}, for
     * {@link WeightRows#dotF16PrescaledPair}): F16 without Inf or NaN.
     */
    boolean prescalable() { return dtype == DType.F16 && !infOrNaN; }

    /**
     * out[r, j] (row stride n floats) = x row r (at r k; {@link WeightRows#prescaleForF16 prescaled} or not) dotted with
     * weight row j, for j in [start, end), r < xRows. Prescaled F16 rows go two at a time, half the range apart
     * ({@link WeightRows#dotF16PrescaledPair}); the rest (F32, BF16, F16 with Inf or NaN or activations too large to
     * prescale) one at a time.
     */
    void multiply(int start, int end, int xRows, float[] x, boolean prescaled, MemorySegment out, int n) {
        if (prescaled) {
            multiplyPrescaledPairs(start, end, xRows, x, out, n);
            return;
        }
        boolean finiteF16 = prescalable();
        for (int p = 0; p * PANEL_COLUMNS < k; p++) {
            for (int j = start; j < end; j++) {
                for (int r = 0; r < xRows; r++) {
                    int xOff = r * k + p * PANEL_COLUMNS;
                    float part = finiteF16 ? WeightRows.dotF16Finite(packed, at(p, j), x, xOff, columns(p))
                            : WeightRows.dot(dtype, packed, at(p, j), x, xOff, null, 0, columns(p));
                    long outAt = 4L * ((long) r * n + j);
                    out.set(FLOAT, outAt, p == 0 ? part : out.get(FLOAT, outAt) + part);
                }
            }
        }
    }

    private void multiplyPrescaledPairs(int start, int end, int xRows, float[] x, MemorySegment out, int n) {
        float[] dots = Scratch.floats(Scratch.Slot.ROW_DOTS, 2);
        int half = PackedWeight.partRows(start, end, 2);
        for (int p = 0; p * PANEL_COLUMNS < k; p++) {
            for (int a = start; a < start + half; a++) {
                int b = PackedWeight.partRow(a, 1, half, end);
                for (int r = 0; r < xRows; r++) {
                    WeightRows.dotF16PrescaledPair(packed, at(p, a), at(p, b), x, r * k + p * PANEL_COLUMNS, columns(p), dots);
                    PackedWeight.storePair(out, 4L * r * n, a, b, dots[0], dots[1], p == 0);
                }
            }
        }
    }

    /**
     * Reads ahead ({@link WeightRows#touchLines}) what {@link #multiply} call i over rows [start, end) reads in the first
     * column panel: row start + i, with its partner half the range on where {@code pairs}; returns the lines' bits ORed.
     */
    int touchCall(int start, int end, int i, boolean pairs) {
        long rowA = at(0, start + i), rowB = pairs ? at(0, PackedWeight.partRow(start + i, 1, PackedWeight.partRows(start, end, 2), end)) : rowA;
        return WeightRows.touchLines(packed, dtype.bytes(columns(0)), rowA, rowB, rowA, rowB);
    }

    /** Bytes of weights a {@link #multiply} call reads in the first column panel. */
    long callBytes(boolean pairs) { return (pairs ? 2 : 1) * dtype.bytes(columns(0)); }

    /** Natural order; a GEMM depth panel (256) never crosses a column panel (2048). */
    @Override public void decode(int row, int k0, int count, float[] dst, int dstOff) {
        int p = k0 / PANEL_COLUMNS;
        WeightRows.decode(dtype, packed, at(p, row) + dtype.bytes(k0 - (long) p * PANEL_COLUMNS), dst, dstOff, count);
    }

    @Override public DType dtype() { return dtype; }

    @Override public int naturalIndex(int kp) { return kp; }

    @Override public MatvecReadahead following() { return following; }

    @Override public void follow(MatvecReadahead next) { following = next; }

    @Override public void close() {
        following = null; // what a closed weight's matvec led to is not kept alive by it
        arena.close();
    }
}
