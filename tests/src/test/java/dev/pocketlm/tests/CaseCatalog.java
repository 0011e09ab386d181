package dev.pocketlm.tests;

import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Kernels;
import dev.pocketlm.tensor.ReduceOp;
import dev.pocketlm.tensor.RopeMode;
import dev.pocketlm.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

import static dev.pocketlm.tensor.DType.BF16;
import static dev.pocketlm.tensor.DType.F16;
import static dev.pocketlm.tensor.DType.F32;
import static dev.pocketlm.tensor.DType.I32;
import static dev.pocketlm.tensor.DType.Q4_0;
import static dev.pocketlm.tensor.DType.Q8_0;
import static dev.pocketlm.tests.ConformanceCase.ELEMENTWISE;
import static dev.pocketlm.tests.ConformanceCase.MATMUL;
import static dev.pocketlm.tests.HostData.distinctIds;
import static dev.pocketlm.tests.HostData.format;
import static dev.pocketlm.tests.HostData.ids;
import static dev.pocketlm.tests.HostData.size;
import static dev.pocketlm.tests.HostData.uniform;

/** Every op of {@link Kernels} over its dtypes and several shapes: odd sizes, sizes off multiples of 32, large ones. */
public final class CaseCatalog {
    /** Softmax inputs and logits span [-4, 4] rather than [-1, 1] so probabilities are far from uniform. */
    private static final float LOGIT_RANGE = 4f;

    private final List<ConformanceCase> cases = new ArrayList<>();

    private CaseCatalog() {}

    public static List<ConformanceCase> all() {
        CaseCatalog c = new CaseCatalog();
        c.matmuls();
        c.elementwise();
        c.norms();
        c.ropes();
        c.softmaxes();
        c.attentions();
        c.rows();
        c.copies();
        c.reductions();
        c.losses();
        c.backwards();
        c.optimizer();
        c.fills();
        c.cases.add(TransformerBlockCase.create(F32));
        c.cases.add(TransformerBlockCase.create(F16));
        return List.copyOf(c.cases);
    }

    private void add(String op, String dtype, String shapes, double bound, Function<SplittableRandom, Problem> setup) {
        cases.add(new ConformanceCase(op, dtype, shapes, bound, setup));
    }

    // ---- matmul ----

    private void matmuls() {
        int[][] odd = {{7, 13, 5}, {33, 65, 17}, {1, 45, 31}};
        for (boolean ta : new boolean[]{false, true}) {
            for (boolean tb : new boolean[]{false, true}) {
                for (int[] mkn : odd) matmul(F32, 2, mkn[0], mkn[1], mkn[2], ta, tb);
            }
        }
        matmul(F32, 2, 64, 512, 512, false, false);
        matmul(F32, 2, 64, 512, 512, false, true);
        matmul(F32, 2, 67, 515, 259, true, false);
        for (DType w : new DType[]{F16, BF16, Q8_0, Q4_0}) {
            int k = w.isQuantized() ? 96 : 45;
            matmul(w, 2, 1, k, 33, false, true);
            matmul(w, 2, 7, k, 33, false, true);
            matmul(w, 2, 32, 256, 70, false, true);
            matmul(w, 3, 3, k, 19, false, true);
        }
        matmul(Q8_0, 2, 1, 4096, 4096, false, true);
        matmul(Q4_0, 2, 1, 4096, 4096, false, true);
        matmul(F16, 2, 1, 2048, 2048, false, true);
        // Many rows of activations, off every tile size: the batched (prompt) path of quantized weights.
        for (DType w : new DType[]{F16, Q8_0, Q4_0}) matmul(w, 2, 67, 1024, 515, false, true);
        // Weights mapped read-only as from a model file: whole groups of 16 blocks, column panels of 2048, a tail, one
        // token and a prompt.
        for (DType w : new DType[]{Q8_0, Q4_0}) {
            for (int[] mkn : new int[][]{{1, 576, 37}, {3, 1088, 19}, {9, 576, 45}, {67, 1536, 70}, {1, 2624, 23}, {7, 2624, 19}}) {
                weightMatmul(w, mkn[0], mkn[1], mkn[2]);
            }
        }
        weightMatmul(F16, 2, 300, 33);
        weightMatmul(F16, 1, 4200, 19);
        weightMatmul(BF16, 9, 4200, 21);
        // Several mapped weights against one input (q, k and v; gate and up), which a backend may run as one job.
        for (DType w : new DType[]{Q8_0, Q4_0, F16}) linears(w, 1, 2560, new int[]{300, 64, 64});
        linears(Q4_0, 7, 576, new int[]{37, 19});
        // Batched: 8 query heads over 2 KV heads (head i meets KV head i / 4), as in GQA attention.
        matmulBatched(new int[]{8, 16, 64}, new int[]{2, 40, 64}, false, true);
        matmulBatched(new int[]{8, 16, 40}, new int[]{2, 40, 64}, false, false);
        matmulBatched(new int[]{2, 3, 13, 7}, new int[]{3, 13, 5}, true, false);
        matmulBatched(new int[]{4, 7, 13}, new int[]{2, 5, 7}, true, true);
        matmulBatched(new int[]{6, 9, 11}, new int[]{6, 11, 5}, false, false);
        matmulBatched(new int[]{2, 5, 9, 11}, new int[]{11, 5}, false, false);
    }

