package dev.pocketlm.opencl;

import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Kernels;
import dev.pocketlm.tensor.ReduceOp;
import dev.pocketlm.tensor.RopeMode;
import dev.pocketlm.tensor.Tensor;
import dev.pocketlm.tensor.spi.SharedKernels;
import org.jocl.cl_mem;

import java.util.Arrays;

/**
 * {@link Kernels} as launches of the shared kernels (kernels/KERNELS.md lists each one's arguments and geometry).
 * Every op runs on the device; tensors are passed as their buffer plus the offset of element 0.
 */
final class OpenClKernels implements Kernels {
    /** Activation rows up to which matmul against a [N, K] weight uses the matvec kernels instead of the GEMM. */
    private static final int MATVEC_MAX_ROWS = 4;
    /** Threads per matvec row: 128 keeps a GPU busy; CPU devices (PoCL) run best with fewer, busier work-items. */
    private static final int MATVEC_LOCAL_GPU = 128;
    private static final int MATVEC_LOCAL_CPU = 32;
    /** The GEMM computes 32 x 32 tiles of the output with 16 x 16 threads. */
    private static final int GEMM_BLOCK = 32;
    private static final int GEMM_THREADS = 16;
    private static final int ATTENTION_LOCAL = 128;
    private static final int ATTENTION_MAX_HEAD_DIM = 256;
    /** Dimensions the copy kernel indexes; higher-rank views loop over the outer ones on the host. */
    private static final int COPY_RANK = 4;

    private final OpenClBackend backend;

    OpenClKernels(OpenClBackend backend) {
        this.backend = backend;
    }

    // ---- matmul and attention ----

    @Override public void matmul(Tensor a, Tensor b, Tensor out, boolean transA, boolean transB) {
        String op = "matmul";
        requireF32(op, a, out);
        boolean weight = transB && b.rank() == 2;
        if (b.dtype() != DType.F32 && !(weight && b.dtype().isFloating())) throw unsupported(op, b);
        int m = transA ? a.dim(-1) : a.dim(-2);
        int k = transA ? a.dim(-2) : a.dim(-1);
        int n = transB ? b.dim(-2) : b.dim(-1);
        if ((long) m * k * n == 0) {
            fill(out, 0f); // an empty inner dimension sums nothing
            return;
        }
        long matricesA = a.size() / ((long) m * k), matricesB = b.size() / ((long) k * n);
        // a rank-2 b with !transA: all rows of a form one matrix
        boolean flat = b.rank() == 2 && !transA;
        int rows = flat ? count(op, a.size() / k) : m;
        int batches = flat ? 1 : count(op, matricesA);
        int perB = flat ? 1 : count(op, matricesA / matricesB);
        if (weight && !transA && rows <= MATVEC_MAX_ROWS) {
            int local = backend.isGpu() ? MATVEC_LOCAL_GPU : MATVEC_LOCAL_CPU;
            backend.launch("matvec_" + suffix(b.dtype()), new Grid(n, rows, local, 1),
                    mem(b), b.byteOffset(), mem(a), elementOffset(a), mem(out), elementOffset(out), rows, n, k);
            return;
        }
        long mTiles = (rows + GEMM_BLOCK - 1) / GEMM_BLOCK;
        Grid grid = new Grid((n + GEMM_BLOCK - 1) / GEMM_BLOCK, Math.min(mTiles * batches, Grid.MAX_GROUPS_Y),
                GEMM_THREADS, GEMM_THREADS);
        backend.launch("gemm", grid, mem(a), elementOffset(a), mem(b), b.byteOffset(), dtypeCode(b.dtype()),
                mem(out), elementOffset(out), rows, n, k, flag(transA), flag(transB), batches, perB);
    }

