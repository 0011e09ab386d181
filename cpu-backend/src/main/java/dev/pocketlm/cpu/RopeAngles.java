package dev.pocketlm.cpu;

import java.util.concurrent.ConcurrentHashMap;

/**
 * cos and sin of the rotary angles p * freqBase^(-2i / nRot), i < nRot / 2, position by position: position p's
 * {@code half} values start at {@link #offset}(p) of {@link #cos} and {@link #sin}, and its nRot pair lanes at twice
 * that of {@link #cosPairs} and {@link #sinPairs}. Angles in double, as the reference computes them.
 * <p>
 * One table per rotation (nRot, freqBase, direction), shared by every thread and grown to the largest position asked
 * (by doubling, up to {@link #MAX_POSITIONS}): a prompt rotates q and k at each of its positions in every layer, and
 * computing them per call (about 2 us of pow, cos and sin a position) took 7% of a 64-token SmolLM-135M prompt. A
 * position past the table (or negative) gets its angles computed alone, into a one-position table this thread keeps
 * (a small allocation each new position), which every layer of a generated token then reuses.
 */
final class RopeAngles {
    /** Positions a shared table holds at most: 8192 x 3 nRot floats, 6 MB at nRot = 64. */
    static final int MAX_POSITIONS = 8192;
    private static final ConcurrentHashMap<Rotation, Shared> SHARED = new ConcurrentHashMap<>();
    private static final ThreadLocal<RopeAngles> ALONE = ThreadLocal.withInitial(() -> new RopeAngles(new Rotation(-1, 0, false), 0, 0));
    private static final ThreadLocal<RopeAngles> LAST = ThreadLocal.withInitial(ALONE::get);

    /** What a table's angles depend on; {@code inverse} negates the positions. */
    private record Rotation(int nRot, float freqBase, boolean inverse) {}

    /** A rotation's table, replaced by a larger one when a later call asks for a position past it. */
    private static final class Shared {
        volatile RopeAngles table;
    }

    private final Rotation rotation;
    private final int first, positions;
    private final float[] cos, sin, cosPairs, sinPairs;

    /** Angles of {@code rotation} for positions [first, first + positions). */
    private RopeAngles(Rotation rotation, int first, int positions) {
        int half = Math.max(0, rotation.nRot() / 2);
        this.rotation = rotation;
        this.first = first;
        this.positions = positions;
        cos = new float[positions * half];
        sin = new float[positions * half];
        cosPairs = new float[2 * positions * half];
        sinPairs = new float[2 * positions * half];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < half; i++) {
                double angle = (rotation.inverse() ? -(first + p) : first + p) * Math.pow(rotation.freqBase(), -2.0 * i / rotation.nRot());
                int at = p * half + i;
                cos[at] = (float) Math.cos(angle);
                sin[at] = (float) Math.sin(angle);
                cosPairs[2 * at] = cosPairs[2 * at + 1] = cos[at];
                sinPairs[2 * at] = -sin[at];
                sinPairs[2 * at + 1] = sin[at];
            }
        }
    }

    /**
     * The shared table of this rotation, grown if need be to hold positions [0, maxPosition], or as many as it may;
     * the one this thread had last, without a lookup (whose key is an allocation), where that holds them.
     */
    static RopeAngles upTo(int maxPosition, int nRot, float freqBase, boolean inverse) {
        int last = Math.clamp(maxPosition, 0, MAX_POSITIONS - 1);
        RopeAngles mine = LAST.get();
        Rotation r = mine.rotation;
        if (r.nRot() == nRot && Float.compare(r.freqBase(), freqBase) == 0 && r.inverse() == inverse && last < mine.positions) return mine;
        Shared shared = SHARED.computeIfAbsent(new Rotation(nRot, freqBase, inverse), key -> new Shared());
        RopeAngles table = shared.table;
        if (table == null || last >= table.positions) {
            synchronized (shared) {
                table = shared.table;
                if (table == null || last >= table.positions) {
                    int positions = Math.min(MAX_POSITIONS, Math.max(64, Integer.highestOneBit(last) * 2));
                    shared.table = table = new RopeAngles(new Rotation(nRot, freqBase, inverse), 0, positions);
                }
            }
        }
        LAST.set(table);
        return table;
    }

    /**
     * Angles that hold {@code position}: this table where it does, else this thread's one-position table, computed
     * unless it is the last one asked.
     */
    RopeAngles at(int position) {
        if (position >= first && position < first + positions) return this;
        RopeAngles alone = ALONE.get();
        if (alone.first != position || !alone.rotation.equals(rotation)) {
            alone = new RopeAngles(rotation, position, 1);
            ALONE.set(alone);
        }
        return alone;
    }

    /** Where {@code position}'s angles start in {@link #cos} and {@link #sin}; twice it in the pair arrays. */
    int offset(int position) { return (position - first) * (rotation.nRot() / 2); }

    float[] cos() { return cos; }

    float[] sin() { return sin; }

    /**
     * cos i at lanes 2i and 2i + 1: with {@link #sinPairs} (-sin i, sin i), a pair (a, b) rotates as (a, b) cos +
     * (b, a) (-sin, sin), whole vectors at a time.
     */
    float[] cosPairs() { return cosPairs; }

    float[] sinPairs() { return sinPairs; }
}
