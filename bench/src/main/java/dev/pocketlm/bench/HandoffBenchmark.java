package dev.pocketlm.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Control;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One cache line handed from one thread to another and back (JMH's ping-pong, as in its sample on {@code Control}):
 * what a pool job pays when the caller publishes it and a worker sees it, and again when the worker's finish reaches
 * the caller; also what an op pays to read data the other core just wrote. The score is one round trip.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@State(Scope.Group)
public class HandoffBenchmark {
    private final AtomicBoolean served = new AtomicBoolean();

    @Benchmark
    @Group("roundTrip")
    @GroupThreads(1)
    public void serve(Control control) {
        while (!control.stopMeasurement && !served.compareAndSet(false, true)) Thread.onSpinWait();
    }

    @Benchmark
    @Group("roundTrip")
    @GroupThreads(1)
    public void answer(Control control) {
        while (!control.stopMeasurement && !served.compareAndSet(true, false)) Thread.onSpinWait();
    }
}