    /** A matmul with a rank-2 b; {@code rank} 3 puts a leading batch of 2 on a (rows of a flattened). */
    private void matmul(DType bType, int rank, int m, int k, int n, boolean transA, boolean transB) {
        int[] a = transA ? new int[]{k, m} : new int[]{m, k};
        if (rank == 3) a = new int[]{2, a[0], a[1]};
        int[] b = transB ? new int[]{n, k} : new int[]{k, n};
        String form = "matmul " + (transA ? "T" : "N") + (transB ? "T" : "N");
        matmulCase(form, bType, a, b, transA, transB, false);
    }

    /** x W^T with W [n, k] mapped read-only, as a loaded model's weights are. */
    private void weightMatmul(DType wType, int m, int k, int n) {
        matmulCase("matmul NT mapped weight", wType, new int[]{m, k}, new int[]{n, k}, false, true, true);
    }

    /** x W_i^T for mapped weights W_i [ns[i], k] through {@code linears}, every output checked. */
    private void linears(DType wType, int m, int k, int[] ns) {
        add("linears mapped weights", wType.name(), "x" + format(m, k) + " rows of W " + Arrays.toString(ns), MATMUL, rnd -> {
            float[] a = uniform(rnd, m * k);
            float[][] ws = new float[ns.length][];
            for (int i = 0; i < ns.length; i++) ws[i] = uniform(rnd, ns[i] * k);
            return run -> {
                Tensor[] weights = new Tensor[ns.length], outs = new Tensor[ns.length];
                for (int i = 0; i < ns.length; i++) {
                    weights[i] = run.weight(wType, ws[i], new int[]{ns[i], k});
                    outs[i] = run.output(F32, m, ns[i]);
                }
                run.kernels().linears(run.input(a, new int[]{m, k}), weights, outs);
                return run.read(outs);
            };
        });
    }

    private void matmulBatched(int[] a, int[] b, boolean transA, boolean transB) {
        matmulCase("matmul batched " + (transA ? "T" : "N") + (transB ? "T" : "N"), F32, a, b, transA, transB, false);
    }

    private void matmulCase(String op, DType bType, int[] aDims, int[] bDims, boolean transA, boolean transB, boolean mappedB) {
        int m = transA ? aDims[aDims.length - 1] : aDims[aDims.length - 2];
        int n = transB ? bDims[bDims.length - 2] : bDims[bDims.length - 1];
        int[] outDims = aDims.clone();
        outDims[outDims.length - 2] = m;
        outDims[outDims.length - 1] = n;
        add(op, bType.name(), "a" + format(aDims) + " b" + format(bDims), MATMUL, rnd -> {
            float[] a = uniform(rnd, size(aDims)), b = uniform(rnd, size(bDims));
            return run -> {
                Tensor out = run.output(F32, outDims);
                Tensor bTensor = mappedB ? run.weight(bType, b, bDims) : run.input(bType, b, bDims);
                run.kernels().matmul(run.input(a, aDims), bTensor, out, transA, transB);
                return run.read(out);
            };
        });
    }

