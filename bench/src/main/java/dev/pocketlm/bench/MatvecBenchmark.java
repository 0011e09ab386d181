package dev.pocketlm.bench;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Backends;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Shape;
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

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * y = x W^T for TinyLlama-shaped weights W [N, K] (rows = 1: one generated token, W streamed once; rows = 64: a
 * prompt chunk). The {@code bytes} rate is weight bytes streamed per second, to compare with StreamReadBenchmark.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx8g"})
@State(Scope.Benchmark)
public class MatvecBenchmark {
    /** N x K: q/o projections, FFN gate/up, FFN down, output head. */
    @Param({"2048x2048", "5632x2048", "2048x5632", "32000x2048"})
    public String shape;

    @Param({"Q4_0", "Q8_0", "F16", "F32"})
    public DType dtype;

    /** Any backend spec; opencl and cuda run too (-p backend=opencl). */
    @Param({"cpu", "cpu:reference"})
    public String backend;

    @Param({"1"})
    public int rows;

    /** true: W as a model file's weights are, read-only host memory (the CPU repacks Q8_0/Q4_0 rows of such). */
    @Param({"true", "false"})
    public boolean mapped;

    private Backend device;
    private Tensor x, w, y;
    private Arena weightMemory;
    private long flopsPerCall;

    @Setup(Level.Trial)
    public void setUp() {
        String[] nk = shape.split("x");
        int n = Integer.parseInt(nk[0]), k = Integer.parseInt(nk[1]);
        device = Backends.open(backend);
        SplittableRandom random = new SplittableRandom(42);
        x = device.fromFloats(TokenMatvecs.randomValues(random, rows * k), rows, k);
        float[] values = TokenMatvecs.randomValues(random, n * k);
        if (mapped) {
            weightMemory = Arena.ofShared();
            MemorySegment bytes = weightMemory.allocate(dtype.bytes((long) n * k), 64);
            dtype.codec().encode(values, 0, bytes, 0, values.length);
            w = device.map(dtype, Shape.of(n, k), bytes.asReadOnly());
        } else {
            w = device.fromFloats(dtype, values, n, k);
        }
        y = device.empty(DType.F32, rows, n);
        flopsPerCall = 2L * rows * n * k;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        x.close();
        w.close();
        y.close();
        device.close();
        if (weightMemory != null) weightMemory.close();
    }

    @Benchmark
    public void matvec(Traffic traffic) {
        device.kernels().matmul(x, w, y, false, true);
        device.synchronize();
        traffic.bytes += w.byteSize();
        traffic.flops += flopsPerCall;
    }
}
