package dev.pocketlm.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.ThreadParams;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

/**
 * Streaming read bandwidth of a 1 GiB off-heap buffer, far larger than any cache: each thread sums its share
 * with vector loads. The {@code bytes} rate is the denominator for the matvec bandwidth ratios.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
@State(Scope.Benchmark)
public class StreamReadBenchmark {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final long BYTES = 1L << 30;

    private Arena arena;
    private MemorySegment buffer;

    @Setup(Level.Trial)
    public void allocate() {
        arena = Arena.ofShared();
        buffer = arena.allocate(BYTES, 64);
        for (long i = 0; i < BYTES; i += 8) buffer.set(java.lang.foreign.ValueLayout.JAVA_LONG, i, i);
    }

    @TearDown(Level.Trial)
    public void free() { arena.close(); }

    @Benchmark
    @Threads(1)
    public float oneThread(Traffic traffic, ThreadParams thread) { return readShare(traffic, thread); }

    @Benchmark
    @Threads(2)
    public float twoThreads(Traffic traffic, ThreadParams thread) { return readShare(traffic, thread); }

    /** Sums this thread's contiguous share of the buffer. */
    private float readShare(Traffic traffic, ThreadParams thread) {
        long share = BYTES / thread.getThreadCount();
        long start = share * thread.getThreadIndex(), step = F.vectorByteSize();
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (long at = start; at < start + share; at += 4 * step) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, buffer, at, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(F, buffer, at + step, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(FloatVector.fromMemorySegment(F, buffer, at + 2 * step, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(FloatVector.fromMemorySegment(F, buffer, at + 3 * step, ByteOrder.LITTLE_ENDIAN));
        }
        traffic.bytes += share;
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
    }
}