    @Override public void attention(Tensor q, Tensor k, Tensor v, float scale, int pos0, Tensor out) {
        String op = "attention";
        requireF32(op, q, out);
        if (k.dtype() != DType.F32 && k.dtype() != DType.F16) throw unsupported(op, k);
        if (v.dtype() != k.dtype()) throw unsupported(op, v);
        int headDim = q.dim(2);
        if (headDim > ATTENTION_MAX_HEAD_DIM) {
            throw new UnsupportedOperationException(op + ": head size " + headDim + " exceeds the " + ATTENTION_MAX_HEAD_DIM
                    + " the kernel holds in local memory on " + backend.name());
        }
        int queries = q.dim(0), heads = q.dim(1);
        backend.launch("attention_" + suffix(k.dtype()), new Grid(heads, queries, ATTENTION_LOCAL, 1),
                mem(q), elementOffset(q), mem(k), elementOffset(k), mem(v), elementOffset(v), mem(out), elementOffset(out),
                queries, heads, k.dim(1), headDim, k.stride(0), k.stride(1), pos0, scale);
    }

    // ---- elementwise ----

    @Override public void add(Tensor a, Tensor b, Tensor out) { broadcast("add", a, b, out); }

    @Override public void mul(Tensor a, Tensor b, Tensor out) { broadcast("mul", a, b, out); }

    private void broadcast(String op, Tensor a, Tensor b, Tensor out) {
        requireF32(op, a, b, out);
        int n = count(op, out.size());
        backend.launch(op + "_f32", Grid.elements(n), mem(a), elementOffset(a), mem(b), elementOffset(b),
                count(op, b.size()), mem(out), elementOffset(out), n);
    }

    @Override public void scale(Tensor a, float s, Tensor out) {
        requireF32("scale", a, out);
        int n = count("scale", out.size());
        backend.launch("scale_f32", Grid.elements(n), mem(a), elementOffset(a), s, mem(out), elementOffset(out), n);
    }

    @Override public void silu(Tensor x, Tensor out) {
        requireF32("silu", x, out);
        int n = count("silu", out.size());
        backend.launch("silu_f32", Grid.elements(n), mem(x), elementOffset(x), mem(out), elementOffset(out), n);
    }

    @Override public void swiglu(Tensor gate, Tensor up, Tensor out) {
        requireF32("swiglu", gate, up, out);
        int n = count("swiglu", out.size());
        backend.launch("swiglu_f32", Grid.elements(n), mem(gate), elementOffset(gate), mem(up), elementOffset(up),
                mem(out), elementOffset(out), n);
    }

    @Override public void siluBackward(Tensor x, Tensor dy, Tensor dx) {
        requireF32("silu_backward", x, dy, dx);
        int n = count("silu_backward", dx.size());
        backend.launch("silu_backward_f32", Grid.elements(n), mem(x), elementOffset(x), mem(dy), elementOffset(dy),
                mem(dx), elementOffset(dx), n);
    }

    @Override public void swigluBackward(Tensor gate, Tensor up, Tensor dy, Tensor dGate, Tensor dUp) {
        requireF32("swiglu_backward", gate, up, dy, dGate, dUp);
        int n = count("swiglu_backward", gate.size());
        backend.launch("swiglu_backward_f32", Grid.elements(n), mem(gate), elementOffset(gate), mem(up), elementOffset(up),
                mem(dy), elementOffset(dy), mem(dGate), elementOffset(dGate), mem(dUp), elementOffset(dUp), n);
    }

    @Override public void adamw(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2,
                                float eps, float weightDecay, int step) {
        requireF32("adamw", param, grad, m, v);
        int n = count("adamw", param.size());
        float correction1 = (float) (1 - Math.pow(beta1, step)), correction2 = (float) (1 - Math.pow(beta2, step));
        backend.launch("adamw_f32", Grid.elements(n), mem(param), elementOffset(param), mem(grad), elementOffset(grad),
                mem(m), elementOffset(m), mem(v), elementOffset(v), lr, beta1, beta2, eps, weightDecay,
                correction1, correction2, n);
    }

    @Override public void fill(Tensor t, float value) {
        int n = count("fill", t.size());
        Object fillValue = t.dtype() == DType.I32 ? (Object) (int) value : (Object) value;
        String kernel = switch (t.dtype()) {
            case F32, F16, BF16, I32 -> "fill_" + suffix(t.dtype());
            default -> throw unsupported("fill", t);
        };
        backend.launch(kernel, Grid.elements(n), mem(t), elementOffset(t), fillValue, n);
    }

