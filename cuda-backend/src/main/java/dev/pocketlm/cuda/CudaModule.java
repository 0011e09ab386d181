package dev.pocketlm.cuda;

import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The shared kernels' PTX (built from kernels/*.kern by build-ptx.sh), loaded into the current context. */
final class CudaModule implements KernelLaunch.Launcher {
    static final String PTX_RESOURCE = "/ptx/pocket_kernels.ptx";

    private final CUmodule module = new CUmodule();
    private final Map<String, CUfunction> functions = new ConcurrentHashMap<>();
    private final CUstream stream;

    /** Needs the context current; launches go to {@code stream}. */
    CudaModule(CUstream stream) {
        this.stream = stream;
        byte[] ptx = ptx();
        CudaCheck.check(JCudaDriver.cuModuleLoadData(module, Arrays.copyOf(ptx, ptx.length + 1)), "cuModuleLoadData(" + PTX_RESOURCE + ")");
    }

    /** The PTX text as shipped in the jar. */
    static byte[] ptx() {
        try (InputStream in = CudaModule.class.getResourceAsStream(PTX_RESOURCE)) {
            if (in == null) throw new IllegalStateException("cuda: " + PTX_RESOURCE + " is missing: the jar was built without nvcc");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cuda: cannot read " + PTX_RESOURCE, e);
        }
    }

    @Override public void launch(KernelLaunch l) {
        Pointer[] params = new Pointer[l.args.size()];
        for (int i = 0; i < params.length; i++) {
            KernelLaunch.Arg a = l.args.get(i);
            params[i] = switch (a.kind()) {
                case POINTER -> Pointer.to(((DeviceAddress) a.value()).pointer());
                case LONG -> Pointer.to(new long[]{(Long) a.value()});
                case INT -> Pointer.to(new int[]{(Integer) a.value()});
                case FLOAT -> Pointer.to(new float[]{(Float) a.value()});
            };
        }
        CudaCheck.check(JCudaDriver.cuLaunchKernel(function(l.kernel), l.groupsX, l.groupsY, 1, l.localX, l.localY, 1,
                0, stream, Pointer.to(params), null), "cuLaunchKernel(" + l.kernel + ")");
    }

    private CUfunction function(String name) {
        return functions.computeIfAbsent(name, n -> {
            CUfunction f = new CUfunction();
            CudaCheck.check(JCudaDriver.cuModuleGetFunction(f, module, n), "cuModuleGetFunction(" + n + ")");
            return f;
        });
    }

    void unload() { CudaCheck.check(JCudaDriver.cuModuleUnload(module), "cuModuleUnload"); }
}
