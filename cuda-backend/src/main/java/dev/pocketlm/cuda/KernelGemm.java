package dev.pocketlm.cuda;

import dev.pocketlm.tensor.DType;

/** The shared tiled GEMM kernel (matmul.kern), used when no cuBLAS loads. */
final class KernelGemm implements Gemm {
    /** Threads per group along x and y (16 x 16); each group computes TILE x TILE outputs of c. */
    private static final int THREADS = 16;
    private static final int TILE = 32;
    /** CUDA's limit on grid y; the kernel strides over the rest. */
    private static final int MAX_GROUPS_Y = 65535;

    private final KernelLaunch.Launcher launcher;

    KernelGemm(KernelLaunch.Launcher launcher) { this.launcher = launcher; }

    @Override public String name() { return "shared tiled GEMM kernel"; }

    @Override public void sgemm(boolean transA, boolean transB, int m, int n, int k, DeviceAddress a, DeviceAddress b,
                                DeviceAddress c, int batches, int perB) {
        long tilesY = (long) ceilDiv(m, TILE) * batches;
        new KernelLaunch(launcher, "gemm", Math.max(1, ceilDiv(n, TILE)), (int) Math.clamp(tilesY, 1, MAX_GROUPS_Y), THREADS, THREADS)
                .buffer(a).buffer(b).i32(CudaKernels.dtypeCode(DType.F32)).buffer(c)
                .i32(m).i32(n).i32(k).i32(transA).i32(transB).i32(batches).i32(perB).run();
    }

    @Override public void close() {}

    private static int ceilDiv(int x, int y) { return (x + y - 1) / y; }
}
