package dev.pocketlm.cuda;

import jcuda.driver.CUstream;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.CUBLAS_STATUS_SUCCESS;

/** cuBLAS 13 through JavaCPP's bindings (needs libcublas.so.13); device addresses cross over as raw numbers. */
final class JavaCppCublasGemm extends CublasGemm {
    private final cublasContext handle;
    private final FloatPointer one = new FloatPointer(1f);
    private final FloatPointer zero = new FloatPointer(0f);

    private JavaCppCublasGemm(cublasContext handle) { this.handle = handle; }

    /** A JavaCPP pointer at a raw address it does not own. */
    private static final class Raw extends Pointer {
        Raw(long address) { this.address = address; }
    }

    /** Throws a LinkageError when libcublas.so.13 is absent, IllegalStateException when cuBLAS fails to start. */
    static JavaCppCublasGemm open(CUstream stream) {
        cublasContext handle = new cublasContext();
        check(cublas.cublasCreate_v2(handle), "cublasCreate");
        check(cublas.cublasSetStream_v2(handle, new CUstream_st(new Raw(DeviceAddress.rawAddress(stream)))), "cublasSetStream");
        return new JavaCppCublasGemm(handle);
    }

    @Override public String name() { return "cuBLAS 13 (JavaCPP)"; }

    @Override void columnMajor(boolean transP, boolean transQ, int m, int n, int k, DeviceAddress p, int ldp, long strideP,
                               DeviceAddress q, int ldq, long strideQ, DeviceAddress c, int ldc, long strideC, int count) {
        check(cublas.cublasSgemmStridedBatched(handle, transP ? CUBLAS_OP_T : CUBLAS_OP_N, transQ ? CUBLAS_OP_T : CUBLAS_OP_N,
                m, n, k, one, floats(p), ldp, strideP, floats(q), ldq, strideQ, zero, floats(c), ldc, strideC, count),
                "cublasSgemmStridedBatched");
    }

    private static FloatPointer floats(DeviceAddress a) { return new FloatPointer(new Raw(a.address())); }

    @Override public void close() {
        check(cublas.cublasDestroy_v2(handle), "cublasDestroy");
        one.close();
        zero.close();
    }

    private static void check(int status, String call) {
        if (status != CUBLAS_STATUS_SUCCESS) {
            throw new IllegalStateException("cuda: " + call + " failed: " + cublas.cublasGetStatusString(status).getString());
        }
    }
}
