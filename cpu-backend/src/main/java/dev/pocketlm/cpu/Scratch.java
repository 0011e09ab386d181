package dev.pocketlm.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Per-thread float buffers, grown on demand and reused, so kernels do not allocate on the hot path. */
final class Scratch {
    /** What a buffer holds; each slot is one independent buffer per thread. */
    enum Slot { PACKED_A, PACKED_B, TILE, ROW, ACTIVATIONS, BLOCK_SUMS, PACKED_ACTIVATIONS, BLOCK_OFFSETS, SCORES, ACCUMULATOR }

    private static final ThreadLocal<Scratch> MINE = ThreadLocal.withInitial(Scratch::new);

    private final float[][] buffers = new float[Slot.values().length][];
    private MemorySegment bytes = MemorySegment.NULL;

    private Scratch() {}

    /** This thread's buffer for {@code slot}, at least {@code size} floats long (contents unspecified). */
    static float[] floats(Slot slot, int size) {
        float[][] mine = MINE.get().buffers;
        float[] b = mine[slot.ordinal()];
        if (b == null || b.length < size) {
            b = new float[size];
            mine[slot.ordinal()] = b;
        }
        return b;
    }

    /**
     * This thread's off-heap byte buffer of at least {@code size} bytes. Off-heap like the weights, so the vector
     * loads that read it see one kind of segment and stay compiled as intrinsics.
     */
    static MemorySegment bytes(long size) {
        Scratch mine = MINE.get();
        if (mine.bytes.byteSize() < size) mine.bytes = Arena.ofAuto().allocate(Math.max(size, 4096), 64);
        return mine.bytes;
    }
}