    // ---- elementwise ----

    @FunctionalInterface
    private interface Binary { void apply(Kernels k, Tensor a, Tensor b, Tensor out); }

    @FunctionalInterface
    private interface Unary { void apply(Kernels k, Tensor x, Tensor out); }

    private void elementwise() {
        int[][] same = {{7, 13}, {3, 5, 33}, {64, 4096}};
        for (int[] d : same) {
            binary("add", d, d, Kernels::add);
            binary("mul", d, d, Kernels::mul);
            binary("swiglu", d, d, Kernels::swiglu);
            unary("scale", d, (k, x, out) -> k.scale(x, -0.37f, out));
            unary("silu", d, Kernels::silu);
        }
        int[] a = {3, 5, 33};
        for (int[] b : new int[][]{{33}, {5, 33}, {1}}) {
            binary("add broadcast", a, b, Kernels::add);
            binary("mul broadcast", a, b, Kernels::mul);
        }
        addInPlace(new int[]{7, 13}, new int[]{13});
    }

    private void binary(String op, int[] aDims, int[] bDims, Binary kernel) {
        add(op, "F32", "a" + format(aDims) + " b" + format(bDims), ELEMENTWISE, rnd -> {
            float[] a = uniform(rnd, size(aDims)), b = uniform(rnd, size(bDims));
            return run -> {
                Tensor out = run.output(F32, aDims);
                kernel.apply(run.kernels(), run.input(a, aDims), run.input(b, bDims), out);
                return run.read(out);
            };
        });
    }

    private void unary(String op, int[] d, Unary kernel) {
        add(op, "F32", format(d), ELEMENTWISE, rnd -> {
            float[] x = uniform(rnd, size(d));
            return run -> {
                Tensor out = run.output(F32, d);
                kernel.apply(run.kernels(), run.input(x, d), out);
                return run.read(out);
            };
        });
    }

    /** The output aliases the first input, which the contract allows for elementwise ops. */
    private void addInPlace(int[] aDims, int[] bDims) {
        add("add in place", "F32", "a" + format(aDims) + " b" + format(bDims), ELEMENTWISE, rnd -> {
            float[] a = uniform(rnd, size(aDims)), b = uniform(rnd, size(bDims));
            return run -> {
                Tensor ab = run.output(F32, a, aDims);
                run.kernels().add(ab, run.input(b, bDims), ab);
                return run.read(ab);
            };
        });
    }

    private void norms() {
        for (int[] d : new int[][]{{5, 33}, {3, 4, 64}, {3, 4096}}) {
            unary("rms_norm", d, (k, x, out) -> k.rmsNorm(x, 1e-5f, out));
        }
        unary("rms_norm", new int[]{2, 7}, (k, x, out) -> k.rmsNorm(x, 1e-6f, out));
        for (int[] d : new int[][]{{5, 33}, {3, 4, 64}, {2, 2048}}) {
            binary("rms_norm weighted", d, new int[]{d[d.length - 1]}, (k, x, w, out) -> k.weightedRmsNorm(x, w, 1e-5f, out));
        }
    }

    // ---- rope ----

    private void ropes() {
        for (RopeMode mode : RopeMode.values()) {
            for (boolean inverse : new boolean[]{false, true}) {
                rope(mode, inverse, 5, 4, 64, 64, 10000f);
                rope(mode, inverse, 7, 3, 64, 32, 10000f);
                rope(mode, inverse, 3, 2, 10, 6, 500000f);
            }
        }
        rope(RopeMode.NORMAL, false, 64, 32, 128, 128, 10000f);
    }

    private void rope(RopeMode mode, boolean inverse, int rows, int heads, int headDim, int nRot, float base) {
        String op = "rope " + mode + (inverse ? " inverse" : "") + (nRot < headDim ? " partial" : "");
        int[] d = {rows, heads, headDim};
        add(op, "F32", format(d) + " nRot " + nRot + " base " + base, ELEMENTWISE, rnd -> {
            float[] x = uniform(rnd, size(d));
            int[] pos = ids(rnd, rows, 4096);
            return run -> {
                Tensor out = run.output(F32, d);
                run.kernels().rope(run.input(x, d), run.ids(pos), nRot, base, mode, inverse, out);
                return run.read(out);
            };
        });
    }

