package dev.pocketlm.cpu;

import java.util.ArrayList;
import java.util.List;

/**
 * One matvec job's work as an index range of quads (a {@link PackedRows} kernel call's four weight rows in one column
 * panel): each matrix's rows once per column panel, those units concatenated and split into one segment per thread,
 * each segment's rows of a unit taken as quads as {@link PackedRows#multiply} takes a chunk (rows a part apart, so each
 * thread reads four streams), and the segments' quads numbered in order. {@link CpuThreads#forEachFromBothEnds} then
 * hands each thread its segment from the front while a thread that has finished takes quads from the back of another's.
 *
 * @param pieces        each segment's part of each matrix's panels, in index order
 * @param segmentStarts where each segment's quads start, and (last) the total
 */
record MatvecQuads(List<Piece> pieces, int[] segmentStarts) {

    /**
     * Rows [start, end) of column panel {@code panel} of matrix {@code matrix}, as quads numbered from {@code firstQuad},
     * or where {@code unitRows} is not 0 as quads of blocks of that many rows (start a multiple of it).
     */
    record Piece(int matrix, int panel, int start, int end, int unitRows, int firstQuad) {
        int quadEnd() { return firstQuad + (unitRows == 0 ? quads(start, end) : quads(start / unitRows, (end + unitRows - 1) / unitRows)); }
    }

    /** The piece that holds quad {@code quad}. */
    Piece pieceOf(int quad) {
        for (Piece piece : pieces) {
            if (quad >= piece.firstQuad() && quad < piece.quadEnd()) return piece;
        }
        throw new IndexOutOfBoundsException("quad " + quad + " of " + segmentStarts[segmentStarts.length - 1]);
    }

    /** Quads of rows [start, end): rows a, a + q, a + 2q and a + 3q (those below end) for a in [start, start + q). */
    static int quads(int start, int end) { return PackedWeight.partRows(start, end, PackedRows.ROWS_PER_PASS); }

    /**
     * The quads of matrices of {@code rows[i]} rows in {@code panels[i]} column panels each, panel by panel, split into
     * {@code segments} segments of rows; a last panel whose {@code lastPanelUnitRows[i]} is not 0 goes in blocks of that
     * many rows instead (in quads of blocks), its segments' ends rounded up to whole blocks.
     */
    static MatvecQuads of(int[] rows, int[] panels, int[] lastPanelUnitRows, int segments) {
        long total = 0;
        for (int i = 0; i < rows.length; i++) total += (long) rows[i] * panels[i];
        List<Piece> pieces = new ArrayList<>();
        int[] segmentStarts = new int[segments + 1];
        int quad = 0;
        for (int s = 0; s < segments; s++) {
            segmentStarts[s] = quad;
            long from = total * s / segments, to = total * (s + 1) / segments, first = 0;
            for (int i = 0; i < rows.length; i++) {
                for (int p = 0; p < panels[i]; p++, first += rows[i]) {
                    int unitRows = p == panels[i] - 1 ? lastPanelUnitRows[i] : 0;
                    int start = wholeUnits(Math.max(from, first) - first, unitRows, rows[i]), end = wholeUnits(Math.min(to, first + rows[i]) - first, unitRows, rows[i]);
                    if (start >= end) continue;
                    Piece piece = new Piece(i, p, start, end, unitRows, quad);
                    pieces.add(piece);
                    quad = piece.quadEnd();
                }
            }
        }
        segmentStarts[segments] = quad;
        return new MatvecQuads(pieces, segmentStarts);
    }

    /** Row {@code row} (within a matrix of {@code rows}) rounded up to a whole number of units of unitRows rows (0: as it is). */
    private static int wholeUnits(long row, int unitRows, int rows) {
        return unitRows == 0 ? (int) row : (int) Math.min(rows, (row + unitRows - 1) / unitRows * unitRows);
    }
}
