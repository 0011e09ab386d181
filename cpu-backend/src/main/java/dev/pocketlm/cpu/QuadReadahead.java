package dev.pocketlm.cpu;

/** A quad matvec job ({@link MatvecQuads} over {@link PackedRows}) as the reads ahead of it ({@link MatvecReadahead}). */
record QuadReadahead(PackedWeight[] ws, MatvecQuads plan) implements MatvecReadahead {

    @Override public PackedWeight first() { return ws[0]; }

    /** Step i reads quad i of the segment (from its front, as its thread first claims it), up to {@link #BYTES}. */
    @Override public boolean step(int segment, int i) {
        int[] starts = plan.segmentStarts();
        if (segment + 1 >= starts.length || starts[segment] + i >= starts[segment + 1]) return false;
        int quad = starts[segment] + i;
        MatvecQuads.Piece piece = plan.pieceOf(quad);
        PackedRows w = (PackedRows) ws[piece.matrix()];
        MatvecReadahead.keep(w.touchQuad(piece.start(), piece.end(), quad - piece.firstQuad(), piece.panel()));
        return quad + 1 < starts[segment + 1] && (i + 1) * w.quadBytes(piece.panel()) < BYTES;
    }
}
