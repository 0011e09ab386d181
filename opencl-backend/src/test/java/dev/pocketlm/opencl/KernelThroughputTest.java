package dev.pocketlm.opencl;

import dev.pocketlm.opencl.Devices.Both;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Ops;
import dev.pocketlm.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import static dev.pocketlm.opencl.Devices.MATMUL_NMSE;

/**
 * Prints the speed of the matvec and GEMM kernels (run with -Dpocket.bench=true); each result is also checked
 * against the reference so a fast wrong kernel fails.
 */
class KernelThroughputTest {
    private static final int REPEATS = 10;
    private static Devices dev;

    @BeforeAll static void open() {
        Assumptions.assumeTrue(Boolean.getBoolean("pocket.bench"), "throughput runs only with -Dpocket.bench=true");
        dev = Devices.open();
    }

    @AfterAll static void close() {
        if (dev != null) dev.close();
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "Q8_0", "Q4_0"})
    void matvecBandwidth(DType dtype) {
        int n = 4096, k = 4096;
        Both w = dev.randoms(dtype, n, k), x = dev.randoms(1, k);
        double seconds = time(() -> Ops.linear(x.cl(), w.cl()));
        double gbs = dtype.bytes((long) n * k) / seconds / 1e9;
        System.out.printf("matvec %s %dx%d: %.3f ms, %.1f GB/s of weights%n", dtype, n, k, seconds * 1e3, gbs);
        dev.assertClose("matvec " + dtype, Ops.linear(x.ref(), w.ref()), Ops.linear(x.cl(), w.cl()), MATMUL_NMSE);
    }

    @ParameterizedTest
    @ValueSource(ints = {64, 512})
    void gemmFlops(int m) {
        int n = 1024, k = 1024;
        Both w = dev.randoms(n, k), x = dev.randoms(m, k);
        double seconds = time(() -> Ops.linear(x.cl(), w.cl()));
        System.out.printf("gemm F32 %dx%dx%d: %.3f ms, %.1f GFLOP/s%n", m, n, k, seconds * 1e3, 2.0 * m * n * k / seconds / 1e9);
        dev.assertClose("gemm " + m, Ops.linear(x.ref(), w.ref()), Ops.linear(x.cl(), w.cl()), MATMUL_NMSE);
    }

    /** Seconds per call, after one warm-up call, with the queue drained. */
    private static double time(java.util.function.Supplier<Tensor> op) {
        op.get().close();
        dev.cl.synchronize();
        long start = System.nanoTime();
        for (int i = 0; i < REPEATS; i++) op.get().close();
        dev.cl.synchronize();
        return (System.nanoTime() - start) / 1e9 / REPEATS;
    }
}
