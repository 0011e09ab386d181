package dev.pocketlm.cuda;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.ReduceOp;
import dev.pocketlm.tensor.RopeMode;
import dev.pocketlm.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * One small run of every Kernels method (every dtype and mode the CUDA kernels have a variant for), written against
 * any backend so the same inputs run on CUDA and on the CPU reference. Inputs come from a fixed seed.
 */
record KernelCases(String name, Function<Backend, List<Tensor>> run) {
    private static final DType[] WEIGHT_TYPES = {DType.F32, DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0};

    static List<KernelCases> all() {
        List<KernelCases> c = new ArrayList<>();
        c.add(new KernelCases("matmul", be -> List.of(matmul(be, false, false, new int[]{5, 7}, new int[]{7, 3}))));
        c.add(new KernelCases("matmul transA", be -> List.of(matmul(be, true, false, new int[]{7, 5}, new int[]{7, 3}))));
        c.add(new KernelCases("matmul transB", be -> List.of(matmul(be, false, true, new int[]{5, 7}, new int[]{3, 7}))));
        c.add(new KernelCases("matmul batched, b shared by pairs", be -> List.of(matmul(be, false, false, new int[]{4, 5, 7}, new int[]{2, 7, 3}))));
        c.add(new KernelCases("matmul transA transB batched", be -> List.of(matmul(be, true, true, new int[]{2, 7, 5}, new int[]{2, 3, 7}))));
        c.add(new KernelCases("matmul rank-3 a, rank-2 b", be -> List.of(matmul(be, false, false, new int[]{2, 3, 7}, new int[]{7, 4}))));
        c.addAll(weightMatmuls(WEIGHT_TYPES, new int[]{1, 3, CudaKernels.MATVEC_MAX_ROWS + 4}));
        for (DType kv : new DType[]{DType.F32, DType.F16}) {
            c.add(new KernelCases("attention " + kv, be -> {
                Random r = new Random(3);
                Tensor q = rand(be, r, DType.F32, 3, 4, 16), k = rand(be, r, kv, 6, 2, 16), v = rand(be, r, kv, 6, 2, 16);
                Tensor out = be.empty(DType.F32, 3, 4, 16);
                be.kernels().attention(q, k, v, 0.25f, 2, out);
                return List.of(out);
            }));
        }
        c.add(new KernelCases("add broadcast", be -> zip(be, (a, b, o) -> be.kernels().add(a, b, o), new int[]{3, 8}, new int[]{8})));
        c.add(new KernelCases("mul broadcast", be -> zip(be, (a, b, o) -> be.kernels().mul(a, b, o), new int[]{2, 3, 8}, new int[]{3, 8})));
        c.add(new KernelCases("scale", be -> map(be, (x, o) -> be.kernels().scale(x, -1.5f, o))));
        c.add(new KernelCases("silu", be -> map(be, (x, o) -> be.kernels().silu(x, o))));
        c.add(new KernelCases("swiglu", be -> zip(be, (a, b, o) -> be.kernels().swiglu(a, b, o), new int[]{3, 70}, new int[]{3, 70})));
        c.add(new KernelCases("siluBackward", be -> zip(be, (a, b, o) -> be.kernels().siluBackward(a, b, o), new int[]{3, 70}, new int[]{3, 70})));
        c.add(new KernelCases("swigluBackward", be -> {
            Random r = new Random(5);
            Tensor g = rand(be, r, DType.F32, 4, 30), u = rand(be, r, DType.F32, 4, 30), dy = rand(be, r, DType.F32, 4, 30);
            Tensor dg = be.empty(DType.F32, 4, 30), du = be.empty(DType.F32, 4, 30);
            be.kernels().swigluBackward(g, u, dy, dg, du);
            return List.of(dg, du);
        }));
        c.add(new KernelCases("adamw", be -> {
            Random r = new Random(11);
            Tensor p = rand(be, r, DType.F32, 37), g = rand(be, r, DType.F32, 37), m = rand(be, r, DType.F32, 37);
            Tensor v = be.fromFloats(positive(r, 37), 37);
            be.kernels().adamw(p, g, m, v, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.1f, 3);
            return List.of(p, m, v);
        }));
        for (DType t : new DType[]{DType.F32, DType.F16, DType.BF16, DType.I32}) {
            c.add(new KernelCases("fill " + t, be -> {
                Tensor x = be.empty(t, 3, 333);
                be.kernels().fill(x, 2.75f);
                return List.of(x);
            }));
        }
        c.add(new KernelCases("rmsNorm", be -> map(be, (x, o) -> be.kernels().rmsNorm(x, 1e-5f, o))));
        c.add(new KernelCases("weightedRmsNorm", be -> zip(be, (x, w, o) -> be.kernels().weightedRmsNorm(x, w, 1e-5f, o), new int[]{3, 300}, new int[]{300})));
        c.add(new KernelCases("rmsNormBackward", be -> zip(be, (x, dy, o) -> be.kernels().rmsNormBackward(x, dy, 1e-5f, o), new int[]{3, 300}, new int[]{3, 300})));
        for (RopeMode mode : RopeMode.values()) {
            for (boolean inverse : new boolean[]{false, true}) {
                c.add(new KernelCases("rope " + mode + (inverse ? " inverse" : ""), be -> {
                    Tensor x = rand(be, new Random(13), DType.F32, 3, 2, 8), pos = be.fromInts(new int[]{0, 5, 17}, 3);
                    Tensor out = be.empty(DType.F32, 3, 2, 8);
                    be.kernels().rope(x, pos, 6, 10000f, mode, inverse, out);
                    return List.of(out);
                }));
            }
        }
        c.add(new KernelCases("softmax causal", be -> {
            Tensor x = rand(be, new Random(17), DType.F32, 2, 3, 7), out = be.empty(DType.F32, 2, 3, 7);
            be.kernels().softmax(x, 0.5f, true, 2, out);
            return List.of(out);
        }));
        c.add(new KernelCases("softmax wide", be -> map(be, (x, o) -> be.kernels().softmax(x, 2f, false, 0, o))));
        c.add(new KernelCases("softmaxBackward", be -> zip(be, (y, dy, o) -> be.kernels().softmaxBackward(y, dy, 0.7f, o), new int[]{3, 300}, new int[]{3, 300})));
        for (ReduceOp op : ReduceOp.values()) {
            c.add(new KernelCases("reduce " + op, be -> {
                Tensor x = rand(be, new Random(19), DType.F32, 6, 300), out = be.empty(DType.F32, 6);
                be.kernels().reduce(x, op, out);
                return List.of(out);
            }));
        }
        c.add(new KernelCases("sumRows", be -> {
            Tensor x = rand(be, new Random(23), DType.F32, 5, 9, 7), out = be.empty(DType.F32, 7);
            be.kernels().sumRows(x, out);
            return List.of(out);
        }));
        c.add(new KernelCases("expandRows", be -> {
            Tensor src = rand(be, new Random(29), DType.F32, 6), out = be.empty(DType.F32, 6, 5);
            be.kernels().expandRows(src, 0.2f, out);
            return List.of(out);
        }));
        c.add(new KernelCases("crossEntropy", be -> {
            Tensor logits = rand(be, new Random(31), DType.F32, 4, 333), targets = be.fromInts(new int[]{0, 332, 17, 17}, 4);
            Tensor out = be.empty(DType.F32, 4), dLoss = be.fromFloats(new float[]{1f, 0.5f, -2f, 0.25f}, 4), d = be.empty(DType.F32, 4, 333);
            be.kernels().crossEntropy(logits, targets, out);
            be.kernels().crossEntropyBackward(logits, targets, dLoss, d);
            return List.of(out, d);
        }));
        for (boolean reverse : new boolean[]{false, true}) {
            c.add(new KernelCases("klDiv" + (reverse ? " reverse" : ""), be -> {
                Random r = new Random(37);
                Tensor t = rand(be, r, DType.F32, 3, 300), s = rand(be, r, DType.F32, 3, 300);
                Tensor out = be.empty(DType.F32, 3), dLoss = be.fromFloats(new float[]{1f, 2f, -0.5f}, 3), d = be.empty(DType.F32, 3, 300);
                be.kernels().klDiv(t, s, 1.7f, reverse, out);
                be.kernels().klDivBackward(t, s, 1.7f, reverse, dLoss, d);
                return List.of(out, d);
            }));
        }
        for (DType t : WEIGHT_TYPES) {
            c.add(new KernelCases("getRows " + t, be -> {
                Tensor table = rand(be, new Random(41), t, 10, 64), ids = be.fromInts(new int[]{3, 0, 9, 3}, 4);
                Tensor out = be.empty(DType.F32, 4, 64);
                be.kernels().getRows(table, ids, out);
                return List.of(out);
            }));
        }
        for (DType t : new DType[]{DType.F32, DType.F16}) {
            c.add(new KernelCases("setRows " + t, be -> {
                Random r = new Random(43);
                Tensor src = rand(be, r, DType.F32, 3, 16), ids = be.fromInts(new int[]{4, 1, 7}, 3), dst = rand(be, r, t, 8, 16);
                be.kernels().setRows(src, ids, dst);
                return List.of(dst);
            }));
        }
        c.add(new KernelCases("addRows with repeated ids", be -> {
            Random r = new Random(47);
            Tensor src = rand(be, r, DType.F32, 4, 16), ids = be.fromInts(new int[]{2, 0, 2, 5}, 4), dst = rand(be, r, DType.F32, 6, 16);
            be.kernels().addRows(src, ids, dst);
            return List.of(dst);
        }));
        c.add(new KernelCases("copy transposed F32 to F16", be -> copy(be, DType.F32, DType.F16, new int[]{4, 6}, 1, 0)));
        c.add(new KernelCases("copy transposed BF16 to F32", be -> copy(be, DType.BF16, DType.F32, new int[]{5, 3}, 1, 0)));
        c.add(new KernelCases("copy rank-5 permuted", be -> copy(be, DType.F32, DType.F32, new int[]{2, 3, 2, 3, 2}, 4, 3, 2, 1, 0)));
        c.add(new KernelCases("copy I32 transposed", be -> {
            Tensor src = be.fromInts(new int[]{1, 2, 3, 4, 5, 6}, 2, 3).transpose(0, 1), dst = be.empty(DType.I32, 3, 2);
            be.kernels().copy(src, dst);
            return List.of(dst);
        }));
        return c;
    }