    // ---- softmax and attention ----

    private void softmaxes() {
        softmax("softmax", new int[]{7, 13}, 1f, false, 0);
        softmax("softmax", new int[]{2, 32000}, 1f, false, 0);
        softmax("softmax scaled", new int[]{3, 5, 33}, 0.125f, false, 0);
        softmax("softmax causal", new int[]{2, 4, 9, 9}, 1f, true, 0);
        softmax("softmax causal offset", new int[]{3, 5, 13}, 0.35f, true, 8);
        softmax("softmax causal offset", new int[]{4, 7, 70}, 1f, true, 63);
    }

    private void softmax(String op, int[] d, float scale, boolean causal, int offset) {
        add(op, "F32", format(d) + " scale " + scale + (causal ? " offset " + offset : ""), ELEMENTWISE, rnd -> {
            float[] x = uniform(rnd, size(d), -LOGIT_RANGE, LOGIT_RANGE);
            return run -> {
                Tensor out = run.output(F32, d);
                run.kernels().softmax(run.input(x, d), scale, causal, offset, out);
                return run.read(out);
            };
        });
    }

    private void attentions() {
        for (DType kv : new DType[]{F32, F16}) {
            attention(kv, 1, 4, 4, 64, 37, 36, false);
            attention(kv, 7, 4, 4, 32, 7, 0, false);
            attention(kv, 5, 8, 2, 64, 20, 12, false);
            attention(kv, 3, 6, 3, 40, 9, 2, false);
            attention(kv, 1, 32, 4, 64, 512, 300, false);
            attention(kv, 1, 8, 2, 128, 2048, 2047, false);
            attention(kv, 64, 8, 2, 64, 64, 0, false);
            attention(kv, 1, 32, 4, 64, 512, 300, true);
            attention(kv, 5, 8, 2, 64, 20, 12, true);
            // a prompt in chunks of three tokens per KV head, one of them straddling two KV heads
            attention(kv, 20, 8, 2, 64, 40, 17, true);
            // a decode step with three query heads a KV head in a chunk: a pair, then one
            attention(kv, 1, 12, 4, 64, 300, 299, true);
        }
    }

    /**
     * T queries at positions pos0.. over a cache of S rows (rows past pos0+T-1 must be ignored); a head-major cache
     * [Hkv, S + 3, D] is passed as its permuted view of the first S positions.
     */
    private void attention(DType kv, int t, int hq, int hkv, int d, int s, int pos0, boolean headMajor) {
        String op = "attention" + (hq != hkv ? " GQA" : "") + (pos0 > 0 ? " pos0>0" : "") + (headMajor ? " head-major" : "");
        int capacity = headMajor ? s + 3 : s;
        int[] qd = {t, hq, d}, kd = headMajor ? new int[]{hkv, capacity, d} : new int[]{s, hkv, d};
        float scale = (float) (1 / Math.sqrt(d));
        add(op, kv.name(), "q" + format(qd) + " kv" + format(kd) + " pos0 " + pos0, MATMUL, rnd -> {
            float[] q = uniform(rnd, size(qd)), k = uniform(rnd, size(kd)), v = uniform(rnd, size(kd));
            return run -> {
                Tensor out = run.output(F32, qd);
                Tensor keys = run.input(kv, k, kd), values = run.input(kv, v, kd);
                if (headMajor) {
                    keys = DeviceRun.positionsFirst(keys, s);
                    values = DeviceRun.positionsFirst(values, s);
                }
                run.kernels().attention(run.input(q, qd), keys, values, scale, pos0, out);
                return run.read(out);
            };
        });
    }

    // ---- rows ----

    private void rows() {
        for (DType table : new DType[]{F32, F16, BF16, Q8_0, Q4_0}) {
            getRows(table, 50, 64, 9);
            if (!table.isQuantized()) getRows(table, 23, 45, 11);
            getRows(table, 1000, 512, 64);
        }
        for (DType dst : new DType[]{F32, F16}) {
            setRows(dst, 20, 45, 5);
            setRows(dst, 512, 256, 64);
        }
        addRows(30, 45, 12);
        addRows(1000, 256, 200);
    }

