package dev.pocketlm.tests;

import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.RopeMode;
import dev.pocketlm.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

import static dev.pocketlm.tensor.DType.F32;
import static dev.pocketlm.tests.HostData.format;
import static dev.pocketlm.tests.HostData.ids;
import static dev.pocketlm.tests.HostData.size;
import static dev.pocketlm.tests.HostData.uniform;

/**
 * A second, independent oracle for the CPU reference: the math of a few ops written again here in double precision,
 * straight from the javadoc of {@link dev.pocketlm.tensor.Kernels}.
 */
public final class DoubleOracle {
    /** Float against double: rounding alone gives nmse near 1e-13, so anything above 1e-9 is a real discrepancy. */
    public static final double BOUND = 1e-9;

    /** A check: draws inputs, returns the double-precision answer and the problem that asks a backend. */
    public record Check(String op, String dtype, String shapes, Function<SplittableRandom, Expected> setup) {}

    public record Expected(double[] values, Problem problem) {
        public float[] asFloats() {
            float[] f = new float[values.length];
            for (int i = 0; i < f.length; i++) f[i] = (float) values[i];
            return f;
        }
    }

    private DoubleOracle() {}

    public static List<Check> checks() {
        List<Check> out = new ArrayList<>();
        out.add(matmul(DType.F32, 9, 37, 11));
        out.add(matmul(DType.Q4_0, 3, 96, 13));
        out.add(matmul(DType.Q8_0, 5, 64, 7));
        out.add(silu(7, 13));
        out.add(rmsNorm(5, 33, false));
        out.add(rmsNorm(5, 33, true));
        out.add(rmsNorm(2, 2048, true));
        out.add(rope(RopeMode.NORMAL, 3, 2, 16, 16));
        out.add(rope(RopeMode.NEOX, 3, 2, 16, 10));
        out.add(softmaxCausal(2, 5, 9, 4, 0.7f));
        out.add(attention(4, 8, 2, 16, 11, 5, false));
        out.add(attention(4, 8, 2, 16, 11, 5, true));
        out.add(crossEntropy(4, 19));
        out.add(klDiv(4, 19, 2f, false));
        out.add(klDiv(4, 19, 2f, true));
        out.add(adamw(7, 13, 3));
        return out;
    }


    // ---- checks ----