    /** The matmuls a quantized matvec kernel serves: Q8_0 and Q4_0 weights, 1 to MATVEC_MAX_ROWS activation rows. */
    static List<KernelCases> quantizedMatvecs() {
        return weightMatmuls(new DType[]{DType.Q8_0, DType.Q4_0}, new int[]{1, 3, CudaKernels.MATVEC_MAX_ROWS});
    }

    private static List<KernelCases> weightMatmuls(DType[] types, int[] rowCounts) {
        List<KernelCases> c = new ArrayList<>();
        for (DType w : types) {
            for (int rows : rowCounts) {
                c.add(new KernelCases("matmul weight " + w + " rows " + rows, be -> {
                    Random r = new Random(7);
                    Tensor a = rand(be, r, DType.F32, rows, 256), b = rand(be, r, w, 40, 256), out = be.empty(DType.F32, rows, 40);
                    be.kernels().matmul(a, b, out, false, true);
                    return List.of(out);
                }));
            }
        }
        return c;
    }

    private interface Binary { void run(Tensor a, Tensor b, Tensor out); }

    private interface Unary { void run(Tensor x, Tensor out); }

    private static Tensor matmul(Backend be, boolean transA, boolean transB, int[] aDims, int[] bDims) {
        Random r = new Random(2);
        Tensor a = rand(be, r, DType.F32, aDims), b = rand(be, r, DType.F32, bDims);
        int m = transA ? aDims[aDims.length - 1] : aDims[aDims.length - 2];
        int n = transB ? bDims[bDims.length - 2] : bDims[bDims.length - 1];
        int[] outDims = aDims.clone();
        outDims[outDims.length - 2] = m;
        outDims[outDims.length - 1] = n;
        Tensor out = be.empty(DType.F32, outDims);
        be.kernels().matmul(a, b, out, transA, transB);
        return out;
    }

    private static List<Tensor> zip(Backend be, Binary op, int[] aDims, int[] bDims) {
        Random r = new Random(53);
        Tensor a = rand(be, r, DType.F32, aDims), b = rand(be, r, DType.F32, bDims), out = be.empty(DType.F32, aDims);
        op.run(a, b, out);
        return List.of(out);
    }

    private static List<Tensor> map(Backend be, Unary op) {
        Tensor x = rand(be, new Random(59), DType.F32, 3, 300), out = be.empty(DType.F32, 3, 300);
        op.run(x, out);
        return List.of(out);
    }

    private static List<Tensor> copy(Backend be, DType from, DType to, int[] dims, int... perm) {
        Tensor src = rand(be, new Random(61), from, dims);
        Tensor view = perm.length == 2 ? src.transpose(perm[0], perm[1]) : src.permute(perm);
        Tensor dst = be.empty(to, view.shape());
        be.kernels().copy(view, dst);
        return List.of(dst);
    }

    static Tensor rand(Backend be, Random r, DType t, int... dims) {
        int n = 1;
        for (int d : dims) n *= d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return be.fromFloats(t, v, dims);
    }

    private static float[] positive(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = r.nextFloat() + 0.01f;
        return v;
    }
}
