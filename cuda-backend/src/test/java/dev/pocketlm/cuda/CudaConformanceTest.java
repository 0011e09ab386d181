package dev.pocketlm.cuda;

import dev.pocketlm.cpu.CpuProvider;
import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Tensor;
import dev.pocketlm.tensor.spi.Probe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Every Kernels method on the GPU against the CPU scalar reference, on the same inputs; skips without a GPU. */
class CudaConformanceTest {
    /** |cuda - reference| <= TOLERANCE * (1 + |reference|): float32 sums in a different order, F16/BF16 rounding ties. */
    private static final float TOLERANCE = 2e-3f;

    /** ||cuda - reference|| <= DP4A_TOLERANCE ||reference|| per output: int8 activations cost about 0.5% (llama.cpp's MMVQ). */
    private static final double DP4A_TOLERANCE = 0.02;

    private static Backend cuda;
    private static Backend dp4a;
    private static Backend reference;

    @BeforeAll static void open() {
        Probe probe = new CudaProvider().probe();
        if (!probe.available()) System.out.println("CudaConformanceTest skipped: no usable CUDA device: " + probe.reason());
        assumeTrue(probe.available(), "no usable CUDA device: " + probe.reason());
        cuda = new CudaProvider().open("");
        dp4a = new CudaBackend("cuda:0", probe.devices().getFirst(), QuantMatvec.DP4A);
        reference = new CpuProvider().open(CpuProvider.REFERENCE);
        System.out.println("cuda conformance on " + cuda.device());
    }

    @AfterAll static void close() {
        if (cuda != null) cuda.close();
        if (dp4a != null) dp4a.close();
        if (reference != null) reference.close();
    }

    @TestFactory Stream<DynamicTest> matchesTheReference() {
        return KernelCases.all().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            List<Tensor> want = c.run().apply(reference), got = c.run().apply(cuda);
            assertEquals(want.size(), got.size());
            for (int o = 0; o < want.size(); o++) {
                assertEquals(want.get(o).shape(), got.get(o).shape(), c.name() + " output " + o + " shape");
                assertEquals(want.get(o).dtype(), got.get(o).dtype(), c.name() + " output " + o + " dtype");
                float[] w = want.get(o).toFloats(), g = got.get(o).toFloats();
                for (int i = 0; i < w.length; i++) {
                    if (!(Math.abs(g[i] - w[i]) <= TOLERANCE * (1 + Math.abs(w[i])))) {
                        fail(c.name() + " output " + o + " element " + i + ": cuda " + g[i] + ", reference " + w[i]);
                    }
                }
            }
        }));
    }

    @TestFactory Stream<DynamicTest> dp4aMatvecMatchesTheReference() {
        return KernelCases.quantizedMatvecs().stream().map(c -> DynamicTest.dynamicTest(c.name() + " (dp4a)", () -> {
            float[] w = c.run().apply(reference).getFirst().toFloats(), g = c.run().apply(dp4a).getFirst().toFloats();
            double err = 0, norm = 0;
            for (int i = 0; i < w.length; i++) {
                err += (g[i] - w[i]) * (double) (g[i] - w[i]);
                norm += w[i] * (double) w[i];
            }
            assertTrue(Math.sqrt(err) <= DP4A_TOLERANCE * Math.sqrt(norm),
                    c.name() + ": relative error " + Math.sqrt(err / norm) + " with int8 activations");
        }));
    }
}
