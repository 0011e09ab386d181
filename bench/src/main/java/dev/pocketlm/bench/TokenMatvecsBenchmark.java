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
 * The matvecs of one generated token, TinyLlama-shaped, in model order: per layer q (2048x2048), k and v (256x2048),
 * o (2048x2048), gate and up (5632x2048), down (2048x5632), each with its own activation row, the weights read-only
 * as a model file's are (so the {@code cpu} backend packs them). Unlike {@link MatvecBenchmark}'s single matrices,
 * this includes the small k/v matvecs and the switch from one matrix to the next, and {@code layers} (8: 199 MB at
 * Q4_0) keeps the weights far above L3: the {@code bytes} rate is the weight-streaming rate a generated token gets
 * from its matvecs alone, to compare with StreamReadBenchmark and with {@code pocket bench}'s achieved GB/s.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx4g"})
@State(Scope.Benchmark)
public class TokenMatvecsBenchmark {
    /** N x K of one layer's matvecs: q, k, v, o, gate, up, down. */
    private static final int[][] LAYER = {{2048, 2048}, {256, 2048}, {256, 2048}, {2048, 2048}, {5632, 2048}, {5632, 2048}, {2048, 5632}};

    @Param({"Q4_0", "Q8_0", "F16"})
    public DType dtype;

    @Param({"8"})
    public int layers;

    @Param({"cpu"})
    public String backend;

    private Backend device;
    private Tensor[] x, w, y;
    private Arena weightMemory;
    private long bytesPerToken, flopsPerToken;

    @Setup(Level.Trial)
    public void setUp() {
        device = Backends.open(backend);
        weightMemory = Arena.ofShared();
        SplittableRandom random = new SplittableRandom(42);
        int count = layers * LAYER.length;
        x = new Tensor[count];
        w = new Tensor[count];
        y = new Tensor[count];
        for (int i = 0; i < count; i++) {
            int n = LAYER[i % LAYER.length][0], k = LAYER[i % LAYER.length][1];
            float[] values = MatvecBenchmark.randomValues(random, n * k);
            MemorySegment bytes = weightMemory.allocate(dtype.bytes((long) n * k), 64);
            dtype.codec().encode(values, 0, bytes, 0, values.length);
            w[i] = device.map(dtype, Shape.of(n, k), bytes.asReadOnly());
            x[i] = device.fromFloats(MatvecBenchmark.randomValues(random, k), 1, k);
            y[i] = device.empty(DType.F32, 1, n);
            bytesPerToken += w[i].byteSize();
            flopsPerToken += 2L * n * k;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (int i = 0; i < w.length; i++) {
            x[i].close();
            w[i].close();
            y[i].close();
        }
        device.close();
        weightMemory.close();
    }

    @Benchmark
    public void token(Traffic traffic) {
        for (int i = 0; i < w.length; i++) device.kernels().matmul(x[i], w[i], y[i], false, true);
        device.synchronize();
        traffic.bytes += bytesPerToken;
        traffic.flops += flopsPerToken;
    }
}
