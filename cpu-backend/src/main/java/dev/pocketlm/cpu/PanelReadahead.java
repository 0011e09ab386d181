package dev.pocketlm.cpu;

/**
 * A matvec job over {@link PanelRows}, its matrices' rows one range in segments of whole claims, as the reads ahead of
 * it ({@link MatvecReadahead}): a segment's first matrix, its first column panel, rows in the order
 * {@link PanelRows#multiply} takes them.
 *
 * @param firstRow      where each matrix's rows start in the range, and (last) the total
 * @param segmentStarts where each thread's segment starts, and (last) the total
 * @param pairs         whether the job takes rows in pairs (prescaled activations)
 */
record PanelReadahead(PanelRows[] ws, int[] firstRow, int[] segmentStarts, boolean pairs) implements MatvecReadahead {
    @Override public PackedWeight first() { return ws[0]; }

    /** Step i reads the segment's first matrix's call i (row, or pair of rows) in its first column panel. */
    @Override public boolean step(int segment, int i) {
        if (segment + 1 >= segmentStarts.length || segmentStarts[segment] >= segmentStarts[segment + 1]) return false;
        int start = segmentStarts[segment], m = 0;
        while (firstRow[m + 1] <= start) m++;
        int from = start - firstRow[m], to = Math.min(segmentStarts[segment + 1], firstRow[m + 1]) - firstRow[m];
        int calls = pairs ? PackedWeight.partRows(from, to, 2) : to - from;
        if (i >= calls) return false;
        MatvecReadahead.keep(ws[m].touchCall(from, to, i, pairs));
        return i + 1 < calls && (i + 1) * ws[m].callBytes(pairs) < BYTES;
    }
}
