package dev.pocketlm.cpu;

import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Kernels;
import dev.pocketlm.tensor.ReduceOp;
import dev.pocketlm.tensor.RopeMode;
import dev.pocketlm.tensor.Tensor;
import dev.pocketlm.tensor.codec.RowCodec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.IntStream;

/**
 * The scalar reference implementation of {@link Kernels}: the oracle every other backend is tested against.
 * Plain loops over each tensor's segment. Sums, exponentials and logarithms are computed in double and rounded
 * to float once per output element, so results are as close to exact as F32 storage allows. Weights of other
 * dtypes are widened with their reference codec ({@link DType#codec()}). Row-wise kernels read a whole row before
 * writing it, so an output may alias its first input. Only matmul and attention run output rows in parallel.
 */
public final class ReferenceKernels implements Kernels {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    /** Never started: asks whether a segment may be touched by threads other than its owner. */
    private static final Thread OTHER_THREAD = Thread.ofVirtual().unstarted(() -> {});

    // ---- matmul and attention ----

    @Override public void matmul(Tensor a, Tensor b, Tensor out, boolean transA, boolean transB) {
        String op = "matmul";
        requireDType(op, DType.F32, a, out);
        boolean weightForm = b.dtype().isFloating() && transB && b.rank() == 2; // [N, K] rows, as stored in GGUF
        if (b.dtype() != DType.F32 && !weightForm) throw unsupported(op, b);
        int m = transA ? a.dim(-1) : a.dim(-2);
        int k = transA ? a.dim(-2) : a.dim(-1);
        int n = transB ? b.dim(-2) : b.dim(-1);
        long matricesA = a.size() / ((long) m * k), matricesB = b.size() / ((long) k * n);
        // matrix i of a meets matrix i / perB of b; a rank-2 b is thus shared by every row of a
        long perB = matricesA / matricesB;
        MemorySegment as = segment(a), bs = segment(b), os = segment(out);
        RowCodec bCodec = b.dtype().codec();
        rows(Math.toIntExact(matricesA * m), a, b, out).forEach(row -> {
            long i = row / m;
            int r = row % m;
            long aMatrix = i * m * k, bMatrix = i / perB * k * n;
            float[] aRow = new float[k]; // row r of op(a)
            for (int c = 0; c < k; c++) {
                aRow[c] = as.getAtIndex(FLOAT, aMatrix + (transA ? (long) c * m + r : (long) r * k + c));
            }
            float[] bColumn = new float[k]; // column j of op(b), widened to float
            for (int j = 0; j < n; j++) {
                if (transB) {
                    bCodec.decode(bs, b.dtype().bytes(bMatrix + (long) j * k), bColumn, 0, k);
                } else {
                    for (int c = 0; c < k; c++) bColumn[c] = bs.getAtIndex(FLOAT, bMatrix + (long) c * n + j);
                }
                os.setAtIndex(FLOAT, (long) row * n + j, (float) dot(aRow, bColumn));
            }
        });
    }

    @Override public void attention(Tensor q, Tensor k, Tensor v, float scale, int pos0, Tensor out) {
        String op = "attention";
        requireDType(op, DType.F32, q, out);
        for (Tensor kv : new Tensor[]{k, v}) {
            if (kv.dtype() != DType.F32 && kv.dtype() != DType.F16) throw unsupported(op, kv);
        }
        int queries = q.dim(0), heads = q.dim(1), headDim = q.dim(2), kvHeads = k.dim(1);
        int headsPerKv = heads / kvHeads;
        long positionStride = k.stride(0), headStride = k.stride(1); // v's are the same
        MemorySegment qs = segment(q), ks = segment(k), vs = segment(v), os = segment(out);
        rows(queries * heads, q, k, v, out).forEach(row -> {
            int t = row / heads, kvHead = row % heads / headsPerKv;
            float[] query = readRow(qs, row, headDim);
            double[] scores = new double[pos0 + t + 1]; // keys 0..pos0+t are visible
            float[] key = new float[headDim];
            for (int s = 0; s < scores.length; s++) {
                k.dtype().codec().decode(ks, k.dtype().bytes(s * positionStride + kvHead * headStride), key, 0, headDim);
                scores[s] = scale * dot(query, key);
            }
            double[] logP = logSoftmax(scores);
            double[] acc = new double[headDim];
            float[] value = new float[headDim];
            for (int s = 0; s < scores.length; s++) {
                v.dtype().codec().decode(vs, v.dtype().bytes(s * positionStride + kvHead * headStride), value, 0, headDim);
                double p = Math.exp(logP[s]);
                for (int d = 0; d < headDim; d++) acc[d] += p * value[d];
            }
            writeRow(os, row, toFloats(acc));
        });
    }

