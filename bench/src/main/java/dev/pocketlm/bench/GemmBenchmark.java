package dev.pocketlm.bench;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Backends;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Tensor;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas;
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
 * F32 GEMM C = A B of size cube, our {@code cpu} kernel against OpenBLAS's cblas_sgemm (JavaCPP) in the same JVM,
 * both on every available core. The {@code flops} rate / 1e9 is GFLOP/s.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx4g"})
@State(Scope.Benchmark)
public class GemmBenchmark {
    @Param({"512", "2048"})
    public int size;

    private Backend device;
    private Tensor a, b, c;
    private FloatPointer blasA, blasB, blasC;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom random = new SplittableRandom(7);
        float[] av = TokenMatvecs.randomValues(random, size * size), bv = TokenMatvecs.randomValues(random, size * size);
        Loader.load(openblas.class);
        openblas.blas_set_num_threads(Runtime.getRuntime().availableProcessors());
        device = Backends.open("cpu");
        a = device.fromFloats(av, size, size);
        b = device.fromFloats(bv, size, size);
        c = device.empty(DType.F32, size, size);
        blasA = new FloatPointer(av);
        blasB = new FloatPointer(bv);
        blasC = new FloatPointer((long) size * size);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        a.close();
        b.close();
        c.close();
        device.close();
        blasA.close();
        blasB.close();
        blasC.close();
    }

    @Benchmark
    public void pocket(Traffic traffic) {
        device.kernels().matmul(a, b, c, false, false);
        device.synchronize();
        traffic.flops += 2L * size * size * size;
    }

    @Benchmark
    public void openblas(Traffic traffic) {
        openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasNoTrans, size, size, size,
                1f, blasA, size, blasB, size, 0f, blasC, size);
        traffic.flops += 2L * size * size * size;
    }
}
