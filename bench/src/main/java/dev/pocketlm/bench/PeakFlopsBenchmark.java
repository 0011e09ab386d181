package dev.pocketlm.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.CompilerControl;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

import java.util.concurrent.TimeUnit;

/**
 * The F32 compute peak the kernels are measured against: fused multiply-adds on registers at the preferred vector
 * width, one and two threads, nothing loaded or stored. {@value #CHAINS} independent accumulators, more than an FMA's
 * latency times its issue rate, so the rate is the FMA units', not one chain's. The {@code flops} rate (two per lane
 * and FMA) is the ceiling for the GEMM and the prompt's matmuls, as StreamReadBenchmark's is for the matvecs.
 * The chains run in a method of their own: inlined into JMH's measurement loop, C2 compiled them at half the rate
 * (one thread 104 against 219 GFLOP/s on this VM; a plain loop outside JMH gave 200).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Benchmark)
public class PeakFlopsBenchmark {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int CHAINS = 12, STEPS = 1 << 12;
    /** Each chain runs a <- a * SCALE + STEP, which settles near STEP / (1 - SCALE): no overflow, no subnormals. */
    private static final float SCALE = 0.999999f, STEP = 1e-7f;

    @Benchmark
    @Threads(1)
    public float oneThread(Traffic traffic) { return fmas(traffic); }

    @Benchmark
    @Threads(2)
    public float twoThreads(Traffic traffic) { return fmas(traffic); }

    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    private static float fmas(Traffic traffic) {
        FloatVector scale = FloatVector.broadcast(F, SCALE), step = FloatVector.broadcast(F, STEP);
        FloatVector a0 = step, a1 = a0.add(step), a2 = a1.add(step), a3 = a2.add(step), a4 = a3.add(step), a5 = a4.add(step);
        FloatVector a6 = a5.add(step), a7 = a6.add(step), a8 = a7.add(step), a9 = a8.add(step), a10 = a9.add(step), a11 = a10.add(step);
        for (int i = 0; i < STEPS; i++) {
            a0 = a0.fma(scale, step);
            a1 = a1.fma(scale, step);
            a2 = a2.fma(scale, step);
            a3 = a3.fma(scale, step);
            a4 = a4.fma(scale, step);
            a5 = a5.fma(scale, step);
            a6 = a6.fma(scale, step);
            a7 = a7.fma(scale, step);
            a8 = a8.fma(scale, step);
            a9 = a9.fma(scale, step);
            a10 = a10.fma(scale, step);
            a11 = a11.fma(scale, step);
        }
        traffic.flops += 2L * F.length() * CHAINS * STEPS;
        return a0.add(a1).add(a2.add(a3)).add(a4.add(a5).add(a6.add(a7))).add(a8.add(a9).add(a10.add(a11))).reduceLanes(VectorOperators.ADD);
    }
}