    // ---- elementwise ----

    @Override public void add(Tensor a, Tensor b, Tensor out) { zip("add", a, b, out, Double::sum); }

    @Override public void mul(Tensor a, Tensor b, Tensor out) { zip("mul", a, b, out, (x, y) -> x * y); }

    @Override public void scale(Tensor a, float s, Tensor out) { map("scale", a, out, x -> x * s); }

    @Override public void silu(Tensor x, Tensor out) { map("silu", x, out, ReferenceKernels::silu); }

    @Override public void swiglu(Tensor gate, Tensor up, Tensor out) {
        zip("swiglu", gate, up, out, (g, u) -> silu(g) * u);
    }

    @Override public void siluBackward(Tensor x, Tensor dy, Tensor dx) {
        zip("silu_backward", x, dy, dx, (v, g) -> g * siluDerivative(v));
    }

    @Override public void swigluBackward(Tensor gate, Tensor up, Tensor dy, Tensor dGate, Tensor dUp) {
        requireDType("swiglu_backward", DType.F32, gate, up, dy, dGate, dUp);
        MemorySegment gs = segment(gate), us = segment(up), dys = segment(dy), dgs = segment(dGate), dus = segment(dUp);
        for (long i = 0; i < gate.size(); i++) {
            double g = gs.getAtIndex(FLOAT, i), u = us.getAtIndex(FLOAT, i), d = dys.getAtIndex(FLOAT, i);
            dgs.setAtIndex(FLOAT, i, (float) (d * u * siluDerivative(g)));
            dus.setAtIndex(FLOAT, i, (float) (d * silu(g)));
        }
    }

    @Override public void adamw(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2,
                                float eps, float weightDecay, int step) {
        requireDType("adamw", DType.F32, param, grad, m, v);
        MemorySegment ps = segment(param), gs = segment(grad), ms = segment(m), vs = segment(v);
        double correction1 = 1 - Math.pow(beta1, step), correction2 = 1 - Math.pow(beta2, step);
        for (long i = 0; i < param.size(); i++) {
            double g = gs.getAtIndex(FLOAT, i), p = ps.getAtIndex(FLOAT, i);
            double mi = beta1 * (double) ms.getAtIndex(FLOAT, i) + (1 - (double) beta1) * g;
            double vi = beta2 * (double) vs.getAtIndex(FLOAT, i) + (1 - (double) beta2) * g * g;
            ms.setAtIndex(FLOAT, i, (float) mi);
            vs.setAtIndex(FLOAT, i, (float) vi);
            ps.setAtIndex(FLOAT, i, (float) (p - lr * (mi / correction1 / (Math.sqrt(vi / correction2) + eps) + weightDecay * p)));
        }
    }

    // ---- row-wise ----

    @Override public void rmsNorm(Tensor x, float eps, Tensor out) {
        requireDType("rms_norm", DType.F32, x, out);
        int cols = x.shape().cols();
        MemorySegment xs = segment(x), os = segment(out);
        for (long r = 0; r < x.shape().rows(); r++) {
            float[] v = readRow(xs, r, cols);
            double inv = inverseRms(v, eps);
            double[] y = new double[cols];
            for (int c = 0; c < cols; c++) y[c] = v[c] * inv;
            writeRow(os, r, toFloats(y));
        }
    }

    @Override public void rmsNormBackward(Tensor x, Tensor dy, float eps, Tensor dx) {
        requireDType("rms_norm_backward", DType.F32, x, dy, dx);
        int cols = x.shape().cols();
        MemorySegment xs = segment(x), dys = segment(dy), dxs = segment(dx);
        for (long r = 0; r < x.shape().rows(); r++) {
            float[] v = readRow(xs, r, cols), g = readRow(dys, r, cols);
            double inv = inverseRms(v, eps);
            double meanGx = dot(g, v) / cols;
            // y = x * inv with inv = (mean(x^2) + eps)^-1/2: dx = inv * dy - x * inv^3 * mean(dy * x)
            double[] d = new double[cols];
            for (int c = 0; c < cols; c++) d[c] = inv * g[c] - v[c] * inv * inv * inv * meanGx;
            writeRow(dxs, r, toFloats(d));
        }
    }

