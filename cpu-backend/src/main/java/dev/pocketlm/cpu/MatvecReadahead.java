package dev.pocketlm.cpu;

/**
 * A quad matvec job ({@link MatvecQuads} over {@link PackedRows}) as the reads a thread can make before it starts: the
 * first {@link #BYTES} of the thread's segment, in the kernel's order. A token runs its matvecs in the same order each
 * time, so the one that followed a matvec last time comes next now: each thread done with its part of a job reads its
 * first rows of the next (the caller while the workers finish, a worker while the caller runs the serial ops between
 * jobs), and the job then finds them in cache.
 */
record MatvecReadahead(PackedWeight[] ws, MatvecQuads plan) implements CpuThreads.IdleReads {
    /** Bytes a thread reads ahead: half its L2 (1 MiB a core on Zen 5); TinyLlama's gaps between jobs end sooner. */
    static final long BYTES = 512 << 10;

    /** Where the loaded bits go, so that the compiler keeps the loads. */
    private static int sink;

    /** Step i reads quad i of the segment (from its front, as its thread first claims it), up to {@link #BYTES}. */
    @Override public boolean step(int segment, int i) {
        int[] starts = plan.segmentStarts();
        if (segment + 1 >= starts.length || starts[segment] + i >= starts[segment + 1]) return false;
        int quad = starts[segment] + i;
        MatvecQuads.Piece piece = plan.pieceOf(quad);
        PackedRows w = (PackedRows) ws[piece.matrix()];
        sink |= w.touchQuad(piece.start(), piece.end(), quad - piece.firstQuad(), piece.panel());
        return quad + 1 < starts[segment + 1] && (i + 1) * w.quadBytes(piece.panel()) < BYTES;
    }
}
