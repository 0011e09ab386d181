package dev.pocketlm.bench;

import dev.pocketlm.cpu.HostReadBandwidth;
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
import java.util.concurrent.TimeUnit;

/**
 * Streaming read bandwidth of a 1 GiB off-heap buffer, far larger than any cache: each thread sums its share
 * with vector loads ({@link HostReadBandwidth#sum}, as {@code pocket bench} measures). The {@code bytes} rate is
 * the denominator for the matvec bandwidth ratios.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
@State(Scope.Benchmark)
public class StreamReadBenchmark {
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
        long share = BYTES / thread.getThreadCount(), start = share * thread.getThreadIndex();
        traffic.bytes += share;
        return HostReadBandwidth.sum(buffer, start, start + share);
    }
}