    @Override public void rope(Tensor x, Tensor pos, int nRot, float freqBase, RopeMode mode, boolean inverse, Tensor out) {
        String op = "rope";
        requireDType(op, DType.F32, x, out);
        requireDType(op, DType.I32, pos);
        int heads = x.dim(1), headDim = x.dim(2), half = nRot / 2;
        MemorySegment xs = segment(x), ps = segment(pos), os = segment(out);
        for (int r = 0; r < x.dim(0); r++) {
            int p = ps.getAtIndex(INT, r);
            for (int h = 0; h < heads; h++) {
                long row = (long) r * heads + h;
                float[] v = readRow(xs, row, headDim);
                for (int i = 0; i < half; i++) {
                    // the angle in double: ggml multiplies float powers of freqBase^(-2/nRot) instead
                    double angle = (inverse ? -p : p) * Math.pow(freqBase, -2.0 * i / nRot);
                    int i0 = mode == RopeMode.NORMAL ? 2 * i : i;
                    int i1 = mode == RopeMode.NORMAL ? 2 * i + 1 : i + half;
                    double x0 = v[i0], x1 = v[i1], cos = Math.cos(angle), sin = Math.sin(angle);
                    v[i0] = (float) (x0 * cos - x1 * sin);
                    v[i1] = (float) (x0 * sin + x1 * cos);
                }
                writeRow(os, row, v);
            }
        }
    }

    @Override public void softmax(Tensor x, float scale, boolean causal, int offset, Tensor out) {
        requireDType("softmax", DType.F32, x, out);
        int cols = x.shape().cols();
        int matrixRows = x.rank() >= 2 ? x.dim(-2) : 1;
        MemorySegment xs = segment(x), os = segment(out);
        for (long r = 0; r < x.shape().rows(); r++) {
            // causal: column c is visible from matrix row r' = r % R when c <= r' + offset
            int visible = causal ? Math.clamp(r % matrixRows + offset + 1, 0, cols) : cols;
            float[] v = readRow(xs, r, cols);
            double[] z = new double[visible];
            for (int c = 0; c < visible; c++) z[c] = (double) scale * v[c];
            double[] logP = logSoftmax(z);
            double[] y = new double[cols]; // masked columns (and a fully masked row) stay 0
            for (int c = 0; c < visible; c++) y[c] = Math.exp(logP[c]);
            writeRow(os, r, toFloats(y));
        }
    }

    @Override public void softmaxBackward(Tensor y, Tensor dy, float scale, Tensor dx) {
        requireDType("softmax_backward", DType.F32, y, dy, dx);
        int cols = y.shape().cols();
        MemorySegment ys = segment(y), dys = segment(dy), dxs = segment(dx);
        for (long r = 0; r < y.shape().rows(); r++) {
            float[] p = readRow(ys, r, cols), g = readRow(dys, r, cols);
            double gy = dot(g, p);
            double[] d = new double[cols];
            for (int c = 0; c < cols; c++) d[c] = scale * p[c] * (g[c] - gy);
            writeRow(dxs, r, toFloats(d));
        }
    }

    @Override public void reduce(Tensor x, ReduceOp op, Tensor out) {
        requireDType(op.name().toLowerCase(), DType.F32, x, out);
        int cols = x.shape().cols();
        MemorySegment xs = segment(x), os = segment(out);
        for (long r = 0; r < x.shape().rows(); r++) {
            float[] v = readRow(xs, r, cols);
            double result = switch (op) {
                case SUM -> sum(v);
                case MEAN -> sum(v) / cols;
                case MAX -> {
                    float max = Float.NEGATIVE_INFINITY;
                    for (float e : v) max = Math.max(max, e);
                    yield max;
                }
            };
            os.setAtIndex(FLOAT, r, (float) result);
        }
    }

