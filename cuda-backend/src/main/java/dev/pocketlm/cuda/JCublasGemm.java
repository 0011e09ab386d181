package dev.pocketlm.cuda;

import jcuda.Pointer;
import jcuda.driver.CUstream;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasStatus;
import jcuda.runtime.cudaStream_t;

import static jcuda.jcublas.cublasOperation.CUBLAS_OP_N;
import static jcuda.jcublas.cublasOperation.CUBLAS_OP_T;

/** cuBLAS 12 through JCublas2 (needs libcublas.so.12). */
final class JCublasGemm extends CublasGemm {
    private final cublasHandle handle;
    private final Pointer one = Pointer.to(new float[]{1f});
    private final Pointer zero = Pointer.to(new float[]{0f});

    private JCublasGemm(cublasHandle handle) { this.handle = handle; }

    /** Throws a LinkageError when libcublas.so.12 is absent, IllegalStateException when cuBLAS fails to start. */
    static JCublasGemm open(CUstream stream) {
        cublasHandle handle = new cublasHandle();
        check(JCublas2.cublasCreate(handle), "cublasCreate");
        check(JCublas2.cublasSetStream(handle, new cudaStream_t(stream)), "cublasSetStream");
        return new JCublasGemm(handle);
    }

    @Override public String name() { return "cuBLAS 12 (JCublas2)"; }

    @Override void columnMajor(boolean transP, boolean transQ, int m, int n, int k, DeviceAddress p, int ldp, long strideP,
                               DeviceAddress q, int ldq, long strideQ, DeviceAddress c, int ldc, long strideC, int count) {
        check(JCublas2.cublasSgemmStridedBatched(handle, transP ? CUBLAS_OP_T : CUBLAS_OP_N, transQ ? CUBLAS_OP_T : CUBLAS_OP_N,
                m, n, k, one, p.pointer(), ldp, strideP, q.pointer(), ldq, strideQ, zero, c.pointer(), ldc, strideC, count),
                "cublasSgemmStridedBatched");
    }

    @Override public void close() { check(JCublas2.cublasDestroy(handle), "cublasDestroy"); }

    private static void check(int status, String call) {
        if (status != cublasStatus.CUBLAS_STATUS_SUCCESS) {
            throw new IllegalStateException("cuda: " + call + " failed: " + cublasStatus.stringFor(status));
        }
    }
}
