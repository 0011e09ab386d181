package dev.pocketlm.cuda;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Without a GPU: every launch CudaKernels makes names a kernel of the shipped PTX with the parameter types, in order,
 * that the kernel declares, fits CUDA's geometry limits, and together the launches use every kernel in the module.
 */
class LaunchSignatureTest {
    private static PtxModule ptx;

    @BeforeAll static void load() {
        ptx = PtxModule.shipped();
        assumeTrue(ptx != null, "no PTX shipped: the build ran without nvcc");
    }

    /** Every case with the shared kernels, and the quantized matvecs again with the dp4a kernels. */
    @Test void everyLaunchMatchesItsKernel() {
        Set<String> launched = new TreeSet<>();
        check(KernelCases.all(), QuantMatvec.SHARED, launched);
        check(KernelCases.quantizedMatvecs(), QuantMatvec.DP4A, launched);
        assertEquals(new TreeSet<>(ptx.entries().keySet()), launched, "kernels in the PTX that no Kernels method launches");
    }

    private static void check(List<KernelCases> cases, QuantMatvec quantMatvec, Set<String> launched) {
        for (KernelCases c : cases) {
            RecordingBackend be = new RecordingBackend(quantMatvec);
            c.run().apply(be);
            assertTrue(!be.launches.isEmpty(), c.name() + " launched nothing");
            for (KernelLaunch l : be.launches) {
                String where = c.name() + ": " + l.kernel;
                List<String> declared = ptx.entries().get(l.kernel);
                assertTrue(declared != null, where + " is not in the PTX");
                List<String> passed = l.args.stream().map(a -> switch (a.kind()) {
                    case POINTER, LONG -> "u64";
                    case INT -> "u32";
                    case FLOAT -> "f32";
                }).toList();
                assertEquals(declared, passed, where + " parameter types");
                assertTrue(l.localX * l.localY <= 1024 && l.groupsX >= 1 && l.groupsY >= 1 && l.groupsY <= 65535, where + " geometry");
                launched.add(l.kernel);
            }
        }
    }
}
