package dev.pocketlm.cuda;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Kernels;
import dev.pocketlm.tensor.ReduceOp;
import dev.pocketlm.tensor.RopeMode;
import dev.pocketlm.tensor.Tensor;
import dev.pocketlm.tensor.spi.SharedKernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@link Kernels} on CUDA: launches the shared kernels (kernels/KERNELS.md) and {@link Gemm}. */
final class CudaKernels implements Kernels {
    /** ELEM and ROW geometries use work-groups of this many threads. */
    private static final int GROUP = 256;
    /** matvec and attention kernels run 128 threads per group. */
    private static final int NARROW_GROUP = 128;
    /** Up to this many activation rows a weight matmul is a fused dequantize-matvec (KERNELS.md; matvec_dp4a.cu serves up to 8); beyond, dequantize + GEMM. */
    static final int MATVEC_MAX_ROWS = 4;
    private static final int MAX_GROUPS_Y = 65535;
    private static final int ATTENTION_MAX_HEAD_DIM = 256;

    private final Backend backend;
    /** Makes the device's context current on the calling thread (cuBLAS and launches need it). */
    private final Runnable bindContext;
    private final KernelLaunch.Launcher launcher;
    private final Gemm gemm;
    private final QuantMatvec quantMatvec;
    /** Device ints 0, 1, 2, ...: the ids that make get_rows dequantize a whole weight. Grown on demand. */
    private CudaStorage iota;

    CudaKernels(Backend backend, Runnable bindContext, KernelLaunch.Launcher launcher, Gemm gemm, QuantMatvec quantMatvec) {
        this.backend = backend;
        this.quantMatvec = quantMatvec;
        this.bindContext = bindContext;
        this.launcher = launcher;
        this.gemm = gemm;
    }

    static int dtypeCode(DType t) { return SharedKernels.dtypeCode(t, "cuda"); }

    // ---- launch geometry ----

    private KernelLaunch launch(String kernel, int groupsX, int groupsY, int localX, int localY) {
        bindContext.run();
        return new KernelLaunch(launcher, kernel, Math.max(1, groupsX), Math.clamp(groupsY, 1, MAX_GROUPS_Y), localX, localY);
    }

    /** ELEM(n): one thread per element. */
    private KernelLaunch elements(String kernel, long n) {
        return launch(kernel, Math.toIntExact((n + GROUP - 1) / GROUP), 1, GROUP, 1);
    }

    /** ROW(rows): one group per row. */
    private KernelLaunch rows(String kernel, long rows) { return launch(kernel, Math.toIntExact(rows), 1, GROUP, 1); }

    // ---- matmul and attention ----

    @Override public void matmul(Tensor a, Tensor b, Tensor out, boolean transA, boolean transB) {
        requireF32("matmul", a, out);
        boolean weight = b.rank() == 2 && transB; // [N, K] rows, as stored in GGUF
        if (b.dtype() != DType.F32 && !(weight && b.dtype().isFloating())) throw unsupported("matmul", b);
        int m = transA ? a.dim(-1) : a.dim(-2), k = transA ? a.dim(-2) : a.dim(-1), n = transB ? b.dim(-2) : b.dim(-1);
        int batches = Math.toIntExact(a.size() / ((long) m * k));
        int perB = Math.toIntExact(batches / (b.size() / ((long) k * n)));
        if (b.rank() == 2 && !transA) { // all rows of a meet the one b
            m = Math.toIntExact((long) m * batches);
            batches = 1;
            perB = 1;
        }
        boolean matvec = weight && batches == 1 && !transA && m <= MATVEC_MAX_ROWS;
        boolean quantized = b.dtype() == DType.Q8_0 || b.dtype() == DType.Q4_0;
        if (matvec && quantized && quantMatvec == QuantMatvec.DP4A) {
            matvecDp4a(a, b, out, m, n, k);
        } else if (matvec) {
            launch("matvec_" + suffix(b.dtype()), n, m, NARROW_GROUP, 1)
                    .buffer(b).buffer(a).buffer(out).i32(m).i32(n).i32(k).run();
        } else if (b.dtype() == DType.F32) {
            bindContext.run();
            gemm.sgemm(transA, transB, m, n, k, CudaStorage.address(a), CudaStorage.address(b), CudaStorage.address(out), batches, perB);
        } else {
            CudaStorage dense = dequantize(b);
            try {
                bindContext.run();
                gemm.sgemm(transA, true, m, n, k, CudaStorage.address(a), dense.at(0), CudaStorage.address(out), batches, perB);
            } finally {
                dense.free(); // back to the pool; the stream orders its reuse after this GEMM
            }
        }
    }

