package dev.pocketlm.tensor;

import java.util.Arrays;

/**
 * The checked front-end of the op set: validates operands (failing at the call with the op, the operands'
 * shapes and dtypes and what was expected), allocates outputs on the operands' backend, calls its
 * {@link Kernels}, and records differentiable ops on the active {@link Tape}.
 */
public final class Ops {
    private Ops() {}

    // ---- matmul ----

    /** y = x w^T for activations x [..., K] and a weight w [N, K] of any floating dtype: the linear layer. */
    public static Tensor linear(Tensor x, Tensor w) {
        return matmul(x, w, false, true);
    }

    /**
     * {@link #linear} of one input by several weights [N_i, K]: the backend may stream them all in one pass
     * ({@link Kernels#linears}; the CPU matvec runs them as one parallel job). Under a {@link Tape} each is recorded
     * as its own linear.
     */
    public static Tensor[] linears(Tensor x, Tensor... ws) {
        Tensor[] outs = new Tensor[ws.length];
        Tensor[] operands = Arrays.copyOf(ws, ws.length + 1);
        operands[ws.length] = x;
        if (Tape.tracks(operands)) {
            for (int i = 0; i < ws.length; i++) outs[i] = linear(x, ws[i]);
            return outs;
        }
        int[][] outDims = new int[ws.length][];
        for (int i = 0; i < ws.length; i++) outDims[i] = matmulShape(x, ws[i], false, true); // all checked before any allocation
        Tensor[] wcs = new Tensor[ws.length];
        for (int i = 0; i < ws.length; i++) {
            outs[i] = x.backend().empty(DType.F32, Shape.of(outDims[i]));
            wcs[i] = contiguousInput(ws[i]);
        }
        KernelProfile.kernels(x.backend()).linears(contiguousInput(x), wcs, outs);
        return outs;
    }

