package dev.pocketlm.bench;

import dev.pocketlm.cpu.HostReadBandwidth;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How fast two threads read DRAM in the orders a matvec kernel could read its weights, with no arithmetic (the loads
 * summed): this VM's prefetchers reward some orders and punish others by 2-3x, which is what decided the packed
 * layout. One buffer laid out as 8 TinyLlama layers of packed Q4_0 rows ({@link #ROW} bytes: two lines of scales,
 * then 16 lines of quant words), read matrix by matrix, each thread one half of each matrix, the two meeting
 * between matrices as the pool's jobs do. The patterns take turns in one process (this VM's bandwidth moves within
 * minutes), each right after a probe; each prints its median GB/s and its median ratio to the probe just before it.
 * <ul>
 * <li>{@code probe}: {@link HostReadBandwidth}'s reading (4 MiB chunks, four streams each), {@code pocket bench}'s
 *     denominator.</li>
 * <li>{@code streams}: each thread's half of a matrix as {@link HostReadBandwidth#sum} reads a chunk, four streams.</li>
 * <li>{@code quads}: the Q4_0 kernel's order: rows a, a + q, a + 2q and a + 3q a call (q a quarter of the half), per
 *     group a row's scale line, then its four word lines, row by row.</li>
 * <li>{@code interleaved}: a call's four rows stored side by side, word by word: one stream a thread.</li>
 * <li>{@code two pairs}: a call's rows as two pairs, each pair stored side by side word by word, the pairs half the half
 *     apart: two streams a thread.</li>
 * <li>{@code pairs}: rows a, a + 1, b and b + 1 a call (b half the half on): two streams, each stepping between two rows.</li>
 * <li>{@code eight}: rows a part apart in eight parts, a call taking the first four and the next call the last four.</li>
 * </ul>
 * Arguments: rounds (default 10).
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar dev.pocketlm.bench.ReadPatterns 8
 * </pre>
 */
public final class ReadPatterns {
    /** A packed Q4_0 row of one 2048-column panel: 64 F16 scales (two lines), then 64 blocks' quant words. */
    private static final long ROW = 1152;
    private static final int LINE = 64, SCALE_LINES = 2, GROUPS = 4, WORDS = 4;
    /** One load per line touches every line whatever the vector width (the DRAM traffic is whole lines). */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final long ROUND_NANOS = 300_000_000L;
    /** The probe's chunk, as {@link HostReadBandwidth} reads it. */
    private static final long PROBE_CHUNK = 4L << 20;
    /** Rows of one layer's matrices: q, k, v, o, gate, up, and down as its three panels' rows. */
    private static final int[] LAYER_ROWS = {2048, 256, 256, 2048, 5632, 5632, 3 * 2048};
    private static final int LAYERS = 8;

    /** One thread's part of a pattern: rows [from, from + rows) of the buffer, as that pattern's kernel calls read them. */
    @FunctionalInterface
    private interface Half {
        float read(MemorySegment buffer, long from, long rows);
    }

    private record Pattern(String name, Half half) {}