    /** matvec_dp4a.cu: quantize the m activation rows to int8 blocks, then one warp per weight row. */
    private void matvecDp4a(Tensor a, Tensor w, Tensor out, int m, int n, int k) {
        int blocks = m * (k / w.dtype().blockSize());
        long scalesAt = (m * (long) k + 255) / 256 * 256; // xq int8 [m, k], then xd and xs [blocks] F32
        CudaStorage scratch = (CudaStorage) backend.allocateStorage(scalesAt + 8L * blocks);
        try {
            DeviceAddress xq = scratch.at(0), xd = scratch.at(scalesAt), xs = scratch.at(scalesAt + 4L * blocks);
            int warpsPerGroup = GROUP / 32;
            launch("quantize_q8_blocks", (blocks + warpsPerGroup - 1) / warpsPerGroup, 1, GROUP, 1)
                    .buffer(a).buffer(xq).buffer(xd).buffer(xs).i32(blocks).run();
            int rowsPerGroup = NARROW_GROUP / 32;
            KernelLaunch l = launch("matvec_" + suffix(w.dtype()) + "_dp4a", (n + rowsPerGroup - 1) / rowsPerGroup, 1, NARROW_GROUP, 1)
                    .buffer(w).buffer(xq).buffer(xd);
            if (w.dtype() == DType.Q4_0) l.buffer(xs);
            l.buffer(out).i32(m).i32(n).i32(k).run();
        } finally {
            scratch.free(); // back to the pool; the stream orders its reuse after these kernels
        }
    }

    /** A weight [N, K] of any floating dtype as F32, through get_rows with ids 0..N-1. */
    private CudaStorage dequantize(Tensor w) {
        int rows = w.dim(0), cols = w.dim(1);
        CudaStorage dense = (CudaStorage) backend.allocateStorage(4L * rows * cols);
        elements("get_rows_" + suffix(w.dtype()), (long) rows * cols)
                .buffer(w).buffer(iota(rows)).buffer(dense.at(0)).i32(rows).i32(cols).run();
        return dense;
    }