    // ---- row-wise ----

    @Override public void rmsNorm(Tensor x, float eps, Tensor out) {
        requireF32("rms_norm", x, out);
        int rows = rows("rms_norm", x);
        backend.launch("rms_norm_f32", Grid.rows(rows), mem(x), elementOffset(x), mem(out), elementOffset(out),
                rows, x.shape().cols(), eps);
    }

    @Override public void weightedRmsNorm(Tensor x, Tensor weight, float eps, Tensor out) {
        requireF32("rms_norm", x, weight, out);
        int rows = rows("rms_norm", x);
        backend.launch("rms_norm_mul_f32", Grid.rows(rows), mem(x), elementOffset(x), mem(weight), elementOffset(weight),
                mem(out), elementOffset(out), rows, x.shape().cols(), eps);
    }

    @Override public void rmsNormBackward(Tensor x, Tensor dy, float eps, Tensor dx) {
        requireF32("rms_norm_backward", x, dy, dx);
        int rows = rows("rms_norm_backward", x);
        backend.launch("rms_norm_backward_f32", Grid.rows(rows), mem(x), elementOffset(x), mem(dy), elementOffset(dy),
                mem(dx), elementOffset(dx), rows, x.shape().cols(), eps);
    }

    @Override public void rope(Tensor x, Tensor pos, int nRot, float freqBase, RopeMode mode, boolean inverse, Tensor out) {
        String op = "rope";
        requireF32(op, x, out);
        requireI32(op, pos);
        int rows = x.dim(0), heads = x.dim(1), headDim = x.dim(2);
        long work = (long) rows * heads * (nRot / 2 + headDim - nRot);
        backend.launch("rope_f32", Grid.elements(count(op, work)), mem(x), elementOffset(x), mem(pos), elementOffset(pos),
                mem(out), elementOffset(out), rows, heads, headDim, nRot, freqBase, flag(mode == RopeMode.NEOX), flag(inverse));
    }

    @Override public void softmax(Tensor x, float scale, boolean causal, int offset, Tensor out) {
        requireF32("softmax", x, out);
        int rows = rows("softmax", x);
        int matrixRows = x.rank() >= 2 ? x.dim(-2) : 1;
        backend.launch("softmax_f32", Grid.rows(rows), mem(x), elementOffset(x), mem(out), elementOffset(out),
                rows, x.shape().cols(), matrixRows, scale, flag(causal), offset);
    }

    @Override public void softmaxBackward(Tensor y, Tensor dy, float scale, Tensor dx) {
        requireF32("softmax_backward", y, dy, dx);
        int rows = rows("softmax_backward", y);
        backend.launch("softmax_backward_f32", Grid.rows(rows), mem(y), elementOffset(y), mem(dy), elementOffset(dy),
                mem(dx), elementOffset(dx), rows, y.shape().cols(), scale);
    }

    @Override public void reduce(Tensor x, ReduceOp op, Tensor out) {
        String name = op.name().toLowerCase();
        requireF32(name, x, out);
        int rows = rows(name, x);
        backend.launch("reduce_f32", Grid.rows(rows), mem(x), elementOffset(x), mem(out), elementOffset(out),
                rows, x.shape().cols(), op.ordinal());
    }

    @Override public void sumRows(Tensor x, Tensor out) {
        requireF32("sum_rows", x, out);
        int cols = x.shape().cols();
        backend.launch("sum_rows_f32", Grid.elements(cols), mem(x), elementOffset(x), mem(out), elementOffset(out),
                rows("sum_rows", x), cols);
    }

    @Override public void expandRows(Tensor src, float s, Tensor out) {
        requireF32("expand_rows", src, out);
        int n = count("expand_rows", out.size());
        backend.launch("expand_rows_f32", Grid.elements(n), mem(src), elementOffset(src), s, mem(out), elementOffset(out),
                out.shape().cols(), n);
    }

    // ---- losses ----