    @Override public void sumRows(Tensor x, Tensor out) {
        requireDType("sum_rows", DType.F32, x, out);
        int cols = x.shape().cols();
        MemorySegment xs = segment(x);
        double[] acc = new double[cols];
        for (long r = 0; r < x.shape().rows(); r++) {
            float[] v = readRow(xs, r, cols);
            for (int c = 0; c < cols; c++) acc[c] += v[c];
        }
        writeRow(segment(out), 0, toFloats(acc));
    }

    @Override public void expandRows(Tensor src, float s, Tensor out) {
        requireDType("expand_rows", DType.F32, src, out);
        int cols = out.shape().cols();
        MemorySegment ss = segment(src), os = segment(out);
        for (long r = 0; r < out.shape().rows(); r++) {
            float v = (float) ((double) ss.getAtIndex(FLOAT, r) * s);
            for (int c = 0; c < cols; c++) os.setAtIndex(FLOAT, r * cols + c, v);
        }
    }

    // ---- losses ----

    @Override public void crossEntropy(Tensor logits, Tensor targets, Tensor out) {
        String op = "cross_entropy";
        requireDType(op, DType.F32, logits, out);
        requireDType(op, DType.I32, targets);
        int vocab = logits.dim(1);
        MemorySegment ls = segment(logits), ts = segment(targets), os = segment(out);
        for (int n = 0; n < logits.dim(0); n++) {
            int target = checkedId(op, ts.getAtIndex(INT, n), vocab);
            double[] logP = logSoftmax(scaledRow(ls, n, vocab, 1));
            os.setAtIndex(FLOAT, n, (float) -logP[target]);
        }
    }

    @Override public void crossEntropyBackward(Tensor logits, Tensor targets, Tensor dLoss, Tensor dLogits) {
        String op = "cross_entropy_backward";
        requireDType(op, DType.F32, logits, dLoss, dLogits);
        requireDType(op, DType.I32, targets);
        int vocab = logits.dim(1);
        MemorySegment ls = segment(logits), ts = segment(targets), gs = segment(dLoss), ds = segment(dLogits);
        for (int n = 0; n < logits.dim(0); n++) {
            int target = checkedId(op, ts.getAtIndex(INT, n), vocab);
            double g = gs.getAtIndex(FLOAT, n);
            double[] logP = logSoftmax(scaledRow(ls, n, vocab, 1));
            double[] d = new double[vocab];
            for (int c = 0; c < vocab; c++) d[c] = (Math.exp(logP[c]) - (c == target ? 1 : 0)) * g;
            writeRow(ds, n, toFloats(d));
        }
    }

    @Override public void klDiv(Tensor teacher, Tensor student, float temperature, boolean reverse, Tensor out) {
        requireDType("kl_div", DType.F32, teacher, student, out);
        int vocab = teacher.dim(1);
        MemorySegment ts = segment(teacher), ss = segment(student), os = segment(out);
        for (int n = 0; n < teacher.dim(0); n++) {
            double[] logP = logSoftmax(scaledRow(ts, n, vocab, 1.0 / temperature));
            double[] logQ = logSoftmax(scaledRow(ss, n, vocab, 1.0 / temperature));
            os.setAtIndex(FLOAT, n, (float) (reverse ? kl(logQ, logP) : kl(logP, logQ)));
        }
    }

    @Override public void klDivBackward(Tensor teacher, Tensor student, float temperature, boolean reverse,
                                       Tensor dLoss, Tensor dStudent) {
        requireDType("kl_div_backward", DType.F32, teacher, student, dLoss, dStudent);
        int vocab = teacher.dim(1);
        MemorySegment ts = segment(teacher), ss = segment(student), gs = segment(dLoss), ds = segment(dStudent);
        for (int n = 0; n < teacher.dim(0); n++) {
            double[] logP = logSoftmax(scaledRow(ts, n, vocab, 1.0 / temperature));
            double[] logQ = logSoftmax(scaledRow(ss, n, vocab, 1.0 / temperature));
            double g = gs.getAtIndex(FLOAT, n) / (double) temperature;
            double reverseKl = kl(logQ, logP);
            double[] d = new double[vocab];
            for (int c = 0; c < vocab; c++) {
                double q = Math.exp(logQ[c]);
                // KL(p||q): (q - p) / T;  KL(q||p): q (log q - log p - KL(q||p)) / T
                d[c] = g * (reverse ? q * (logQ[c] - logP[c] - reverseKl) : q - Math.exp(logP[c]));
            }
            writeRow(ds, n, toFloats(d));
        }
    }