    private void getRows(DType tableType, int v, int c, int n) {
        int[] td = {v, c};
        add("get_rows", tableType.name(), "table" + format(td) + " ids[" + n + "]", ELEMENTWISE, rnd -> {
            float[] table = uniform(rnd, v * c);
            int[] ids = ids(rnd, n, v);
            return run -> {
                Tensor out = run.output(F32, n, c);
                run.kernels().getRows(run.input(tableType, table, td), run.ids(ids), out);
                return run.read(out);
            };
        });
    }

    private void setRows(DType dstType, int r, int c, int n) {
        add("set_rows", dstType.name(), "src" + format(n, c) + " dst" + format(r, c), ELEMENTWISE, rnd -> {
            float[] src = uniform(rnd, n * c), dst = uniform(rnd, r * c);
            int[] ids = distinctIds(rnd, n, r);
            return run -> {
                Tensor out = run.output(dstType, dst, r, c);
                run.kernels().setRows(run.input(src, n, c), run.ids(ids), out);
                return run.read(out);
            };
        });
    }

    private void addRows(int v, int c, int n) {
        add("add_rows", "F32", "src" + format(n, c) + " dst" + format(v, c), ELEMENTWISE, rnd -> {
            float[] src = uniform(rnd, n * c), dst = uniform(rnd, v * c);
            int[] ids = ids(rnd, n, Math.max(1, v / 3));
            return run -> {
                Tensor out = run.output(F32, dst, v, c);
                run.kernels().addRows(run.input(src, n, c), run.ids(ids), out);
                return run.read(out);
            };
        });
    }

    // ---- copies ----

    private void copies() {
        DType[] floats = {F32, F16, BF16};
        for (DType from : floats) {
            for (DType to : floats) {
                copy(from, to, new int[]{7, 45}, new int[]{0, 1});
                copy(from, to, new int[]{33, 17}, new int[]{1, 0});
                copy(from, to, new int[]{3, 5, 7}, new int[]{2, 0, 1});
            }
        }
        copy(F32, F16, new int[]{512, 64}, new int[]{1, 0});
        copy(F32, F16, new int[]{80, 64}, new int[]{0, 1}); // contiguous, over one conversion chunk of the CPU fast path
        copy(F16, F32, new int[]{80, 64}, new int[]{0, 1});
        copy(F32, F32, new int[]{4, 64, 2, 32}, new int[]{2, 0, 3, 1});
        copyInts(new int[]{9, 13}, new int[]{0, 1});
        copyInts(new int[]{9, 13}, new int[]{1, 0});
        for (DType cache : floats) {
            copyToView(cache, 1, 4, 64, 9, 5); // a decode step's keys
            copyToView(cache, 6, 3, 20, 11, 2); // a prompt's, rows off multiples of the vector width
        }
    }

    /**
     * src [t, heads, d] (F32) through its transpose into positions pos0.. of a head-major cache [heads, capacity, d],
     * a strided view: the cache's other positions must keep their values.
     */
    private void copyToView(DType cache, int t, int heads, int d, int capacity, int pos0) {
        int[] srcDims = {t, heads, d}, cacheDims = {heads, capacity, d};
        add("copyToView", "F32->" + cache, "src" + format(srcDims) + " into cache" + format(cacheDims) + " at " + pos0, ELEMENTWISE, rnd -> {
            float[] src = uniform(rnd, size(srcDims)), before = uniform(rnd, size(cacheDims));
            return run -> {
                Tensor out = run.output(cache, before, cacheDims);
                run.kernels().copyToView(run.input(src, srcDims).transpose(0, 1), out.narrow(1, pos0, t));
                return run.read(out);
            };
        });
    }

    /** dst = src.permute(perm) made contiguous and converted; the identity permutation copies a contiguous src. */
    private void copy(DType from, DType to, int[] srcDims, int[] perm) {
        int[] outDims = permuted(srcDims, perm);
        add("copy", from + "->" + to, "src" + format(srcDims) + " permuted " + format(perm), ELEMENTWISE, rnd -> {
            float[] src = uniform(rnd, size(srcDims));
            return run -> {
                Tensor out = run.output(to, outDims);
                run.kernels().copy(run.input(from, src, srcDims).permute(perm), out);
                return run.read(out);
            };
        });
    }

