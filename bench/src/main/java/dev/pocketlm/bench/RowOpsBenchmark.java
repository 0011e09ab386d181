package dev.pocketlm.bench;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Backends;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.RopeMode;
import dev.pocketlm.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The row-wise and elementwise kernels of a Llama block at TinyLlama's sizes, {@code rows} tokens at a time (1: a
 * generated token, 64: a prompt chunk): rms_norm over 2048, rope over 32 heads of 64 (GGML's normal mode), swiglu
 * over 5632, softmax over 32 heads' rows of 256 scores. The {@code bytes} rate counts each operand read and the
 * output written once; {@code flops} the arithmetic per element named at each benchmark.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
@State(Scope.Benchmark)
public class RowOpsBenchmark {
    private static final int DIM = 2048, HIDDEN = 5632, HEADS = 32, HEAD_DIM = 64, SCORES = 256;

    /** Any backend spec; opencl and cuda run too (-p backend=opencl). */
    @Param({"cpu", "cpu:reference"})
    public String backend;

    @Param({"1", "64"})
    public int rows;

    private Backend device;
    private Tensor x, normed, q, positions, rotated, gate, up, gated, scores, probabilities;

    @Setup(Level.Trial)
    public void setUp() {
        device = Backends.open(backend);
        SplittableRandom random = new SplittableRandom(42);
        x = device.fromFloats(TokenMatvecs.randomValues(random, rows * DIM), rows, DIM);
        normed = device.empty(DType.F32, rows, DIM);
        q = device.fromFloats(TokenMatvecs.randomValues(random, rows * HEADS * HEAD_DIM), rows, HEADS, HEAD_DIM);
        int[] at = new int[rows];
        for (int r = 0; r < rows; r++) at[r] = 100 + r;
        positions = device.fromInts(at, rows);
        rotated = device.empty(DType.F32, rows, HEADS, HEAD_DIM);
        gate = device.fromFloats(TokenMatvecs.randomValues(random, rows * HIDDEN), rows, HIDDEN);
        up = device.fromFloats(TokenMatvecs.randomValues(random, rows * HIDDEN), rows, HIDDEN);
        gated = device.empty(DType.F32, rows, HIDDEN);
        scores = device.fromFloats(TokenMatvecs.randomValues(random, rows * HEADS * SCORES), rows * HEADS, SCORES);
        probabilities = device.empty(DType.F32, rows * HEADS, SCORES);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Tensor t : new Tensor[]{x, normed, q, positions, rotated, gate, up, gated, scores, probabilities}) t.close();
        device.close();
    }

    /** Squares summed, then a multiply per element: 3 flops an element. */
    @Benchmark
    public void rmsNorm(Traffic traffic) {
        device.kernels().rmsNorm(x, 1e-5f, normed);
        device.synchronize();
        count(traffic, 2L * rows * DIM, 3L * rows * DIM);
    }

    /** A pair's rotation: 6 flops, 3 an element. */
    @Benchmark
    public void rope(Traffic traffic) {
        device.kernels().rope(q, positions, HEAD_DIM, 10000f, RopeMode.NORMAL, false, rotated);
        device.synchronize();
        count(traffic, 2L * rows * HEADS * HEAD_DIM, 3L * rows * HEADS * HEAD_DIM);
    }

    /** silu(g) u: an exponential, an add, a divide and a multiply, counted as 4 flops an element. */
    @Benchmark
    public void swiglu(Traffic traffic) {
        device.kernels().swiglu(gate, up, gated);
        device.synchronize();
        count(traffic, 3L * rows * HIDDEN, 4L * rows * HIDDEN);
    }

    /** The maximum, an exponential and a sum, then a multiply: 4 flops an element. */
    @Benchmark
    public void softmax(Traffic traffic) {
        device.kernels().softmax(scores, 1f, false, 0, probabilities);
        device.synchronize();
        count(traffic, 2L * rows * HEADS * SCORES, 4L * rows * HEADS * SCORES);
    }

    private static void count(Traffic traffic, long floats, long flops) {
        traffic.bytes += 4 * floats;
        traffic.flops += flops;
    }
}
