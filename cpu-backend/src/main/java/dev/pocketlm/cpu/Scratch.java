package dev.pocketlm.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.IntFunction;
import java.util.function.ToIntFunction;

/** Per-thread buffers (heap or aligned off-heap), grown on demand and reused: no allocation on the hot path. */
final class Scratch {
    /** What a buffer holds; each slot is one independent buffer per thread. */
    enum Slot { PACKED_A, PACKED_B, TILE, ROW, ACTIVATIONS, BLOCK_SUMS, PACKED_ACTIVATIONS, QUANTIZED_PAIRS, SCORES, BLOCK_SCORES, ROW_DOTS, TAIL_SCALES, TAIL_WORDS, PANEL_PARTIALS, STAGED_KEYS, STAGED_VALUES, BLOCK_OUTPUTS, QUERIES }

    private static final ThreadLocal<Scratch> MINE = ThreadLocal.withInitial(Scratch::new);

    private final float[][] buffers = new float[Slot.values().length][];
    private final int[][] intBuffers = new int[Slot.values().length][];
    private final MemorySegment[] segments = new MemorySegment[Slot.values().length];

    private Scratch() {}

    /** This thread's buffer for {@code slot}, at least {@code size} floats long (contents unspecified). */
    static float[] floats(Slot slot, int size) { return grown(MINE.get().buffers, slot, size, float[]::new, b -> b.length); }

    /** This thread's int buffer for {@code slot}, at least {@code size} long (contents unspecified). */
    static int[] ints(Slot slot, int size) { return grown(MINE.get().intBuffers, slot, size, int[]::new, b -> b.length); }

    @SuppressWarnings("unchecked")
    private static <T> T grown(Object[] mine, Slot slot, int size, IntFunction<T> allocate, ToIntFunction<T> length) {
        T b = (T) mine[slot.ordinal()];
        if (b == null || length.applyAsInt(b) < size) {
            b = allocate.apply(size);
            mine[slot.ordinal()] = b;
        }
        return b;
    }

    /**
     * This thread's off-heap buffer for {@code slot}, at least {@code size} floats, 64-byte aligned, so no vector
     * load from it splits a cache line. A heap array sits wherever the GC put it: the packed Q4_0 matvec read its
     * activations from one at 15-18 GB/s (one core, weights in L3), and from this buffer at 21-22.
     */
    static MemorySegment alignedFloats(Slot slot, long size) {
        MemorySegment[] mine = MINE.get().segments;
        MemorySegment b = mine[slot.ordinal()];
        if (b == null || b.byteSize() < 4 * size) {
            b = Arena.ofAuto().allocate(4 * size, 64);
            mine[slot.ordinal()] = b;
        }
        return b;
    }
}