    private void copyInts(int[] srcDims, int[] perm) {
        int[] outDims = permuted(srcDims, perm);
        add("copy", "I32->I32", "src" + format(srcDims) + " permuted " + format(perm), ELEMENTWISE, rnd -> {
            int[] src = ids(rnd, size(srcDims), 1 << 20);
            return run -> {
                Tensor out = run.output(I32, outDims);
                run.kernels().copy(run.ints(src, srcDims).permute(perm), out);
                return run.read(out);
            };
        });
    }

    private static int[] permuted(int[] d, int[] perm) {
        int[] out = new int[d.length];
        for (int i = 0; i < d.length; i++) out[i] = d[perm[i]];
        return out;
    }

    // ---- reductions ----

    private void reductions() {
        for (ReduceOp op : ReduceOp.values()) {
            for (int[] d : new int[][]{{7, 13}, {3, 4096}, {1, 33}}) {
                add("reduce " + op, "F32", format(d), ELEMENTWISE, rnd -> {
                    float[] x = uniform(rnd, size(d));
                    return run -> {
                        Tensor out = run.output(F32, d[0]);
                        run.kernels().reduce(run.input(x, d), op, out);
                        return run.read(out);
                    };
                });
            }
        }
        for (int[] d : new int[][]{{7, 13}, {64, 300}, {2, 3, 45}}) {
            int c = d[d.length - 1];
            add("sum_rows", "F32", format(d), ELEMENTWISE, rnd -> {
                float[] x = uniform(rnd, size(d));
                return run -> {
                    Tensor out = run.output(F32, c);
                    run.kernels().sumRows(run.input(x, d), out);
                    return run.read(out);
                };
            });
        }
        for (int[] d : new int[][]{{7, 13}, {64, 300}}) {
            add("expand_rows", "F32", format(d) + " s 0.25", ELEMENTWISE, rnd -> {
                float[] src = uniform(rnd, d[0]);
                return run -> {
                    Tensor out = run.output(F32, d);
                    run.kernels().expandRows(run.input(src, d[0]), 0.25f, out);
                    return run.read(out);
                };
            });
        }
    }

    // ---- losses ----

    private void losses() {
        for (int[] nv : new int[][]{{5, 37}, {3, 32000}}) {
            int n = nv[0], v = nv[1];
            add("cross_entropy", "F32", "logits" + format(n, v), ELEMENTWISE, rnd -> {
                float[] logits = uniform(rnd, n * v, -LOGIT_RANGE, LOGIT_RANGE);
                int[] targets = ids(rnd, n, v);
                return run -> {
                    Tensor out = run.output(F32, n);
                    run.kernels().crossEntropy(run.input(logits, n, v), run.ids(targets), out);
                    return run.read(out);
                };
            });
            for (boolean reverse : new boolean[]{false, true}) {
                for (float temperature : new float[]{1f, 2f}) {
                    add("kl_div" + (reverse ? " reverse" : ""), "F32", "logits" + format(n, v) + " T " + temperature, ELEMENTWISE, rnd -> {
                        float[] teacher = uniform(rnd, n * v, -LOGIT_RANGE, LOGIT_RANGE), student = uniform(rnd, n * v, -LOGIT_RANGE, LOGIT_RANGE);
                        return run -> {
                            Tensor out = run.output(F32, n);
                            run.kernels().klDiv(run.input(teacher, n, v), run.input(student, n, v), temperature, reverse, out);
                            return run.read(out);
                        };
                    });
                }
            }
        }
    }

    // ---- backward kernels ----