    @Override public void crossEntropy(Tensor logits, Tensor targets, Tensor out) {
        String op = "cross_entropy";
        requireF32(op, logits, out);
        requireI32(op, targets);
        int rows = logits.dim(0);
        backend.launch("cross_entropy_f32", Grid.rows(rows), mem(logits), elementOffset(logits), mem(targets),
                elementOffset(targets), mem(out), elementOffset(out), rows, logits.dim(1));
    }

    @Override public void crossEntropyBackward(Tensor logits, Tensor targets, Tensor dLoss, Tensor dLogits) {
        String op = "cross_entropy_backward";
        requireF32(op, logits, dLoss, dLogits);
        requireI32(op, targets);
        int rows = logits.dim(0);
        backend.launch("cross_entropy_backward_f32", Grid.rows(rows), mem(logits), elementOffset(logits), mem(targets),
                elementOffset(targets), mem(dLoss), elementOffset(dLoss), mem(dLogits), elementOffset(dLogits),
                rows, logits.dim(1));
    }

    @Override public void klDiv(Tensor teacher, Tensor student, float temperature, boolean reverse, Tensor out) {
        requireF32("kl_div", teacher, student, out);
        int rows = teacher.dim(0);
        backend.launch("kl_div_f32", Grid.rows(rows), mem(teacher), elementOffset(teacher), mem(student),
                elementOffset(student), mem(out), elementOffset(out), rows, teacher.dim(1), 1f / temperature, flag(reverse));
    }

    @Override public void klDivBackward(Tensor teacher, Tensor student, float temperature, boolean reverse,
                                       Tensor dLoss, Tensor dStudent) {
        requireF32("kl_div_backward", teacher, student, dLoss, dStudent);
        int rows = teacher.dim(0);
        backend.launch("kl_div_backward_f32", Grid.rows(rows), mem(teacher), elementOffset(teacher), mem(student),
                elementOffset(student), mem(dLoss), elementOffset(dLoss), mem(dStudent), elementOffset(dStudent),
                rows, teacher.dim(1), 1f / temperature, flag(reverse));
    }

    // ---- rows, copies ----

    @Override public void getRows(Tensor table, Tensor ids, Tensor out) {
        String op = "get_rows";
        if (!table.dtype().isFloating()) throw unsupported(op, table);
        requireI32(op, ids);
        requireF32(op, out);
        int n = count(op, ids.size()), cols = table.dim(1);
        backend.launch("get_rows_" + suffix(table.dtype()), Grid.elements(count(op, (long) n * cols)), mem(table),
                elementOffset(table), mem(ids), elementOffset(ids), mem(out), elementOffset(out), n, cols);
    }

    @Override public void setRows(Tensor src, Tensor ids, Tensor dst) {
        String op = "set_rows";
        requireF32(op, src);
        requireI32(op, ids);
        if (dst.dtype() != DType.F32 && dst.dtype() != DType.F16) throw unsupported(op, dst);
        int cols = dst.shape().cols();
        backend.launch("set_rows_" + suffix(dst.dtype()), Grid.elements(cols), mem(src), elementOffset(src), mem(ids),
                elementOffset(ids), mem(dst), elementOffset(dst), count(op, ids.size()), cols);
    }

    @Override public void addRows(Tensor src, Tensor ids, Tensor dst) {
        String op = "add_rows";
        requireF32(op, src, dst);
        requireI32(op, ids);
        int cols = dst.shape().cols();
        backend.launch("add_rows_f32", Grid.elements(cols), mem(src), elementOffset(src), mem(ids), elementOffset(ids),
                mem(dst), elementOffset(dst), count(op, ids.size()), cols);
    }