    // ---- rows, copies, fills ----

    @Override public void getRows(Tensor table, Tensor ids, Tensor out) {
        String op = "get_rows";
        if (!table.dtype().isFloating()) throw unsupported(op, table);
        requireDType(op, DType.I32, ids);
        requireDType(op, DType.F32, out);
        int cols = table.dim(1);
        long rowBytes = table.dtype().bytes(cols);
        MemorySegment tbl = segment(table), is = segment(ids), os = segment(out);
        float[] row = new float[cols];
        for (int i = 0; i < ids.size(); i++) {
            int id = checkedId(op, is.getAtIndex(INT, i), table.dim(0));
            table.dtype().codec().decode(tbl, id * rowBytes, row, 0, cols);
            writeRow(os, i, row);
        }
    }

    @Override public void setRows(Tensor src, Tensor ids, Tensor dst) {
        String op = "set_rows";
        requireDType(op, DType.F32, src);
        requireDType(op, DType.I32, ids);
        if (dst.dtype() != DType.F32 && dst.dtype() != DType.F16) throw unsupported(op, dst);
        int cols = dst.shape().cols();
        long rowBytes = dst.dtype().bytes(cols);
        MemorySegment ss = segment(src), is = segment(ids), ds = segment(dst);
        for (int i = 0; i < ids.size(); i++) {
            int id = checkedId(op, is.getAtIndex(INT, i), dst.shape().rows());
            dst.dtype().codec().encode(readRow(ss, i, cols), 0, ds, id * rowBytes, cols);
        }
    }

    @Override public void addRows(Tensor src, Tensor ids, Tensor dst) {
        String op = "add_rows";
        requireDType(op, DType.F32, src, dst);
        requireDType(op, DType.I32, ids);
        int cols = dst.shape().cols();
        MemorySegment ss = segment(src), is = segment(ids), ds = segment(dst);
        for (int i = 0; i < ids.size(); i++) {
            int id = checkedId(op, is.getAtIndex(INT, i), dst.shape().rows());
            for (int c = 0; c < cols; c++) {
                long at = (long) id * cols + c;
                ds.setAtIndex(FLOAT, at, ds.getAtIndex(FLOAT, at) + ss.getAtIndex(FLOAT, (long) i * cols + c));
            }
        }
    }

    @Override public void copy(Tensor src, Tensor dst) {
        String op = "copy";
        boolean ints = src.dtype() == DType.I32;
        for (Tensor t : new Tensor[]{src, dst}) {
            if (ints ? t.dtype() != DType.I32 : !t.dtype().isPlainFloat()) throw unsupported(op, t);
        }
        MemorySegment ss = segment(src), ds = segment(dst);
        int[] dims = src.shape().dims();
        long[] strides = src.strides();
        float[] cell = new float[1];
        for (long i = 0; i < src.size(); i++) {
            // the element of src at row-major index i, found through its strides
            long at = 0, rest = i;
            for (int d = dims.length - 1; d >= 0; d--) {
                at += rest % dims[d] * strides[d];
                rest /= dims[d];
            }
            if (ints) {
                ds.setAtIndex(INT, i, ss.getAtIndex(INT, at));
            } else {
                src.dtype().codec().decode(ss, src.dtype().bytes(at), cell, 0, 1);
                dst.dtype().codec().encode(cell, 0, ds, dst.dtype().bytes(i), 1);
            }
        }
    }

    @Override public void fill(Tensor t, float value) {
        MemorySegment s = segment(t);
        if (t.dtype() == DType.I32) {
            for (long i = 0; i < t.size(); i++) s.setAtIndex(INT, i, (int) value);
            return;
        }
        if (!t.dtype().isPlainFloat()) throw unsupported("fill", t);
        float[] cell = {value};
        for (long i = 0; i < t.size(); i++) t.dtype().codec().encode(cell, 0, s, t.dtype().bytes(i), 1);
    }

    // ---- helpers ----

    private static MemorySegment segment(Tensor t) { return CpuBackend.segment(t); }

