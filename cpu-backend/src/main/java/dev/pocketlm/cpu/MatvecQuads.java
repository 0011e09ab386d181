package dev.pocketlm.cpu;

import java.util.ArrayList;
import java.util.List;

/**
 * One matvec job's work as an index range of quads (a {@link PackedRows} kernel call's four weight rows): the
 * matrices' rows, concatenated, are split into one segment per thread, each segment's rows of a matrix taken as
 * quads as {@link PackedRows#multiply} takes a chunk (rows a part apart, so each thread reads four streams), and the
 * segments' quads numbered in order. {@link CpuThreads#forEachFromBothEnds} then hands each thread its segment from
 * the front while a thread that has finished takes quads from the back of another's.
 *
 * @param pieces        each segment's part of each matrix, in index order
 * @param segmentStarts where each segment's quads start, and (last) the total
 */
record MatvecQuads(List<Piece> pieces, int[] segmentStarts) {

    /** Rows [start, end) of matrix {@code matrix}, as quads numbered from {@code firstQuad}. */
    record Piece(int matrix, int start, int end, int firstQuad) {
        int quadEnd() { return firstQuad + quads(start, end); }
    }

    /** Quads of rows [start, end): rows a, a + q, a + 2q and a + 3q (those below end) for a in [start, start + q). */
    static int quads(int start, int end) { return PackedWeight.partRows(start, end, PackedRows.ROWS_PER_PASS); }

    /** The quads of matrices of {@code rows[i]} rows each, split into {@code segments} segments of rows. */
    static MatvecQuads of(int[] rows, int segments) {
        int total = 0;
        for (int n : rows) total += n;
        List<Piece> pieces = new ArrayList<>();
        int[] segmentStarts = new int[segments + 1];
        int quad = 0;
        for (int s = 0; s < segments; s++) {
            segmentStarts[s] = quad;
            int from = (int) ((long) total * s / segments), to = (int) ((long) total * (s + 1) / segments);
            for (int i = 0, first = 0; i < rows.length; first += rows[i++]) {
                int start = Math.max(from, first) - first, end = Math.min(to, first + rows[i]) - first;
                if (start >= end) continue;
                Piece piece = new Piece(i, start, end, quad);
                pieces.add(piece);
                quad = piece.quadEnd();
            }
        }
        segmentStarts[segments] = quad;
        return new MatvecQuads(pieces, segmentStarts);
    }
}