    /** out = op(a) x op(b); see {@link Kernels#matmul} for shapes, dtypes and batching. */
    public static Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB) {
        Tensor out = a.backend().empty(DType.F32, Shape.of(matmulShape(a, b, transA, transB)));
        Tensor ac = contiguousInput(a), bc = contiguousInput(b);
        KernelProfile.kernels(a.backend()).matmul(ac, bc, out, transA, transB);
        if (Tape.tracks(a, b)) {
            int n = transB ? b.dim(-2) : b.dim(-1);
            long ba = batchCount(a), bb = batchCount(b);
            Tape.append(out, (g, grads) -> {
                if (a.requiresGrad) {
                    // d op(a) = dC op(b)^T, shaped [Ba..., M, K]; transposed back when a was.
                    Tensor dOpA = matmul(g, widened(bc), false, !transB);
                    grads.add(a, transA ? permute(dOpA, swapLastTwo(dOpA.rank())) : dOpA);
                }
                if (b.requiresGrad) {
                    Tensor db;
                    if (b.rank() == 2 && !transA) {
                        Tensor a2 = ac.reshape(-1, a.dim(-1)), g2 = g.reshape(-1, n);
                        db = transB ? matmul(g2, a2, true, false) : matmul(a2, g2, true, false);
                    } else {
                        Tensor perMatrix = transB ? matmul(g, ac, true, transA) : matmul(ac, g, !transA, false);
                        db = sumGroups(perMatrix, (int) (ba / bb), b.shape());
                    }
                    grads.add(b, db);
                }
            });
        }
        return out;
    }

    /** Checks matmul's operands; returns the shape of its output. */
    private static int[] matmulShape(Tensor a, Tensor b, boolean transA, boolean transB) {
        String op = "matmul";
        sameBackend(op, a, b);
        requireDType(op, a, DType.F32);
        require(a.rank() >= 2 && b.rank() >= 2, op, "operands need rank >= 2", a, b);
        require(a.size() > 0 && b.size() > 0, op, "operands must not be empty", a, b);
        if (b.dtype() != DType.F32) {
            require(b.dtype().isFloating(), op, "b must be a floating type", a, b);
            if (!transB || b.rank() != 2) throw invalid(op, b.dtype() + " weights are supported only as a 2-D [N, K] matrix with transB", a, b);
        }
        int m = transA ? a.dim(-1) : a.dim(-2);
        int ka = transA ? a.dim(-2) : a.dim(-1);
        int kb = transB ? b.dim(-1) : b.dim(-2);
        int n = transB ? b.dim(-2) : b.dim(-1);
        if (ka != kb) throw invalid(op, "inner dimensions differ (" + ka + " vs " + kb + ")", a, b);
        long ba = batchCount(a), bb = batchCount(b);
        if (bb <= 0 || ba % bb != 0) throw invalid(op, "a's " + ba + " matrices are not a multiple of b's " + bb, a, b);
        int[] outDims = a.shape().dims();
        outDims[outDims.length - 2] = m;
        outDims[outDims.length - 1] = n;
        return outDims;
    }

    /** Non-F32 weights as F32 (all rows through get_rows), for the backward products that need b untransposed. */
    private static Tensor widened(Tensor b) {
        if (b.dtype() == DType.F32) return b;
        int[] all = new int[b.dim(0)];
        for (int i = 0; i < all.length; i++) all[i] = i;
        return getRows(b, b.backend().fromInts(all, all.length));
    }

    private static int[] swapLastTwo(int rank) {
        int[] perm = new int[rank];
        for (int i = 0; i < rank; i++) perm[i] = i;
        perm[rank - 1] = rank - 2;
        perm[rank - 2] = rank - 1;
        return perm;
    }

    private static long batchCount(Tensor t) {
        return t.size() / ((long) t.dim(-1) * t.dim(-2));
    }

    /** Sums consecutive groups of {@code group} matrices of x into one each, shaped like {@code target}. */
    private static Tensor sumGroups(Tensor x, int group, Shape target) {
        if (group == 1) return x.reshape(target.dims());
        long matrices = batchCount(x);
        int cells = x.dim(-1) * x.dim(-2);
        Tensor grouped = x.reshape((int) (matrices / group), group, cells);
        Tensor summed = reduce(permute(grouped, 0, 2, 1), ReduceOp.SUM);
        return summed.reshape(target.dims());
    }

    // ---- elementwise ----

    public static Tensor add(Tensor a, Tensor b) {
        checkBroadcast("add", a, b);
        Tensor out = a.backend().empty(DType.F32, a.shape());
        KernelProfile.kernels(a.backend()).add(contiguousInput(a), contiguousInput(b), out);
        if (Tape.tracks(a, b)) {
            Tape.append(out, (g, grads) -> {
                grads.add(a, g);
                if (b.requiresGrad) grads.add(b, unbroadcast(g, b.shape()));
            });
        }
        return out;
    }

    public static Tensor mul(Tensor a, Tensor b) {
        checkBroadcast("mul", a, b);
        Tensor ac = contiguousInput(a), bc = contiguousInput(b);
        Tensor out = a.backend().empty(DType.F32, a.shape());
        KernelProfile.kernels(a.backend()).mul(ac, bc, out);
        if (Tape.tracks(a, b)) {
            Tape.append(out, (g, grads) -> {
                if (a.requiresGrad) grads.add(a, mul(g, bc));
                if (b.requiresGrad) grads.add(b, unbroadcast(mul(g, ac), b.shape()));
            });
        }
        return out;
    }

    /** Sums a gradient of a's shape down to the broadcast operand's shape. */
    private static Tensor unbroadcast(Tensor g, Shape to) {
        if (g.shape().equals(to)) return g;
        Tensor out = g.backend().empty(DType.F32, to);
        KernelProfile.kernels(g.backend()).sumRows(g.reshape(-1, (int) to.size()), out.reshape((int) to.size()));
        return out;
    }

    public static Tensor scale(Tensor a, float s) {
        checkUnary("scale", a);
        Tensor out = a.backend().empty(DType.F32, a.shape());
        KernelProfile.kernels(a.backend()).scale(contiguousInput(a), s, out);
        if (Tape.tracks(a)) Tape.append(out, (g, grads) -> grads.add(a, scale(g, s)));
        return out;
    }

    public static Tensor silu(Tensor x) {
        checkUnary("silu", x);
        Tensor xc = contiguousInput(x);
        Tensor out = x.backend().empty(DType.F32, x.shape());
        KernelProfile.kernels(x.backend()).silu(xc, out);
        if (Tape.tracks(x)) {
            Tape.append(out, (g, grads) -> {
                Tensor dx = x.backend().empty(DType.F32, x.shape());
                KernelProfile.kernels(x.backend()).siluBackward(xc, g, dx);
                grads.add(x, dx);
            });
        }
        return out;
    }

    /** silu(gate) * up, the Llama FFN activation. */
    public static Tensor swiglu(Tensor gate, Tensor up) {
        String op = "swiglu";
        Backend be = sameBackend(op, gate, up);
        requireDType(op, gate, DType.F32);
        requireDType(op, up, DType.F32);
        require(gate.shape().equals(up.shape()), op, "gate and up must have the same shape", gate, up);
        Tensor gc = contiguousInput(gate), uc = contiguousInput(up);
        Tensor out = be.empty(DType.F32, gate.shape());
        KernelProfile.kernels(be).swiglu(gc, uc, out);
        if (Tape.tracks(gate, up)) {
            Tape.append(out, (g, grads) -> {
                Tensor dg = be.empty(DType.F32, gate.shape()), du = be.empty(DType.F32, up.shape());
                KernelProfile.kernels(be).swigluBackward(gc, uc, g, dg, du);
                grads.add(gate, dg);
                grads.add(up, du);
            });
        }
        return out;
    }

    /** x / sqrt(mean(x^2) + eps) over the last dimension (with its weight: {@link #rmsNorm(Tensor, Tensor, float)}). */
    public static Tensor rmsNorm(Tensor x, float eps) {
        checkUnary("rms_norm", x);
        Tensor xc = contiguousInput(x);
        Tensor out = x.backend().empty(DType.F32, x.shape());
        KernelProfile.kernels(x.backend()).rmsNorm(xc, eps, out);
        if (Tape.tracks(x)) {
            Tape.append(out, (g, grads) -> {
                Tensor dx = x.backend().empty(DType.F32, x.shape());
                KernelProfile.kernels(x.backend()).rmsNormBackward(xc, g, eps, dx);
                grads.add(x, dx);
            });
        }
        return out;
    }

    /**
     * RMSNorm times its weight [C] (C the last dimension of x): {@code mul(rmsNorm(x, eps), weight)} in one pass
     * ({@link Kernels#weightedRmsNorm}). Under a {@link Tape} it is recorded as those two ops.
     */
    public static Tensor rmsNorm(Tensor x, Tensor weight, float eps) {
        String op = "rms_norm";
        checkUnary(op, x);
        sameBackend(op, x, weight);
        requireDType(op, weight, DType.F32);
        if (weight.rank() != 1 || weight.dim(0) != x.dim(-1)) throw invalid(op, "weight must be F32 [" + x.dim(-1) + "]", x, weight);
        if (Tape.tracks(x, weight)) return mul(rmsNorm(x, eps), weight);
        Tensor out = x.backend().empty(DType.F32, x.shape());
        KernelProfile.kernels(x.backend()).weightedRmsNorm(contiguousInput(x), contiguousInput(weight), eps, out);
        return out;
    }

    /** Rotary position embedding of x [R, H, D] at positions (I32 [R]); see {@link Kernels#rope}. */
    public static Tensor rope(Tensor x, Tensor positions, int nRot, float freqBase, RopeMode mode) {
        String op = "rope";
        Backend be = sameBackend(op, x, positions);
        requireDType(op, x, DType.F32);
        requireDType(op, positions, DType.I32);
        require(x.rank() == 3, op, "x must be [rows, heads, headDim]", x, positions);
        if (positions.rank() != 1 || positions.dim(0) != x.dim(0)) throw invalid(op, "positions must be I32 [" + x.dim(0) + "]", x, positions);
        if (nRot <= 0 || nRot % 2 != 0 || nRot > x.dim(2)) {
            throw invalid(op, "nRot " + nRot + " must be even and at most the head size " + x.dim(2), x, positions);
        }
        Tensor pc = contiguousInput(positions);
        Tensor out = be.empty(DType.F32, x.shape());
        KernelProfile.kernels(be).rope(contiguousInput(x), pc, nRot, freqBase, mode, false, out);
        if (Tape.tracks(x)) {
            Tape.append(out, (g, grads) -> {
                Tensor dx = be.empty(DType.F32, x.shape());
                KernelProfile.kernels(be).rope(g, pc, nRot, freqBase, mode, true, dx);
                grads.add(x, dx);
            });
        }
        return out;
    }

    /** softmax(scale * x) over the last dim; with {@code causal}, (r, c) is masked where c > r + offset. */
    public static Tensor softmax(Tensor x, float scale, boolean causal, int offset) {
        checkUnary("softmax", x);
        require(!causal || x.rank() >= 2, "softmax", "a causal mask needs rank >= 2", x);
        Tensor out = x.backend().empty(DType.F32, x.shape());
        KernelProfile.kernels(x.backend()).softmax(contiguousInput(x), scale, causal, offset, out);
        if (Tape.tracks(x)) {
            Tape.append(out, (g, grads) -> {
                Tensor dx = x.backend().empty(DType.F32, x.shape());
                KernelProfile.kernels(x.backend()).softmaxBackward(out, g, scale, dx);
                grads.add(x, dx);
            });
        }
        return out;
    }

    public static Tensor softmax(Tensor x) { return softmax(x, 1f, false, 0); }

    /**
     * Causal attention of q [T, Hq, D] against k, v [S, Hkv, D] (F32 or F16) with queries at positions
     * pos0..pos0+T-1: the fused inference kernel (not differentiable; training composes {@link #matmul} and
     * {@link #softmax}). k and v may be strided views with contiguous rows and equal strides (a head-major cache's
     * permuted view); others are copied contiguous first.
     */
    public static Tensor attention(Tensor q, Tensor k, Tensor v, float scale, int pos0) {
        String op = "attention";
        Backend be = sameBackend(op, q, k, v);
        requireDType(op, q, DType.F32);
        require(k.dtype() == DType.F32 || k.dtype() == DType.F16, op, "k must be F32 or F16", q, k, v);
        require(v.dtype() == k.dtype(), op, "k and v must share a dtype", q, k, v);
        require(q.rank() == 3 && k.rank() == 3 && v.rank() == 3, op, "q, k, v must be [T, heads, headDim]", q, k, v);
        require(k.shape().equals(v.shape()), op, "k and v must have the same shape", q, k, v);
        require(q.dim(2) == k.dim(2), op, "head sizes differ", q, k, v);
        require(k.dim(1) > 0 && q.dim(1) % k.dim(1) == 0, op, "query heads must be a multiple of KV heads", q, k, v);
        // the message built only when it is thrown: this runs once per layer and token
        if (pos0 < 0 || pos0 + q.dim(0) > k.dim(0)) {
            throw invalid(op, "positions " + pos0 + ".." + (pos0 + q.dim(0) - 1) + " need " + (pos0 + q.dim(0)) + " cached rows", q, k, v);
        }
        Tensor out = be.empty(DType.F32, q.shape());
        boolean cacheLayout = k.stride(2) == 1 && Arrays.equals(k.strides(), v.strides());
        KernelProfile.kernels(be).attention(contiguousInput(q), cacheLayout ? k : contiguousInput(k), cacheLayout ? v : contiguousInput(v),
                scale, pos0, out);
        return out;
    }

    // ---- rows ----

    /** Rows of a table (any floating dtype) as F32: the embedding lookup. */
    public static Tensor getRows(Tensor table, Tensor ids) {
        String op = "get_rows";
        Backend be = sameBackend(op, table, ids);
        require(table.dtype().isFloating() && table.rank() == 2, op, "table must be a 2-D floating tensor", table, ids);
        requireDType(op, ids, DType.I32);
        require(ids.rank() == 1, op, "ids must be I32 [N]", table, ids);
        Tensor idc = contiguousInput(ids);
        Tensor out = be.empty(DType.F32, Shape.of(ids.dim(0), table.dim(1)));
        KernelProfile.kernels(be).getRows(contiguousInput(table), idc, out);
        if (Tape.tracks(table)) {
            Tape.append(out, (g, grads) -> {
                Tensor dt = be.zeros(DType.F32, table.shape().dims());
                KernelProfile.kernels(be).addRows(g, idc, dt);
                grads.add(table, dt);
            });
        }
        return out;
    }

    /** dst[ids[i]] = src[i], in place: the KV-cache write. dst is F32 or F16. */
    public static void setRows(Tensor src, Tensor ids, Tensor dst) {
        String op = "set_rows";
        sameBackend(op, src, ids, dst);
        requireDType(op, src, DType.F32);
        requireDType(op, ids, DType.I32);
        require(dst.dtype() == DType.F32 || dst.dtype() == DType.F16, op, "dst must be F32 or F16", src, ids, dst);
        require(dst.isContiguous(), op, "dst must be contiguous", src, ids, dst);
        require(ids.rank() == 1 && src.rank() >= 2 && src.shape().rows() == ids.dim(0), op, "src must hold one row per id", src, ids, dst);
        require(src.dim(-1) == dst.dim(-1) && src.size() / src.dim(-1) * dst.dim(-1) == src.size(), op, "row lengths differ", src, ids, dst);
        Tensor s2 = contiguousInput(src).reshape(-1, src.dim(-1));
        dst.checkOpen(op);
        Tensor d2 = dst.reshape(-1, dst.dim(-1));
        int[] idv = ids.toInts();
        for (int id : idv) {
            if (id < 0 || id >= d2.dim(0)) throw new IndexOutOfBoundsException(op + ": row id " + id + " outside dst's " + d2.dim(0) + " rows");
        }
        KernelProfile.kernels(dst.backend()).setRows(s2, contiguousInput(ids), d2);
    }

    // ---- copies and views ----

    /** A contiguous copy of x (any strided view) in its dtype; differentiable. */
    public static Tensor contiguous(Tensor x) {
        x.checkOpen("contiguous");
        Tensor out = x.backend().empty(x.dtype(), x.shape());
        KernelProfile.kernels(x.backend()).copy(x, out);
        if (Tape.tracks(x)) Tape.append(out, (g, grads) -> grads.add(x, g));
        return out;
    }

    /** A contiguous copy of x converted to {@code dtype} (F32, F16, BF16); not differentiable. */
    public static Tensor cast(Tensor x, DType dtype) {
        String op = "cast";
        x.checkOpen(op);
        if (!convertible(x.dtype(), dtype)) throw invalid(op, "cannot convert " + x.dtype() + " to " + dtype + " (supported: F32, F16, BF16 among themselves)", x);
        Tensor out = x.backend().empty(dtype, x.shape());
        KernelProfile.kernels(x.backend()).copy(x, out);
        return out;
    }

    /**
     * Writes src into the existing tensor dst (a view such as a KV-cache slice, contiguous or strided), converting
     * between F32, F16 and BF16; not differentiable.
     */
    public static void assign(Tensor dst, Tensor src) {
        String op = "assign";
        sameBackend(op, dst, src);
        require(dst.shape().equals(src.shape()), op, "dst and src must have the same shape", dst, src);
        if (!convertible(src.dtype(), dst.dtype())) {
            throw invalid(op, "cannot convert " + src.dtype() + " to " + dst.dtype() + " (supported: F32, F16, BF16 among themselves)", dst, src);
        }
        KernelProfile.kernels(dst.backend()).copyToView(src, dst);
    }

    private static boolean convertible(DType from, DType to) {
        return switch (to) {
            case F32, F16, BF16 -> from.isPlainFloat();
            case I32 -> from == DType.I32;
            default -> false;
        };
    }

    /** A differentiable reshape (a view of a contiguous tensor). */
    public static Tensor reshape(Tensor x, int... dims) {
        Tensor out = contiguousInput(x).reshape(dims);
        if (Tape.tracks(x)) Tape.append(out, (g, grads) -> grads.add(x, g.reshape(x.shape().dims())));
        return out;
    }

    /** A contiguous permutation of x's dimensions; differentiable. */
    public static Tensor permute(Tensor x, int... perm) {
        Tensor out = contiguousNoTape(x.permute(perm));
        if (Tape.tracks(x)) {
            int[] inverse = new int[perm.length];
            for (int i = 0; i < perm.length; i++) inverse[perm[i]] = i;
            Tape.append(out, (g, grads) -> grads.add(x, contiguousNoTape(g.permute(inverse))));
        }
        return out;
    }

    private static Tensor contiguousNoTape(Tensor x) {
        Tensor out = x.backend().empty(x.dtype(), x.shape());
        KernelProfile.kernels(x.backend()).copy(x, out);
        return out;
    }

    // ---- reductions and losses ----

    /** Reduces the last dimension: [..., C] to [...] (a rank-1 input gives [1]). */
    public static Tensor reduce(Tensor x, ReduceOp op) {
        checkUnary(op.name().toLowerCase(), x);
        int[] d = x.shape().dims();
        Shape outShape = d.length == 1 ? Shape.of(1) : Shape.of(Arrays.copyOf(d, d.length - 1));
        Tensor xc = contiguousInput(x);
        Tensor out = x.backend().empty(DType.F32, outShape);
        KernelProfile.kernels(x.backend()).reduce(xc.reshape(-1, x.dim(-1)), op, out.reshape((int) outShape.size()));
        if (Tape.tracks(x)) {
            require(op != ReduceOp.MAX, "max", "max is not differentiable here", x);
            float s = op == ReduceOp.MEAN ? 1f / x.dim(-1) : 1f;
            Tape.append(out, (g, grads) -> {
                Tensor dx = x.backend().empty(DType.F32, x.shape());
                KernelProfile.kernels(x.backend()).expandRows(g.reshape((int) g.size()), s, dx.reshape(-1, x.dim(-1)));
                grads.add(x, dx);
            });
        }
        return out;
    }

    /** The mean of every element, as a one-element tensor. */
    public static Tensor mean(Tensor x) { return reduce(reshape(x, 1, -1), ReduceOp.MEAN); }

    /** The sum of every element, as a one-element tensor. */
    public static Tensor sum(Tensor x) { return reduce(reshape(x, 1, -1), ReduceOp.SUM); }

    /** Per-row cross-entropy of logits [N, V] against targets I32 [N]: [N]. */
    public static Tensor crossEntropy(Tensor logits, Tensor targets) {
        String op = "cross_entropy";
        Backend be = sameBackend(op, logits, targets);
        requireDType(op, logits, DType.F32);
        requireDType(op, targets, DType.I32);
        require(logits.rank() == 2 && targets.rank() == 1 && targets.dim(0) == logits.dim(0), op, "logits must be [N, V] and targets I32 [N]", logits, targets);
        Tensor lc = contiguousInput(logits), tc = contiguousInput(targets);
        int[] tv = tc.toInts();
        for (int t : tv) {
            if (t < 0 || t >= logits.dim(1)) throw new IndexOutOfBoundsException(op + ": target " + t + " outside the vocabulary of " + logits.dim(1));
        }
        Tensor out = be.empty(DType.F32, Shape.of(logits.dim(0)));
        KernelProfile.kernels(be).crossEntropy(lc, tc, out);
        if (Tape.tracks(logits)) {
            Tape.append(out, (g, grads) -> {
                Tensor dl = be.empty(DType.F32, logits.shape());
                KernelProfile.kernels(be).crossEntropyBackward(lc, tc, g, dl);
                grads.add(logits, dl);
            });
        }
        return out;
    }

    /** Per-row KL divergence at a temperature (see {@link Kernels#klDiv}); differentiable in the student. */
    public static Tensor klDiv(Tensor teacher, Tensor student, float temperature, boolean reverse) {
        String op = "kl_div";
        Backend be = sameBackend(op, teacher, student);
        requireDType(op, teacher, DType.F32);
        requireDType(op, student, DType.F32);
        require(teacher.rank() == 2 && teacher.shape().equals(student.shape()), op, "teacher and student logits must both be [N, V]", teacher, student);
        if (!(temperature > 0)) throw invalid(op, "temperature must be positive, got " + temperature, teacher, student);
        Tensor tc = contiguousInput(teacher), sc = contiguousInput(student);
        Tensor out = be.empty(DType.F32, Shape.of(teacher.dim(0)));
        KernelProfile.kernels(be).klDiv(tc, sc, temperature, reverse, out);
        if (Tape.tracks(student)) {
            Tape.append(out, (g, grads) -> {
                Tensor ds = be.empty(DType.F32, student.shape());
                KernelProfile.kernels(be).klDivBackward(tc, sc, temperature, reverse, g, ds);
                grads.add(student, ds);
            });
        }
        return out;
    }

    /** In-place AdamW step on a parameter with its gradient and moment buffers (all F32, same shape). */
    public static void adamw(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2,
                             float eps, float weightDecay, int step) {
        String op = "adamw";
        sameBackend(op, param, grad, m, v);
        for (Tensor t : new Tensor[]{param, grad, m, v}) {
            requireDType(op, t, DType.F32);
            require(t.isContiguous() && t.shape().equals(param.shape()), op, "param, grad, m and v must be contiguous with one shape", param, grad, m, v);
        }
        if (step < 1) throw invalid(op, "step is 1-based, got " + step, param);
        KernelProfile.kernels(param.backend()).adamw(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step);
    }

    // ---- checks ----

    private static Tensor contiguousInput(Tensor t) {
        return t.isContiguous() ? t : contiguousNoTape(t);
    }

    private static void checkUnary(String op, Tensor x) {
        x.checkOpen(op);
        requireDType(op, x, DType.F32);
    }

    private static void checkBroadcast(String op, Tensor a, Tensor b) {
        sameBackend(op, a, b);
        requireDType(op, a, DType.F32);
        requireDType(op, b, DType.F32);
        int[] da = a.shape().dims(), db = b.shape().dims();
        boolean suffix = db.length <= da.length;
        for (int i = 1; suffix && i <= db.length; i++) suffix = db[db.length - i] == da[da.length - i];
        boolean scalar = b.size() == 1;
        require(suffix || scalar, op, "b's shape must equal a's or a suffix of it (broadcast over leading dimensions)", a, b);
    }

    static Backend sameBackend(String op, Tensor... ts) {
        Backend be = ts[0].backend();
        for (Tensor t : ts) {
            t.checkOpen(op);
            if (t.backend() != be) {
                throw new IllegalArgumentException(op + ": operands live on different backends: " + ts[0].describe() + " and " + t.describe());
            }
        }
        return be;
    }

    private static void requireDType(String op, Tensor t, DType expected) {
        if (t.dtype() != expected) {
            throw new IllegalArgumentException(op + ": expected " + expected + ", got " + t.describe());
        }
    }

    /** Fails naming the op, what is wrong and the operands. A message built from values is built by the caller once the test fails. */
    private static void require(boolean ok, String op, String what, Tensor... operands) {
        if (!ok) throw invalid(op, what, operands);
    }

    private static IllegalArgumentException invalid(String op, String what, Tensor... operands) {
        StringBuilder sb = new StringBuilder(op).append(": ").append(what).append(" (operands:");
        for (Tensor t : operands) sb.append(' ').append(t.shape()).append(' ').append(t.dtype()).append(';');
        sb.setLength(sb.length() - 1);
        return new IllegalArgumentException(sb.append(")").toString());
    }
}
