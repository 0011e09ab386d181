package dev.pocketlm.cuda;

/** The row-major to column-major mapping and the batching shared by both cuBLAS bindings. */
abstract sealed class CublasGemm implements Gemm permits JCublasGemm, JavaCppCublasGemm {

    /**
     * Column-major strided-batched SGEMM with alpha 1 and beta 0: matrix j of c (ldc) = op(p_j) x op(q_j), sizes
     * m x k times k x n, strides in elements (0 reuses one matrix).
     */
    abstract void columnMajor(boolean transP, boolean transQ, int m, int n, int k, DeviceAddress p, int ldp, long strideP,
                              DeviceAddress q, int ldq, long strideQ, DeviceAddress c, int ldc, long strideC, int count);

    @Override public final void sgemm(boolean transA, boolean transB, int m, int n, int k, DeviceAddress a, DeviceAddress b,
                                      DeviceAddress c, int batches, int perB) {
        // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: pass b first, each keeping its transpose flag.
        for (int g = 0; g < batches / perB; g++) {
            columnMajor(transB, transA, n, m, k,
                    b.plus(4L * g * k * n), transB ? k : n, 0,
                    a.plus(4L * g * perB * m * k), transA ? m : k, (long) m * k,
                    c.plus(4L * g * perB * m * n), n, (long) m * n, perB);
        }
    }
}
