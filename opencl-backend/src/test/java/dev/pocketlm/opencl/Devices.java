package dev.pocketlm.opencl;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Tensor;
import dev.pocketlm.tensor.spi.Probe;
import org.junit.jupiter.api.Assumptions;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The OpenCL backend under test beside the CPU scalar reference (the oracle), with input and comparison helpers. */
final class Devices {
    static final double ELEMENTWISE_NMSE = 1e-7;
    static final double MATMUL_NMSE = 5e-4;

    final Backend cl;
    final Backend ref;
    final long seed;
    private final Random random;

    private Devices(Backend cl, Backend ref, long seed) {
        this.cl = cl;
        this.ref = ref;
        this.seed = seed;
        this.random = new Random(seed);
    }

    /** Opens both backends; on a developer machine without OpenCL the test is skipped, on CI it fails. */
    static Devices open() {
        Probe probe = new OpenClProvider().probe();
        if (!probe.available()) {
            if (System.getenv("CI") == null) {
                System.out.println("OpenCL tests skipped: " + probe.reason());
                Assumptions.abort("OpenCL unavailable: " + probe.reason());
            }
            fail("OpenCL unavailable on CI: " + probe.reason());
        }
        long seed = Long.getLong("pocket.seed", System.nanoTime());
        return new Devices(new OpenClProvider().open(""), new dev.pocketlm.cpu.CpuProvider().open("reference"), seed);
    }

    void close() {
        cl.close();
        ref.close();
    }

    float[] random(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = random.nextFloat() * 2 - 1;
        return v;
    }

    int[] ids(int n, int bound) {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) v[i] = random.nextInt(bound);
        return v;
    }

    /** The same values on both backends. */
    record Both(Tensor cl, Tensor ref) {}

    Both floats(DType dtype, float[] values, int... dims) {
        return new Both(cl.fromFloats(dtype, values, dims), ref.fromFloats(dtype, values, dims));
    }

    Both randoms(DType dtype, int... dims) {
        long n = 1;
        for (int d : dims) n *= d;
        return floats(dtype, random(Math.toIntExact(n)), dims);
    }

    Both randoms(int... dims) { return randoms(DType.F32, dims); }

    Both ints(int[] values, int... dims) {
        return new Both(cl.fromInts(values, dims), ref.fromInts(values, dims));
    }

    /** Asserts normalized MSE sum((a-b)^2) / sum(a^2) <= bound, after checking for NaN and infinity. */
    void assertClose(String what, Tensor expected, Tensor actual, double bound) {
        float[] e = expected.toFloats(), a = actual.toFloats();
        assertTrue(e.length == a.length, what + ": " + a.length + " values, expected " + e.length);
        double err = 0, norm = 0;
        for (int i = 0; i < e.length; i++) {
            if (Float.isFinite(e[i]) && !Float.isFinite(a[i])) {
                fail(what + ": element " + i + " is " + a[i] + ", expected " + e[i] + " (seed " + seed + ")");
            }
            err += ((double) e[i] - a[i]) * ((double) e[i] - a[i]);
            norm += (double) e[i] * e[i];
        }
        double nmse = norm == 0 ? err : err / norm;
        assertTrue(nmse <= bound, what + ": normalized MSE " + nmse + " > " + bound + " (seed " + seed + ")");
    }

    void assertClose(String what, Both both, double bound) { assertClose(what, both.ref(), both.cl(), bound); }
}