    private synchronized DeviceAddress iota(int count) {
        if (iota == null || iota.byteSize() < 4L * count) {
            if (iota != null) iota.free();
            int size = Math.max(count, 1024);
            iota = (CudaStorage) backend.allocateStorage(4L * size);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment ids = arena.allocate(ValueLayout.JAVA_INT, size);
                for (int i = 0; i < size; i++) ids.setAtIndex(ValueLayout.JAVA_INT, i, i);
                backend.write(iota, 0, ids);
            }
        }
        return iota.at(0);
    }

    @Override public void attention(Tensor q, Tensor k, Tensor v, float scale, int pos0, Tensor out) {
        requireF32("attention", q, out);
        if ((k.dtype() != DType.F32 && k.dtype() != DType.F16) || v.dtype() != k.dtype()) {
            throw new UnsupportedOperationException("attention: cuda needs k and v both F32 or both F16, got "
                    + k.dtype() + " and " + v.dtype());
        }
        int queries = q.dim(0), heads = q.dim(1), headDim = q.dim(2);
        if (headDim > ATTENTION_MAX_HEAD_DIM) {
            throw new UnsupportedOperationException("attention: cuda supports head dimensions up to " + ATTENTION_MAX_HEAD_DIM + ", got " + headDim);
        }
        // grid y is one query each and at most 65535 long: longer prompts go in slices
        long queryBytes = 4L * heads * headDim;
        for (int t0 = 0; t0 < queries; t0 += MAX_GROUPS_Y) {
            int count = Math.min(MAX_GROUPS_Y, queries - t0);
            launch("attention_" + suffix(k.dtype()), heads, count, NARROW_GROUP, 1)
                    .buffer(CudaStorage.address(q).plus(t0 * queryBytes)).buffer(k).buffer(v)
                    .buffer(CudaStorage.address(out).plus(t0 * queryBytes))
                    .i32(count).i32(heads).i32(k.dim(1)).i32(headDim).i64(k.stride(0)).i64(k.stride(1)).i32(pos0 + t0)
                    .f32(scale).run();
        }
    }

    // ---- elementwise ----

    @Override public void add(Tensor a, Tensor b, Tensor out) { broadcast("add_f32", a, b, out); }

    @Override public void mul(Tensor a, Tensor b, Tensor out) { broadcast("mul_f32", a, b, out); }

    private void broadcast(String kernel, Tensor a, Tensor b, Tensor out) {
        requireF32(kernel, a, b, out);
        elements(kernel, out.size()).buffer(a).buffer(b).i32(Math.toIntExact(b.size())).buffer(out).i32(count(out)).run();
    }

    @Override public void scale(Tensor a, float s, Tensor out) {
        requireF32("scale", a, out);
        elements("scale_f32", out.size()).buffer(a).f32(s).buffer(out).i32(count(out)).run();
    }

    @Override public void silu(Tensor x, Tensor out) {
        requireF32("silu", x, out);
        elements("silu_f32", out.size()).buffer(x).buffer(out).i32(count(out)).run();
    }

    @Override public void swiglu(Tensor gate, Tensor up, Tensor out) {
        requireF32("swiglu", gate, up, out);
        elements("swiglu_f32", out.size()).buffer(gate).buffer(up).buffer(out).i32(count(out)).run();
    }

    @Override public void siluBackward(Tensor x, Tensor dy, Tensor dx) {
        requireF32("siluBackward", x, dy, dx);
        elements("silu_backward_f32", dx.size()).buffer(x).buffer(dy).buffer(dx).i32(count(dx)).run();
    }

    @Override public void swigluBackward(Tensor gate, Tensor up, Tensor dy, Tensor dGate, Tensor dUp) {
        requireF32("swigluBackward", gate, up, dy, dGate, dUp);
        elements("swiglu_backward_f32", dy.size()).buffer(gate).buffer(up).buffer(dy).buffer(dGate).buffer(dUp)
                .i32(count(dy)).run();
    }

    @Override public void adamw(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                                float weightDecay, int step) {
        requireF32("adamw", param, grad, m, v);
        float correction1 = (float) (1 - Math.pow(beta1, step)), correction2 = (float) (1 - Math.pow(beta2, step));
        elements("adamw_f32", param.size()).buffer(param).buffer(grad).buffer(m).buffer(v)
                .f32(lr).f32(beta1).f32(beta2).f32(eps).f32(weightDecay).f32(correction1).f32(correction2)
                .i32(count(param)).run();
    }

    @Override public void fill(Tensor t, float value) {
        KernelLaunch l = switch (t.dtype()) {
            case F32, F16, BF16 -> elements("fill_" + suffix(t.dtype()), t.size()).buffer(t).f32(value);
            case I32 -> elements("fill_i32", t.size()).buffer(t).i32((int) value);
            default -> throw unsupported("fill", t);
        };
        l.i32(count(t)).run();
    }

    // ---- row-wise ----

    @Override public void rmsNorm(Tensor x, float eps, Tensor out) {
        requireF32("rmsNorm", x, out);
        rows("rms_norm_f32", x.shape().rows()).buffer(x).buffer(out).i32(rowCount(x)).i32(x.shape().cols()).f32(eps).run();
    }

    @Override public void weightedRmsNorm(Tensor x, Tensor weight, float eps, Tensor out) {
        requireF32("weightedRmsNorm", x, weight, out);
        rows("rms_norm_mul_f32", x.shape().rows()).buffer(x).buffer(weight).buffer(out).i32(rowCount(x)).i32(x.shape().cols())
                .f32(eps).run();
    }

    @Override public void rmsNormBackward(Tensor x, Tensor dy, float eps, Tensor dx) {
        requireF32("rmsNormBackward", x, dy, dx);
        rows("rms_norm_backward_f32", x.shape().rows()).buffer(x).buffer(dy).buffer(dx)
                .i32(rowCount(x)).i32(x.shape().cols()).f32(eps).run();
    }

    @Override public void rope(Tensor x, Tensor pos, int nRot, float freqBase, RopeMode mode, boolean inverse, Tensor out) {
        requireF32("rope", x, out);
        requireDType("rope", DType.I32, pos);
        int rows = x.dim(0), heads = x.dim(1), headDim = x.dim(2);
        long threads = (long) rows * heads * (nRot / 2 + headDim - nRot);
        elements("rope_f32", threads).buffer(x).buffer(pos).buffer(out)
                .i32(rows).i32(heads).i32(headDim).i32(nRot).f32(freqBase).i32(mode == RopeMode.NEOX).i32(inverse).run();
    }

    @Override public void softmax(Tensor x, float scale, boolean causal, int offset, Tensor out) {
        requireF32("softmax", x, out);
        int matrixRows = x.rank() >= 2 ? x.dim(-2) : 1;
        rows("softmax_f32", x.shape().rows()).buffer(x).buffer(out)
                .i32(rowCount(x)).i32(x.shape().cols()).i32(matrixRows).f32(scale).i32(causal).i32(offset).run();
    }

    @Override public void softmaxBackward(Tensor y, Tensor dy, float scale, Tensor dx) {
        requireF32("softmaxBackward", y, dy, dx);
        rows("softmax_backward_f32", y.shape().rows()).buffer(y).buffer(dy).buffer(dx)
                .i32(rowCount(y)).i32(y.shape().cols()).f32(scale).run();
    }

    @Override public void reduce(Tensor x, ReduceOp op, Tensor out) {
        requireF32("reduce", x, out);
        int code = switch (op) {
            case SUM -> 0;
            case MEAN -> 1;
            case MAX -> 2;
        };
        rows("reduce_f32", x.shape().rows()).buffer(x).buffer(out).i32(rowCount(x)).i32(x.shape().cols()).i32(code).run();
    }

    @Override public void sumRows(Tensor x, Tensor out) {
        requireF32("sumRows", x, out);
        int cols = x.shape().cols();
        elements("sum_rows_f32", cols).buffer(x).buffer(out).i32(rowCount(x)).i32(cols).run();
    }

    @Override public void expandRows(Tensor src, float s, Tensor out) {
        requireF32("expandRows", src, out);
        elements("expand_rows_f32", out.size()).buffer(src).f32(s).buffer(out).i32(out.shape().cols()).i32(count(out)).run();
    }

    @Override public void crossEntropy(Tensor logits, Tensor targets, Tensor out) {
        requireF32("crossEntropy", logits, out);
        requireDType("crossEntropy", DType.I32, targets);
        rows("cross_entropy_f32", logits.shape().rows()).buffer(logits).buffer(targets).buffer(out)
                .i32(rowCount(logits)).i32(logits.shape().cols()).run();
    }

    @Override public void crossEntropyBackward(Tensor logits, Tensor targets, Tensor dLoss, Tensor dLogits) {
        requireF32("crossEntropyBackward", logits, dLoss, dLogits);
        requireDType("crossEntropyBackward", DType.I32, targets);
        rows("cross_entropy_backward_f32", logits.shape().rows()).buffer(logits).buffer(targets).buffer(dLoss).buffer(dLogits)
                .i32(rowCount(logits)).i32(logits.shape().cols()).run();
    }

    @Override public void klDiv(Tensor teacher, Tensor student, float temperature, boolean reverse, Tensor out) {
        requireF32("klDiv", teacher, student, out);
        rows("kl_div_f32", student.shape().rows()).buffer(teacher).buffer(student).buffer(out)
                .i32(rowCount(student)).i32(student.shape().cols()).f32(1f / temperature).i32(reverse).run();
    }

    @Override public void klDivBackward(Tensor teacher, Tensor student, float temperature, boolean reverse, Tensor dLoss,
                                        Tensor dStudent) {
        requireF32("klDivBackward", teacher, student, dLoss, dStudent);
        rows("kl_div_backward_f32", student.shape().rows()).buffer(teacher).buffer(student).buffer(dLoss).buffer(dStudent)
                .i32(rowCount(student)).i32(student.shape().cols()).f32(1f / temperature).i32(reverse).run();
    }

    // ---- rows and copies ----

    @Override public void getRows(Tensor table, Tensor ids, Tensor out) {
        requireF32("getRows", out);
        requireDType("getRows", DType.I32, ids);
        if (!table.dtype().isFloating()) throw unsupported("getRows", table);
        int n = count(ids), cols = table.shape().cols();
        elements("get_rows_" + suffix(table.dtype()), (long) n * cols).buffer(table).buffer(ids).buffer(out).i32(n).i32(cols).run();
    }

    @Override public void setRows(Tensor src, Tensor ids, Tensor dst) {
        requireF32("setRows", src);
        requireDType("setRows", DType.I32, ids);
        if (dst.dtype() != DType.F32 && dst.dtype() != DType.F16) throw unsupported("setRows", dst);
        int n = count(ids), cols = src.shape().cols();
        elements("set_rows_" + suffix(dst.dtype()), (long) n * cols).buffer(src).buffer(ids).buffer(dst).i32(n).i32(cols).run();
    }

    @Override public void addRows(Tensor src, Tensor ids, Tensor dst) {
        requireF32("addRows", src, dst);
        requireDType("addRows", DType.I32, ids);
        int cols = src.shape().cols();
        elements("add_rows_f32", cols).buffer(src).buffer(ids).buffer(dst).i32(count(ids)).i32(cols).run();
    }

    @Override public void copy(Tensor src, Tensor dst) {
        boolean ints = src.dtype() == DType.I32;
        for (Tensor t : new Tensor[]{src, dst}) {
            boolean ok = ints ? t.dtype() == DType.I32 : t.dtype().isPlainFloat();
            if (!ok) throw unsupported("copy", t);
        }
        List<long[]> dims = mergedDims(src); // {size, stride} from outermost to innermost
        while (dims.size() < 4) dims.addFirst(new long[]{1, 0});
        List<long[]> outer = dims.subList(0, dims.size() - 4), inner = dims.subList(dims.size() - 4, dims.size());
        long innerCount = inner.get(0)[0] * inner.get(1)[0] * inner.get(2)[0] * inner.get(3)[0];
        long outerCount = outer.stream().mapToLong(d -> d[0]).reduce(1, Math::multiplyExact);
        // ranks above 4 after merging: one launch per index of the outer dimensions
        for (long o = 0; o < outerCount; o++) {
            long srcElement = 0, rest = o;
            for (int d = outer.size() - 1; d >= 0; d--) {
                srcElement += rest % outer.get(d)[0] * outer.get(d)[1];
                rest /= outer.get(d)[0];
            }
            elements("copy_strided", innerCount)
                    .buffer(CudaStorage.address(src).plus(src.dtype().bytes(srcElement))).i32(dtypeCode(src.dtype()))
                    .buffer(CudaStorage.address(dst).plus(dst.dtype().bytes(o * innerCount))).i32(dtypeCode(dst.dtype()))
                    .i32(Math.toIntExact(innerCount)).i32((int) inner.get(1)[0]).i32((int) inner.get(2)[0]).i32((int) inner.get(3)[0])
                    .i64(inner.get(0)[1]).i64(inner.get(1)[1]).i64(inner.get(2)[1]).i64(inner.get(3)[1]).run();
        }
    }

    /** A tensor's {size, stride} pairs without size-1 dimensions, adjacent dimensions merged where memory allows. */
    static List<long[]> mergedDims(Tensor t) {
        List<long[]> dims = new ArrayList<>();
        for (int d = 0; d < t.rank(); d++) {
            if (t.dim(d) == 1) continue;
            long[] cur = {t.dim(d), t.stride(d)};
            long[] prev = dims.isEmpty() ? null : dims.getLast();
            if (prev != null && prev[1] == cur[1] * cur[0]) {
                prev[0] *= cur[0];
                prev[1] = cur[1];
            } else {
                dims.add(cur);
            }
        }
        return dims;
    }

    // ---- checks ----

    private static String suffix(DType t) { return t.name().toLowerCase(Locale.ROOT); }

    private static int count(Tensor t) { return Math.toIntExact(t.size()); }

    private static int rowCount(Tensor t) { return Math.toIntExact(t.shape().rows()); }

    private static void requireF32(String op, Tensor... ts) { requireDType(op, DType.F32, ts); }

    private static void requireDType(String op, DType want, Tensor... ts) {
        for (Tensor t : ts) {
            if (t.dtype() != want) throw new UnsupportedOperationException(op + ": cuda needs " + want + ", got " + t.describe());
        }
    }

    private static UnsupportedOperationException unsupported(String op, Tensor t) {
        return new UnsupportedOperationException(op + ": cuda has no kernel for " + t.describe());
    }
}