    private ReadPatterns() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        long[] starts = new long[LAYERS * LAYER_ROWS.length + 1];
        for (int m = 0; m + 1 < starts.length; m++) starts[m + 1] = starts[m] + LAYER_ROWS[m % LAYER_ROWS.length];
        long bytes = starts[starts.length - 1] * ROW, probeBytes = bytes / PROBE_CHUNK * PROBE_CHUNK; // whole chunks
        Pattern[] patterns = {
            new Pattern("streams", (b, from, rows) -> HostReadBandwidth.sum(b, from * ROW, (from + rows) * ROW)),
            new Pattern("quads", ReadPatterns::quads),
            new Pattern("interleaved", (b, from, rows) -> lines(b, from * ROW, rows * ROW / LINE)),
            new Pattern("two pairs", ReadPatterns::twoPairs),
            new Pattern("pairs", ReadPatterns::pairs),
            new Pattern("eight", ReadPatterns::eight),
        };
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buffer = arena.allocate(bytes, LINE);
            buffer.fill((byte) 1);
            TwoThreads threads = new TwoThreads();
            double[][] probes = new double[patterns.length][rounds], rates = new double[patterns.length][rounds];
            for (int round = -1; round < rounds; round++) { // round -1 compiles
                for (int i = 0; i < patterns.length; i++) {
                    Half half = patterns[i].half();
                    double probe = rate(probeBytes, () -> threads.run(t -> probeHalf(buffer, probeBytes, t)));
                    double r = rate(bytes, () -> threads.run(t -> matrices(buffer, starts, half, t, threads)));
                    if (round < 0) continue;
                    probes[i][round] = probe;
                    rates[i][round] = r;
                }
            }
            double[] allProbes = Arrays.stream(probes).flatMapToDouble(Arrays::stream).toArray();
            System.out.printf("%-12s median %5.1f GB/s (%.1f-%.1f)%n", "probe", Quantiles.median(allProbes), Arrays.stream(allProbes).min().orElseThrow(),
                    Arrays.stream(allProbes).max().orElseThrow());
            for (int i = 0; i < patterns.length; i++) {
                double[] ratios = new double[rounds];
                for (int r = 0; r < rounds; r++) ratios[r] = rates[i][r] / probes[i][r];
                System.out.printf("%-12s median %5.1f GB/s, %.2f of the probe read just before it (rounds %.2f-%.2f)%n", patterns[i].name(),
                        Quantiles.median(rates[i]), Quantiles.median(ratios), Arrays.stream(ratios).min().orElseThrow(), Arrays.stream(ratios).max().orElseThrow());
            }
            threads.stop();
        }
    }

    /** Bytes per nanosecond (GB/s) of passes of {@code pass} over {@code bytes}, repeated for about {@link #ROUND_NANOS}. */
    private static double rate(long bytes, Runnable pass) {
        long start = System.nanoTime(), passes = 0;
        do {
            pass.run();
            passes++;
        } while (System.nanoTime() - start < ROUND_NANOS);
        return passes * bytes / (double) (System.nanoTime() - start);
    }

    /** Thread t's chunks of the first {@code bytes} (a multiple of {@link #PROBE_CHUNK}), every other one. */
    private static float probeHalf(MemorySegment buffer, long bytes, int thread) {
        float sum = 0;
        for (long c = thread; c < bytes / PROBE_CHUNK; c += 2) sum += HostReadBandwidth.sum(buffer, c * PROBE_CHUNK, (c + 1) * PROBE_CHUNK);
        return sum;
    }

    /** Thread t's half of every matrix in turn, meeting the other thread after each. */
    private static float matrices(MemorySegment buffer, long[] starts, Half half, int t, TwoThreads threads) {
        float sum = 0;
        for (int m = 0; m + 1 < starts.length; m++) {
            long rows = starts[m + 1] - starts[m], first = rows / 2;
            sum += t == 0 ? half.read(buffer, starts[m], first) : half.read(buffer, starts[m] + first, rows - first);
            threads.meet(m + 1);
        }
        return sum;
    }

    private static float quads(MemorySegment b, long from, long rows) {
        long part = (rows + 3) / 4;
        float sum = 0;
        for (long a = 0; a < part; a++) {
            sum += quad(b, row(from, a, rows), row(from, a + part, rows), row(from, a + 2 * part, rows), row(from, a + 3 * part, rows));
        }
        return sum;
    }

    private static float twoPairs(MemorySegment b, long from, long rows) {
        long half = rows / 2 * ROW, start = from * ROW;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (long at = 0; at < half; at += LINE) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, b, start + at, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(F, b, start + half + at, ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).reduceLanes(VectorOperators.ADD);
    }

    private static float pairs(MemorySegment b, long from, long rows) {
        long part = rows / 2;
        float sum = 0;
        for (long a = 0; a + 1 < part; a += 2) {
            sum += quad(b, row(from, a, rows), row(from, a + 1, rows), row(from, a + part, rows), row(from, a + part + 1, rows));
        }
        return sum;
    }

    private static float eight(MemorySegment b, long from, long rows) {
        long part = (rows + 7) / 8;
        float sum = 0;
        for (long a = 0; a < part; a++) {
            for (int h = 0; h < 8; h += 4) {
                sum += quad(b, row(from, a + h * part, rows), row(from, a + (h + 1) * part, rows), row(from, a + (h + 2) * part, rows),
                        row(from, a + (h + 3) * part, rows));
            }
        }
        return sum;
    }

    /** Byte offset of row {@code from + a}, the half's last row where a is past its end. */
    private static long row(long from, long a, long rows) { return (from + Math.min(a, rows - 1)) * ROW; }

    /** The Q4_0 kernel's reads of four rows: per group, each row's scales (one int), then its word lines in turn. */
    private static float quad(MemorySegment b, long ra, long rb, long rc, long rd) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int scales = 0;
        for (int g = 0; g < GROUPS; g++) {
            long scale = g / 2 * LINE + g % 2 * 32;
            scales += b.get(ValueLayout.JAVA_INT_UNALIGNED, ra + scale) + b.get(ValueLayout.JAVA_INT_UNALIGNED, rb + scale)
                    + b.get(ValueLayout.JAVA_INT_UNALIGNED, rc + scale) + b.get(ValueLayout.JAVA_INT_UNALIGNED, rd + scale);
            for (int m = 0; m < WORDS; m++) {
                long word = (long) (SCALE_LINES + g * WORDS + m) * LINE;
                a0 = a0.add(FloatVector.fromMemorySegment(F, b, ra + word, ByteOrder.LITTLE_ENDIAN));
                a1 = a1.add(FloatVector.fromMemorySegment(F, b, rb + word, ByteOrder.LITTLE_ENDIAN));
                a2 = a2.add(FloatVector.fromMemorySegment(F, b, rc + word, ByteOrder.LITTLE_ENDIAN));
                a3 = a3.add(FloatVector.fromMemorySegment(F, b, rd + word, ByteOrder.LITTLE_ENDIAN));
            }
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD) + scales;
    }

    /** {@code count} lines from byte {@code at}, front to back. */
    private static float lines(MemorySegment b, long at, long count) {
        FloatVector sum = FloatVector.zero(F);
        for (long i = 0; i < count; i++) sum = sum.add(FloatVector.fromMemorySegment(F, b, at + i * LINE, ByteOrder.LITTLE_ENDIAN));
        return sum.reduceLanes(VectorOperators.ADD);
    }

    /** The calling thread and one spinning helper: {@link #run} hands both a pass, {@link #meet} is a barrier inside it. */
    private static final class TwoThreads {
        @FunctionalInterface
        interface Pass {
            float run(int thread);
        }

        private final AtomicInteger started = new AtomicInteger(), finished = new AtomicInteger(), met = new AtomicInteger();
        private final Thread helper;
        private volatile Pass pass;
        private volatile boolean stopped;
        /** Each thread's pass results, kept so that no pass is dead code. */
        private volatile float callerSink, helperSink;

        TwoThreads() {
            helper = new Thread(() -> {
                for (int seen = 0; ; seen++) {
                    while (started.get() == seen) {
                        if (stopped) return;
                        Thread.onSpinWait();
                    }
                    helperSink += pass.run(1);
                    finished.incrementAndGet();
                }
            }, "read-patterns");
            helper.setDaemon(true);
            helper.start();
        }

        void run(Pass p) {
            pass = p;
            met.set(0);
            int done = finished.get();
            started.incrementAndGet();
            callerSink += p.run(0);
            while (finished.get() == done) Thread.onSpinWait();
        }

        /** The n-th meeting of a pass: returns once both threads have reached it. */
        void meet(int n) {
            met.incrementAndGet();
            while (met.get() < 2 * n) Thread.onSpinWait();
        }

        void stop() { stopped = true; }
    }
}