    private void backwards() {
        for (int[] d : new int[][]{{7, 13}, {3, 5, 33}, {16, 4096}}) {
            add("silu_backward", "F32", format(d), ELEMENTWISE, rnd -> {
                float[] x = uniform(rnd, size(d)), dy = uniform(rnd, size(d));
                return run -> {
                    Tensor dx = run.output(F32, d);
                    run.kernels().siluBackward(run.input(x, d), run.input(dy, d), dx);
                    return run.read(dx);
                };
            });
            add("swiglu_backward", "F32", format(d), ELEMENTWISE, rnd -> {
                float[] gate = uniform(rnd, size(d)), up = uniform(rnd, size(d)), dy = uniform(rnd, size(d));
                return run -> {
                    Tensor dGate = run.output(F32, d), dUp = run.output(F32, d);
                    run.kernels().swigluBackward(run.input(gate, d), run.input(up, d), run.input(dy, d), dGate, dUp);
                    return run.read(dGate, dUp);
                };
            });
            add("rms_norm_backward", "F32", format(d), ELEMENTWISE, rnd -> {
                float[] x = uniform(rnd, size(d)), dy = uniform(rnd, size(d));
                return run -> {
                    Tensor dx = run.output(F32, d);
                    run.kernels().rmsNormBackward(run.input(x, d), run.input(dy, d), 1e-5f, dx);
                    return run.read(dx);
                };
            });
            add("softmax_backward", "F32", format(d) + " scale 0.5", ELEMENTWISE, rnd -> {
                float[] y = uniform(rnd, size(d), 0f, 1f), dy = uniform(rnd, size(d));
                return run -> {
                    Tensor dx = run.output(F32, d);
                    run.kernels().softmaxBackward(run.input(y, d), run.input(dy, d), 0.5f, dx);
                    return run.read(dx);
                };
            });
        }
        for (int[] nv : new int[][]{{5, 37}, {3, 32000}}) {
            int n = nv[0], v = nv[1];
            add("cross_entropy_backward", "F32", "logits" + format(n, v), ELEMENTWISE, rnd -> {
                float[] logits = uniform(rnd, n * v, -LOGIT_RANGE, LOGIT_RANGE), dLoss = uniform(rnd, n);
                int[] targets = ids(rnd, n, v);
                return run -> {
                    Tensor dLogits = run.output(F32, n, v);
                    run.kernels().crossEntropyBackward(run.input(logits, n, v), run.ids(targets), run.input(dLoss, n), dLogits);
                    return run.read(dLogits);
                };
            });
            for (boolean reverse : new boolean[]{false, true}) {
                for (float temperature : new float[]{1f, 2f}) {
                    add("kl_div_backward" + (reverse ? " reverse" : ""), "F32", "logits" + format(n, v) + " T " + temperature, ELEMENTWISE, rnd -> {
                        float[] teacher = uniform(rnd, n * v, -LOGIT_RANGE, LOGIT_RANGE), student = uniform(rnd, n * v, -LOGIT_RANGE, LOGIT_RANGE);
                        float[] dLoss = uniform(rnd, n);
                        return run -> {
                            Tensor dStudent = run.output(F32, n, v);
                            run.kernels().klDivBackward(run.input(teacher, n, v), run.input(student, n, v), temperature, reverse,
                                    run.input(dLoss, n), dStudent);
                            return run.read(dStudent);
                        };
                    });
                }
            }
        }
    }

    private void optimizer() {
        for (int step : new int[]{1, 10}) {
            for (int[] d : new int[][]{{7, 13}, {256, 300}}) {
                add("adamw", "F32", format(d) + " step " + step, ELEMENTWISE, rnd -> {
                    int n = size(d);
                    float[] p = uniform(rnd, n), g = uniform(rnd, n), m = uniform(rnd, n, -0.1f, 0.1f);
                    float[] v = uniform(rnd, n, 0f, 0.01f);
                    return run -> {
                        Tensor param = run.output(F32, p, d), mm = run.output(F32, m, d), vv = run.output(F32, v, d);
                        run.kernels().adamw(param, run.input(g, d), mm, vv, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, step);
                        return run.read(param, mm, vv);
                    };
                });
            }
        }
    }

    private void fills() {
        for (DType t : new DType[]{F32, F16, BF16, I32}) {
            float value = t == I32 ? 7f : -0.3f;
            for (int[] d : new int[][]{{7, 45}, {1000}}) {
                add("fill", t.name(), format(d) + " value " + value, ELEMENTWISE, rnd -> run -> {
                    Tensor out = run.output(t, d);
                    run.kernels().fill(out, value);
                    return run.read(out);
                });
            }
        }
    }
}
