package dev.pocketlm.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * The host's streaming read bandwidth: a buffer far larger than the caches summed with vector loads by every
 * thread of a pool, each chunk as four streams. This is the denominator of {@code pocket bench}'s bandwidth fraction
 * and of the JMH matvec ratios (StreamReadBenchmark reads with {@link #sum}).
 */
public final class HostReadBandwidth {
    /** 256 MiB: eight times a 32 MiB L3, so nearly every read comes from DRAM. */
    public static final long DEFAULT_BYTES = 256L << 20;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final long CHUNK = 4L << 20;
    private static final int PASSES = 3;

    private HostReadBandwidth() {}

    /**
     * Bytes per second over three passes (their mean rate, as JMH reports a throughput) through a fresh buffer of
     * {@code bytes} (a multiple of 4 MiB) read by all threads of {@code threads}, after one untimed pass: the Vector
     * API is fast only once C2 has compiled {@link #sum}, and a first call timed from the start read 4 GB/s where
     * the next read 40.
     */
    public static double measure(CpuThreads threads, long bytes) {
        if (bytes < CHUNK || bytes % CHUNK != 0) throw new IllegalArgumentException("read bandwidth buffer must be a positive multiple of 4 MiB, got " + bytes);
        int chunks = (int) (bytes / CHUNK);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buffer = arena.allocate(bytes, 64);
            buffer.fill((byte) 1); // floats of 2.4e-38: normal, so the adds take no denormal penalty
            float[] sums = new float[chunks]; // kept, so the reads are not dead code
            CpuThreads.RangeTask pass = (from, to) -> {
                for (int c = from; c < to; c++) sums[c] = sum(buffer, c * CHUNK, (c + 1) * CHUNK);
            };
            threads.forEach(chunks, 1, true, pass);
            long start = System.nanoTime();
            for (int p = 0; p < PASSES; p++) threads.forEach(chunks, 1, true, pass);
            return PASSES * bytes / ((System.nanoTime() - start) / 1e9);
        }
    }

    /**
     * The F32 sum of bytes [from, to) of {@code segment} (to - from a multiple of 4 vectors), read as four streams, one
     * per quarter of the range, each front to back into its own accumulator: a core reads DRAM faster from several
     * streams than from one (2 threads: 35-40 GB/s from one stream each, 41-47 from four), and a matvec reading two
     * rows at a time beat a one-stream reading of the memory.
     */
    public static float sum(MemorySegment segment, long from, long to) {
        long step = F.vectorByteSize(), quarter = (to - from) / 4;
        if ((to - from) % (4 * step) != 0) throw new IllegalArgumentException("sum: " + (to - from) + " bytes is not a multiple of " + 4 * step);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (long at = from; at < from + quarter; at += step) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, segment, at, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(F, segment, at + quarter, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(FloatVector.fromMemorySegment(F, segment, at + 2 * quarter, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(FloatVector.fromMemorySegment(F, segment, at + 3 * quarter, ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
    }
}