    @Override public void copy(Tensor src, Tensor dst) {
        String op = "copy";
        if (src.dtype() == dst.dtype() && src.isContiguous()) {
            backend.copyBytes(mem(src), src.byteOffset(), mem(dst), dst.byteOffset(), src.byteSize());
            return;
        }
        boolean ints = src.dtype() == DType.I32;
        for (Tensor t : new Tensor[]{src, dst}) {
            if (ints ? t.dtype() != DType.I32 : !t.dtype().isPlainFloat()) throw unsupported(op, t);
        }
        StridedView view = StridedView.of(src.shape().dims(), src.strides());
        int inner = view.rank() - COPY_RANK;
        int[] d = view.dims();
        long[] s = view.strides();
        long innerSize = (long) d[inner] * d[inner + 1] * d[inner + 2] * d[inner + 3];
        int n = count(op, innerSize);
        long srcBase = elementOffset(src), dstBase = elementOffset(dst);
        long outer = view.size() / Math.max(1, innerSize);
        for (long o = 0; o < outer; o++) {
            // the outer index o over dims [0, inner), row-major, as a source element offset
            long at = 0, rest = o;
            for (int i = inner - 1; i >= 0; i--) {
                at += rest % d[i] * s[i];
                rest /= d[i];
            }
            backend.launch("copy_strided", Grid.elements(n), mem(src), srcBase + at, dtypeCode(src.dtype()), mem(dst),
                    dstBase + o * innerSize, dtypeCode(dst.dtype()), n, d[inner + 1], d[inner + 2], d[inner + 3],
                    s[inner], s[inner + 1], s[inner + 2], s[inner + 3]);
        }
    }

    /** A strided view with unit dimensions dropped, mergeable neighbours merged, and padded to at least COPY_RANK. */
    record StridedView(int[] dims, long[] strides) {
        static StridedView of(int[] dims, long[] strides) {
            int[] d = new int[Math.max(COPY_RANK, dims.length)];
            long[] st = new long[d.length];
            int kept = 0;
            for (int i = 0; i < dims.length; i++) {
                if (dims[i] == 1) continue;
                if (kept > 0 && st[kept - 1] == strides[i] * dims[i]) {
                    // the previous dimension steps over whole runs of this one: they form one dimension
                    d[kept - 1] *= dims[i];
                    st[kept - 1] = strides[i];
                } else {
                    d[kept] = dims[i];
                    st[kept++] = strides[i];
                }
            }
            int rank = Math.max(COPY_RANK, kept), pad = rank - kept;
            int[] outDims = new int[rank];
            long[] outStrides = new long[rank];
            Arrays.fill(outDims, 0, pad, 1);
            System.arraycopy(d, 0, outDims, pad, kept);
            System.arraycopy(st, 0, outStrides, pad, kept);
            return new StridedView(outDims, outStrides);
        }

        int rank() { return dims.length; }

        long size() {
            long n = 1;
            for (int x : dims) n *= x;
            return n;
        }
    }

    // ---- helpers ----

    private static cl_mem mem(Tensor t) { return OpenClBackend.storage(t.storage()).mem(); }

    /** Offset of element 0 in units of the kernel argument's element type (bytes for block-quantized tensors). */
    private static long elementOffset(Tensor t) {
        long unit = t.dtype().isQuantized() ? 1 : t.dtype().bytes(1);
        return t.byteOffset() / unit;
    }

    private static int dtypeCode(DType t) { return SharedKernels.dtypeCode(t, "opencl"); }

    private static String suffix(DType t) { return t.name().toLowerCase(); }

    private static int flag(boolean b) { return b ? 1 : 0; }

    private int rows(String op, Tensor x) { return count(op, x.shape().rows()); }

    private int count(String op, long n) {
        if (n > Integer.MAX_VALUE) {
            throw new UnsupportedOperationException(op + ": " + n + " elements exceed the int index range of the kernels on "
                    + backend.name());
        }
        return (int) n;
    }

    private void requireF32(String op, Tensor... ts) {
        for (Tensor t : ts) if (t.dtype() != DType.F32) throw unsupported(op, t);
    }

    private void requireI32(String op, Tensor t) {
        if (t.dtype() != DType.I32) throw unsupported(op, t);
    }

    private UnsupportedOperationException unsupported(String op, Tensor t) {
        return new UnsupportedOperationException(op + ": " + t.dtype() + " operand " + t.shape() + " is not supported by "
                + backend.name());
    }
}