    private static Check matmul(DType w, int m, int k, int n) {
        return new Check("matmul NT", w.name(), "a" + format(m, k) + " b" + format(n, k), rnd -> {
            float[] a = uniform(rnd, m * k), b = uniform(rnd, n * k);
            float[] bDecoded = roundTrip(w, b);
            double[] want = new double[m * n];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += (double) a[i * k + p] * bDecoded[j * k + p];
                    want[i * n + j] = s;
                }
            }
            return new Expected(want, run -> {
                Tensor out = run.output(F32, m, n);
                run.kernels().matmul(run.input(a, m, k), run.input(w, b, n, k), out, false, true);
                return run.read(out);
            });
        });
    }

    /** The values a tensor of dtype {@code t} holds after encoding {@code v} with the reference codec. */
    private static float[] roundTrip(DType t, float[] v) {
        MemorySegment bytes = MemorySegment.ofArray(new byte[Math.toIntExact(t.bytes(v.length))]);
        t.codec().encode(v, 0, bytes, 0, v.length);
        float[] out = new float[v.length];
        t.codec().decode(bytes, 0, out, 0, v.length);
        return out;
    }

    private static Check silu(int r, int c) {
        return new Check("silu", "F32", format(r, c), rnd -> {
            float[] x = uniform(rnd, r * c, -6f, 6f);
            double[] want = new double[x.length];
            for (int i = 0; i < x.length; i++) want[i] = x[i] / (1 + Math.exp(-x[i]));
            return new Expected(want, run -> {
                Tensor out = run.output(F32, r, c);
                run.kernels().silu(run.input(x, r, c), out);
                return run.read(out);
            });
        });
    }

    /** RMSNorm, times a weight [c] when {@code weighted}. */
    private static Check rmsNorm(int r, int c, boolean weighted) {
        float eps = 1e-5f;
        return new Check(weighted ? "rms_norm weighted" : "rms_norm", "F32", format(r, c), rnd -> {
            float[] x = uniform(rnd, r * c), w = uniform(rnd, c);
            double[] want = new double[x.length];
            for (int i = 0; i < r; i++) {
                double ss = 0;
                for (int j = 0; j < c; j++) ss += (double) x[i * c + j] * x[i * c + j];
                double inv = 1 / Math.sqrt(ss / c + eps);
                for (int j = 0; j < c; j++) want[i * c + j] = x[i * c + j] * inv * (weighted ? w[j] : 1);
            }
            return new Expected(want, run -> {
                Tensor out = run.output(F32, r, c);
                if (weighted) run.kernels().weightedRmsNorm(run.input(x, r, c), run.input(w, c), eps, out);
                else run.kernels().rmsNorm(run.input(x, r, c), eps, out);
                return run.read(out);
            });
        });
    }

    private static Check rope(RopeMode mode, int rows, int heads, int d, int nRot) {
        float base = 10000f;
        int[] shape = {rows, heads, d};
        return new Check("rope " + mode, "F32", format(shape) + " nRot " + nRot, rnd -> {
            float[] x = uniform(rnd, size(shape));
            int[] pos = ids(rnd, rows, 64);
            double[] want = new double[x.length];
            for (int i = 0; i < x.length; i++) want[i] = x[i];
            for (int r = 0; r < rows; r++) {
                for (int h = 0; h < heads; h++) {
                    int o = (r * heads + h) * d;
                    for (int i = 0; i < nRot / 2; i++) {
                        double angle = pos[r] * Math.pow(base, -2.0 * i / nRot);
                        int i0 = mode == RopeMode.NORMAL ? o + 2 * i : o + i;
                        int i1 = mode == RopeMode.NORMAL ? o + 2 * i + 1 : o + i + nRot / 2;
                        want[i0] = x[i0] * Math.cos(angle) - x[i1] * Math.sin(angle);
                        want[i1] = x[i0] * Math.sin(angle) + x[i1] * Math.cos(angle);
                    }
                }
            }
            return new Expected(want, run -> {
                Tensor out = run.output(F32, shape);
                run.kernels().rope(run.input(x, shape), run.ids(pos), nRot, base, mode, false, out);
                return run.read(out);
            });
        });
    }

    private static Check softmaxCausal(int batch, int r, int c, int offset, float scale) {
        int[] shape = {batch, r, c};
        return new Check("softmax causal", "F32", format(shape) + " offset " + offset + " scale " + scale, rnd -> {
            float[] x = uniform(rnd, size(shape), -4f, 4f);
            double[] want = new double[x.length];
            for (int row = 0; row < batch * r; row++) {
                int visible = Math.min(c, row % r + offset + 1);
                double[] scaled = new double[visible];
                for (int j = 0; j < visible; j++) scaled[j] = (double) scale * x[row * c + j];
                double[] p = softmax(scaled);
                System.arraycopy(p, 0, want, row * c, visible);
            }
            return new Expected(want, run -> {
                Tensor out = run.output(F32, shape);
                run.kernels().softmax(run.input(x, shape), scale, true, offset, out);
                return run.read(out);
            });
        });
    }

    /** Keys and values position-major [S, Hkv, D], or head-major [Hkv, S + 2, D] passed as a view of S positions. */
    private static Check attention(int t, int hq, int hkv, int d, int s, int pos0, boolean headMajor) {
        int capacity = s + 2;
        int[] qd = {t, hq, d}, kd = headMajor ? new int[]{hkv, capacity, d} : new int[]{s, hkv, d};
        double scale = 1 / Math.sqrt(d);
        String op = "attention GQA" + (headMajor ? " head-major" : "");
        return new Check(op, "F32", "q" + format(qd) + " kv" + format(kd) + " pos0 " + pos0, rnd -> {
            float[] q = uniform(rnd, size(qd)), k = uniform(rnd, size(kd)), v = uniform(rnd, size(kd));
            double[] want = new double[q.length];
            for (int ti = 0; ti < t; ti++) {
                for (int h = 0; h < hq; h++) {
                    int kvh = h / (hq / hkv);
                    int seen = pos0 + ti + 1;
                    double[] scores = new double[seen];
                    for (int si = 0; si < seen; si++) {
                        double dot = 0;
                        int row = headMajor ? kvh * capacity + si : si * hkv + kvh;
                        for (int j = 0; j < d; j++) dot += (double) q[(ti * hq + h) * d + j] * k[row * d + j];
                        scores[si] = scale * dot;
                    }
                    double[] p = softmax(scores);
                    for (int j = 0; j < d; j++) {
                        double acc = 0;
                        for (int si = 0; si < seen; si++) acc += p[si] * v[(headMajor ? kvh * capacity + si : si * hkv + kvh) * d + j];
                        want[(ti * hq + h) * d + j] = acc;
                    }
                }
            }
            return new Expected(want, run -> {
                Tensor out = run.output(F32, qd);
                Tensor keys = run.input(k, kd), values = run.input(v, kd);
                if (headMajor) {
                    keys = DeviceRun.positionsFirst(keys, s);
                    values = DeviceRun.positionsFirst(values, s);
                }
                run.kernels().attention(run.input(q, qd), keys, values, (float) scale, pos0, out);
                return run.read(out);
            });
        });
    }

    private static Check crossEntropy(int n, int v) {
        return new Check("cross_entropy", "F32", "logits" + format(n, v), rnd -> {
            float[] logits = uniform(rnd, n * v, -4f, 4f);
            int[] targets = ids(rnd, n, v);
            double[] want = new double[n];
            for (int i = 0; i < n; i++) {
                double[] p = softmax(row(logits, i, v, 1));
                want[i] = -Math.log(p[targets[i]]);
            }
            return new Expected(want, run -> {
                Tensor out = run.output(F32, n);
                run.kernels().crossEntropy(run.input(logits, n, v), run.ids(targets), out);
                return run.read(out);
            });
        });
    }

    private static Check klDiv(int n, int v, float temperature, boolean reverse) {
        return new Check("kl_div" + (reverse ? " reverse" : ""), "F32", "logits" + format(n, v) + " T " + temperature, rnd -> {
            float[] teacher = uniform(rnd, n * v, -4f, 4f), student = uniform(rnd, n * v, -4f, 4f);
            double[] want = new double[n];
            for (int i = 0; i < n; i++) {
                double[] p = softmax(row(teacher, i, v, temperature)), q = softmax(row(student, i, v, temperature));
                double[] from = reverse ? q : p, to = reverse ? p : q;
                double kl = 0;
                for (int j = 0; j < v; j++) kl += from[j] * (Math.log(from[j]) - Math.log(to[j]));
                want[i] = kl;
            }
            return new Expected(want, run -> {
                Tensor out = run.output(F32, n);
                run.kernels().klDiv(run.input(teacher, n, v), run.input(student, n, v), temperature, reverse, out);
                return run.read(out);
            });
        });
    }

    private static Check adamw(int r, int c, int step) {
        float lr = 1e-2f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 0.1f;
        return new Check("adamw", "F32", format(r, c) + " step " + step, rnd -> {
            int n = r * c;
            float[] p = uniform(rnd, n), g = uniform(rnd, n), m = uniform(rnd, n, -0.1f, 0.1f), v = uniform(rnd, n, 0f, 0.01f);
            double[] want = new double[3 * n];
            for (int i = 0; i < n; i++) {
                double mi = b1 * (double) m[i] + (1 - (double) b1) * g[i];
                double vi = b2 * (double) v[i] + (1 - (double) b2) * g[i] * g[i];
                double mHat = mi / (1 - Math.pow(b1, step)), vHat = vi / (1 - Math.pow(b2, step));
                want[i] = p[i] - lr * (mHat / (Math.sqrt(vHat) + eps) + wd * (double) p[i]);
                want[n + i] = mi;
                want[2 * n + i] = vi;
            }
            return new Expected(want, run -> {
                Tensor param = run.output(F32, p, r, c), mm = run.output(F32, m, r, c), vv = run.output(F32, v, r, c);
                run.kernels().adamw(param, run.input(g, r, c), mm, vv, lr, b1, b2, eps, wd, step);
                return run.read(param, mm, vv);
            });
        });
    }

    // ---- double helpers ----

    private static double[] row(float[] x, int i, int v, double temperature) {
        double[] out = new double[v];
        for (int j = 0; j < v; j++) out[j] = x[i * v + j] / temperature;
        return out;
    }

    private static double[] softmax(double[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (double e : x) max = Math.max(max, e);
        double sum = 0;
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) sum += out[i] = Math.exp(x[i] - max);
        for (int i = 0; i < x.length; i++) out[i] /= sum;
        return out;
    }
}
