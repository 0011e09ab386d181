package dev.pocketlm.cpu;

/** Per-thread float buffers, grown on demand and reused, so kernels do not allocate on the hot path. */
final class Scratch {
    /** What a buffer holds; each slot is one independent buffer per thread. */
    enum Slot { PACKED_A, PACKED_B, TILE, ROW, ACTIVATIONS, BLOCK_SUMS, PACKED_ACTIVATIONS, BLOCK_OFFSETS, SCORES, ACCUMULATOR }

    private static final ThreadLocal<Scratch> MINE = ThreadLocal.withInitial(Scratch::new);

    private final float[][] buffers = new float[Slot.values().length][];

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
}
