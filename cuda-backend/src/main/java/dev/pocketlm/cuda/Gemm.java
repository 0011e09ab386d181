package dev.pocketlm.cuda;

import jcuda.driver.CUstream;

/**
 * Row-major F32 batched GEMM on the backend's stream: matrix i of c [M, N] = op(matrix i of a) x op(matrix i / perB
 * of b), op being a transpose where asked. cuBLAS where it loads (CUDA 12 through JCublas2, CUDA 13 through
 * JavaCPP), else the shared tiled kernel.
 */
interface Gemm extends AutoCloseable {
    System.Logger LOG = System.getLogger(Gemm.class.getName());

    /** Which implementation, for logs and device details. */
    String name();

    void sgemm(boolean transA, boolean transB, int m, int n, int k, DeviceAddress a, DeviceAddress b, DeviceAddress c,
               int batches, int perB);

    @Override void close();

    /** The best GEMM that loads here; needs the context current. */
    static Gemm open(CUstream stream, KernelLaunch.Launcher launcher) {
        String jcublas, javacpp;
        try {
            return JCublasGemm.open(stream);
        } catch (LinkageError | IllegalStateException e) {
            jcublas = firstLine(e);
        }
        try {
            return JavaCppCublasGemm.open(stream);
        } catch (LinkageError | IllegalStateException e) {
            javacpp = firstLine(e);
        }
        LOG.log(System.Logger.Level.WARNING, "cuBLAS is unavailable (JCublas2 / libcublas.so.12: " + jcublas
                + "; JavaCPP / libcublas.so.13: " + javacpp + "); using the shared tiled GEMM kernel, which is much slower");
        return new KernelGemm(launcher);
    }

    /** JCuda's load errors run to pages; the first line says which library. */
    private static String firstLine(Throwable e) {
        return e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).lines().findFirst().orElse("");
    }
}