    /** Output rows in parallel, unless a segment is confined to this thread (a file mapped in a confined arena). */
    private static IntStream rows(int count, Tensor... operands) {
        IntStream range = IntStream.range(0, count);
        for (Tensor t : operands) {
            if (!segment(t).isAccessibleBy(OTHER_THREAD)) return range;
        }
        return range.parallel();
    }

    /** out[i] = f(x[i]). */
    private static void map(String op, Tensor x, Tensor out, DoubleUnaryOperator f) {
        requireDType(op, DType.F32, x, out);
        MemorySegment xs = segment(x), os = segment(out);
        for (long i = 0; i < out.size(); i++) os.setAtIndex(FLOAT, i, (float) f.applyAsDouble(xs.getAtIndex(FLOAT, i)));
    }

    /** out[i] = f(a[i], b[i % b.size]): b tiles a. */
    private static void zip(String op, Tensor a, Tensor b, Tensor out, DoubleBinaryOperator f) {
        requireDType(op, DType.F32, a, b, out);
        MemorySegment as = segment(a), bs = segment(b), os = segment(out);
        long bSize = b.size();
        for (long i = 0; i < out.size(); i++) {
            os.setAtIndex(FLOAT, i, (float) f.applyAsDouble(as.getAtIndex(FLOAT, i), bs.getAtIndex(FLOAT, i % bSize)));
        }
    }

    private static double sigmoid(double x) { return 1 / (1 + Math.exp(-x)); }

    private static double silu(double x) { return x * sigmoid(x); }

    /** d/dx x sigmoid(x) = sigmoid(x) (1 + x (1 - sigmoid(x))). */
    private static double siluDerivative(double x) {
        double s = sigmoid(x);
        return s * (1 + x * (1 - s));
    }

    /** 1 / sqrt(mean(v^2) + eps). */
    private static double inverseRms(float[] v, float eps) {
        return 1 / Math.sqrt(dot(v, v) / v.length + eps);
    }

    /** log softmax(z), stabilized by subtracting the max. */
    private static double[] logSoftmax(double[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) max = Math.max(max, v);
        double sum = 0;
        for (double v : z) sum += Math.exp(v - max);
        double logSum = max + Math.log(sum);
        double[] out = new double[z.length];
        for (int i = 0; i < z.length; i++) out[i] = z[i] - logSum;
        return out;
    }

    /** KL(a || b) = sum exp(logA) (logA - logB) from log-probabilities. */
    private static double kl(double[] logA, double[] logB) {
        double s = 0;
        for (int i = 0; i < logA.length; i++) s += Math.exp(logA[i]) * (logA[i] - logB[i]);
        return s;
    }

    private static double dot(float[] x, float[] y) {
        double s = 0;
        for (int i = 0; i < x.length; i++) s += (double) x[i] * y[i];
        return s;
    }

    private static double sum(float[] v) {
        double s = 0;
        for (float e : v) s += e;
        return s;
    }

    /** Row {@code row} of an F32 [rows, cols] segment, times {@code s}, in double. */
    private static double[] scaledRow(MemorySegment s, long row, int cols, double scale) {
        float[] v = readRow(s, row, cols);
        double[] z = new double[cols];
        for (int c = 0; c < cols; c++) z[c] = v[c] * scale;
        return z;
    }

    private static float[] readRow(MemorySegment s, long row, int cols) {
        float[] v = new float[cols];
        MemorySegment.copy(s, FLOAT, row * cols * Float.BYTES, v, 0, cols);
        return v;
    }

    private static void writeRow(MemorySegment s, long row, float[] v) {
        MemorySegment.copy(v, 0, s, FLOAT, row * v.length * Float.BYTES, v.length);
    }

    private static float[] toFloats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return f;
    }

    private static int checkedId(String op, int id, long limit) {
        if (id < 0 || id >= limit) throw new IndexOutOfBoundsException(op + ": row id " + id + " outside [0, " + limit + ")");
        return id;
    }

    private static void requireDType(String op, DType expected, Tensor... operands) {
        for (Tensor t : operands) {
            if (t.dtype() != expected) throw unsupported(op, t);
        }
    }

    private static UnsupportedOperationException unsupported(String op, Tensor t) {
        return new UnsupportedOperationException(op + ": " + t.dtype() + " operand " + t.shape() + " is not supported by "
                + t.backend().name());
    }
}
