package dev.pocketlm.opencl;

import dev.pocketlm.opencl.Devices.Both;
import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Ops;
import dev.pocketlm.tensor.ReduceOp;
import dev.pocketlm.tensor.RopeMode;
import dev.pocketlm.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.function.BiFunction;
import java.util.function.Function;

import static dev.pocketlm.opencl.Devices.ELEMENTWISE_NMSE;
import static dev.pocketlm.opencl.Devices.MATMUL_NMSE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every Kernels method on OpenCL against the CPU scalar reference, with random inputs in [-1, 1] and odd sizes. */
class OpenClKernelsTest {
    private static Devices dev;

    @BeforeAll static void open() { dev = Devices.open(); }

    @AfterAll static void close() {
        if (dev != null) dev.close();
    }

    /** Runs f on both backends' tensors and compares the outputs. */
    private static void check(String what, double bound, Function<Backend, Tensor[]> inputs, Function<Tensor[], Tensor> f) {
        Tensor expected = f.apply(inputs.apply(dev.ref));
        Tensor actual = f.apply(inputs.apply(dev.cl));
        dev.assertClose(what, expected, actual, bound);
    }

    private static Tensor pick(Both b, Backend be) { return be == dev.cl ? b.cl() : b.ref(); }

    // ---- matmul ----

    @ParameterizedTest
    @ValueSource(strings = {"NN", "NT", "TN", "TT"})
    void matmulF32EveryFormBatched(String form) {
        boolean ta = form.charAt(0) == 'T', tb = form.charAt(1) == 'T';
        int m = 19, k = 37, n = 23;
        // a holds 6 matrices, b holds 3: matrix i of a meets i / 2 of b
        Both a = dev.randoms(2, 3, ta ? k : m, ta ? m : k);
        Both b = dev.randoms(3, tb ? n : k, tb ? k : n);
        check("matmul " + form, MATMUL_NMSE, be -> new Tensor[]{pick(a, be), pick(b, be)},
                t -> Ops.matmul(t[0], t[1], ta, tb));
    }

    @ParameterizedTest
    @ValueSource(strings = {"NN", "NT", "TN", "TT"})
    void matmulF32SharedRank2B(String form) {
        boolean ta = form.charAt(0) == 'T', tb = form.charAt(1) == 'T';
        int m = 33, k = 45, n = 17;
        Both a = dev.randoms(4, ta ? k : m, ta ? m : k);
        Both b = dev.randoms(tb ? n : k, tb ? k : n);
        check("matmul rank-2 b " + form, MATMUL_NMSE, be -> new Tensor[]{pick(a, be), pick(b, be)},
                t -> Ops.matmul(t[0], t[1], ta, tb));
    }

    @Test void matmulAcrossManyTilesAndBatches() {
        Both a = dev.randoms(3, 70, 100), b = dev.randoms(3, 100, 65);
        check("matmul 3 x [70, 100] x [100, 65]", MATMUL_NMSE, be -> new Tensor[]{pick(a, be), pick(b, be)},
                t -> Ops.matmul(t[0], t[1], false, false));
    }

    @Test void matmulWithEmptyInnerDimensionIsZero() {
        Tensor a = dev.cl.empty(DType.F32, 3, 0), b = dev.cl.empty(DType.F32, 0, 5), out = dev.cl.filled(DType.F32, 7f, 3, 5);
        dev.cl.kernels().matmul(a, b, out, false, false); // Ops.matmul itself divides by the empty K
        assertArrayEquals(new float[15], out.toFloats());
    }

    @Test void unsupportedCasesNameOpDTypeAndBackend() {
        Tensor q = dev.cl.fromFloats(DType.Q8_0, dev.random(64), 2, 32), a = dev.cl.fromFloats(dev.random(64), 2, 32);
        var e = assertThrows(UnsupportedOperationException.class,
                () -> dev.cl.kernels().matmul(a, q, dev.cl.empty(DType.F32, 2, 32), false, false));
        assertTrue(e.getMessage().contains("matmul") && e.getMessage().contains("Q8_0") && e.getMessage().contains("opencl"), e.getMessage());
        Tensor wide = dev.cl.fromFloats(dev.random(2 * 512), 1, 2, 512);
        assertThrows(UnsupportedOperationException.class, () -> Ops.attention(wide, wide, wide, 1f, 0));
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0"})
    void linearWeightEveryDTypeAndRowCount(DType dtype) {
        int n = 45, k = 96;
        Both w = dev.randoms(dtype, n, k);
        for (int rows : new int[]{1, 3, 37}) {
            Both x = dev.randoms(rows, k);
            check("linear " + dtype + " rows " + rows, MATMUL_NMSE, be -> new Tensor[]{pick(x, be), pick(w, be)},
                    t -> Ops.linear(t[0], t[1]));
        }
        Both batched = dev.randoms(2, 5, k);
        check("linear " + dtype + " batched", MATMUL_NMSE, be -> new Tensor[]{pick(batched, be), pick(w, be)},
                t -> Ops.linear(t[0], t[1]));
        Both transposedA = dev.randoms(3, k, 7);
        check("matmul transA with " + dtype + " weight", MATMUL_NMSE, be -> new Tensor[]{pick(transposedA, be), pick(w, be)},
                t -> Ops.matmul(t[0], t[1], true, true));
    }

    // ---- elementwise ----

    @Test void addAndMulBroadcast() {
        Both a = dev.randoms(3, 5, 33), full = dev.randoms(3, 5, 33), row = dev.randoms(33), plane = dev.randoms(5, 33);
        Both scalar = dev.randoms(1);
        for (Both b : new Both[]{full, row, plane, scalar}) {
            String shape = b.cl().shape().toString();
            check("add " + shape, ELEMENTWISE_NMSE, be -> new Tensor[]{pick(a, be), pick(b, be)}, t -> Ops.add(t[0], t[1]));
            check("mul " + shape, ELEMENTWISE_NMSE, be -> new Tensor[]{pick(a, be), pick(b, be)}, t -> Ops.mul(t[0], t[1]));
        }
    }

    @Test void unaryOps() {
        Both x = dev.randoms(7, 131), y = dev.randoms(7, 131);
        unary("scale", x, t -> Ops.scale(t, -2.5f));
        unary("silu", x, Ops::silu);
        binary("swiglu", x, y, Ops::swiglu);
        binary("silu_backward", x, y, (a, g) -> into(a, (k, out) -> k.kernels().siluBackward(a, g, out)));
    }

    @Test void swigluBackward() {
        Both gate = dev.randoms(5, 77), up = dev.randoms(5, 77), dy = dev.randoms(5, 77);
        for (int output = 0; output < 2; output++) {
            int which = output;
            check("swiglu_backward " + (which == 0 ? "dGate" : "dUp"), ELEMENTWISE_NMSE,
                    be -> new Tensor[]{pick(gate, be), pick(up, be), pick(dy, be)}, t -> {
                        Backend be = t[0].backend();
                        Tensor dg = be.empty(DType.F32, t[0].shape()), du = be.empty(DType.F32, t[0].shape());
                        be.kernels().swigluBackward(t[0], t[1], t[2], dg, du);
                        return which == 0 ? dg : du;
                    });
        }
    }

    @Test void elementwiseOutputMayAliasInputAtAnOffset() {
        float[] values = dev.random(3 * 50);
        Both b = dev.randoms(50);
        check("add in place on a slice", ELEMENTWISE_NMSE, be -> new Tensor[]{be.fromFloats(values, 3, 50), pick(b, be)}, t -> {
            Tensor middle = t[0].slice(1, 2);
            t[0].backend().kernels().add(middle, t[1], middle);
            return t[0];
        });
    }

    @Test void adamwSteps() {
        Both grad = dev.randoms(3, 41);
        check("adamw", ELEMENTWISE_NMSE, be -> new Tensor[]{pick(grad, be)}, t -> {
            Backend be = t[0].backend();
            Tensor p = be.fromFloats(new float[3 * 41], 3, 41), m = be.zeros(DType.F32, 3, 41), v = be.zeros(DType.F32, 3, 41);
            be.kernels().fill(p, 0.5f);
            for (int step = 1; step <= 3; step++) Ops.adamw(p, t[0], m, v, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.1f, step);
            return p;
        });
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16", "I32"})
    void fill(DType dtype) {
        Tensor t = dev.cl.filled(dtype, -3.25f, 3, 101);
        Tensor r = dev.ref.filled(dtype, -3.25f, 3, 101);
        assertArrayEquals(r.toFloats(), t.toFloats(), dtype + " fill");
    }

    // ---- row-wise ----

    @Test void rmsNormAndBackward() {
        Both x = dev.randoms(6, 1001), dy = dev.randoms(6, 1001);
        unary("rms_norm", x, t -> Ops.rmsNorm(t, 1e-5f));
        binary("rms_norm_backward", x, dy, (a, g) -> into(a, (k, out) -> k.kernels().rmsNormBackward(a, g, 1e-5f, out)));
    }

    @ParameterizedTest
    @EnumSource(RopeMode.class)
    void ropeForwardAndInverse(RopeMode mode) {
        Both x = dev.randoms(5, 3, 24);
        Both pos = dev.ints(new int[]{0, 7, 19, 3, 42}, 5);
        for (int nRot : new int[]{24, 16}) {
            for (boolean inverse : new boolean[]{false, true}) {
                check("rope " + mode + " nRot " + nRot + (inverse ? " inverse" : ""), ELEMENTWISE_NMSE,
                        be -> new Tensor[]{pick(x, be), pick(pos, be)},
                        t -> into(t[0], (be, out) -> be.kernels().rope(t[0], t[1], nRot, 10000f, mode, inverse, out)));
            }
        }
    }

    @Test void softmaxPlainAndCausalWithOffsets() {
        Both x = dev.randoms(2, 7, 300);
        unary("softmax", x, t -> Ops.softmax(t, 0.7f, false, 0));
        for (int offset : new int[]{0, 3, -2, 400}) {
            unary("causal softmax offset " + offset, x, t -> Ops.softmax(t, 1.3f, true, offset));
        }
        Both y = dev.floats(DType.F32, Ops.softmax(x.ref(), 1f, false, 0).toFloats(), 2, 7, 300), dy = dev.randoms(2, 7, 300);
        binary("softmax_backward", y, dy, (a, g) -> into(a, (k, out) -> k.kernels().softmaxBackward(a, g, 0.7f, out)));
    }

    @ParameterizedTest
    @EnumSource(ReduceOp.class)
    void reduce(ReduceOp op) {
        Both x = dev.randoms(9, 517);
        unary(op.name(), x, t -> Ops.reduce(t, op));
    }

    @Test void sumRowsAndExpandRows() {
        Both x = dev.randoms(37, 29), r = dev.randoms(37);
        unary("sum_rows", x, t -> into(t.backend().empty(DType.F32, 29), (be, out) -> be.kernels().sumRows(t, out)));
        unary("expand_rows", r, t -> into(t.backend().empty(DType.F32, 37, 29), (be, out) -> be.kernels().expandRows(t, 0.25f, out)));
    }

    // ---- losses ----

    @Test void crossEntropyAndBackward() {
        Both logits = dev.randoms(5, 1003);
        Both targets = dev.ints(dev.ids(5, 1003), 5);
        Both dLoss = dev.randoms(5);
        check("cross_entropy", ELEMENTWISE_NMSE, be -> new Tensor[]{pick(logits, be), pick(targets, be)},
                t -> Ops.crossEntropy(t[0], t[1]));
        check("cross_entropy_backward", ELEMENTWISE_NMSE, be -> new Tensor[]{pick(logits, be), pick(targets, be), pick(dLoss, be)},
                t -> into(t[0], (be, out) -> be.kernels().crossEntropyBackward(t[0], t[1], t[2], out)));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void klDivAndBackward(boolean reverse) {
        Both teacher = dev.randoms(4, 777), student = dev.randoms(4, 777), dLoss = dev.randoms(4);
        check("kl_div", ELEMENTWISE_NMSE, be -> new Tensor[]{pick(teacher, be), pick(student, be)},
                t -> Ops.klDiv(t[0], t[1], 1.7f, reverse));
        check("kl_div_backward", ELEMENTWISE_NMSE, be -> new Tensor[]{pick(teacher, be), pick(student, be), pick(dLoss, be)},
                t -> into(t[1], (be, out) -> be.kernels().klDivBackward(t[0], t[1], 1.7f, reverse, t[2], out)));
    }

    // ---- attention ----

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16"})
    void attentionGqa(DType kvType) {
        int hq = 8, hkv = 2, d = 64, s = 300;
        Both k = dev.randoms(kvType, s, hkv, d), v = dev.randoms(kvType, s, hkv, d);
        for (int[] tp : new int[][]{{5, 230}, {1, 299}, {3, 0}}) {
            Both q = dev.randoms(tp[0], hq, d);
            check("attention " + kvType + " T " + tp[0] + " pos0 " + tp[1], MATMUL_NMSE,
                    be -> new Tensor[]{pick(q, be), pick(k, be), pick(v, be)},
                    t -> Ops.attention(t[0], t[1], t[2], 0.125f, tp[1]));
        }
    }

    // ---- rows ----

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0"})
    void getRows(DType dtype) {
        Both table = dev.randoms(dtype, 41, 96);
        Both ids = dev.ints(new int[]{40, 0, 7, 7, 13, 22, 1}, 7);
        check("get_rows " + dtype, ELEMENTWISE_NMSE, be -> new Tensor[]{pick(table, be), pick(ids, be)}, t -> Ops.getRows(t[0], t[1]));
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16"})
    void setRowsIntoCache(DType dtype) {
        Both src = dev.randoms(3, 74);
        Both ids = dev.ints(new int[]{9, 2, 5}, 3);
        float[] cache = dev.random(12 * 74);
        check("set_rows " + dtype, ELEMENTWISE_NMSE, be -> new Tensor[]{pick(src, be), pick(ids, be), be.fromFloats(dtype, cache, 12, 74)},
                t -> {
                    Ops.setRows(t[0], t[1], t[2]);
                    return t[2];
                });
    }

    @Test void addRowsAccumulatesRepeatedIds() {
        Both src = dev.randoms(6, 53);
        Both ids = dev.ints(new int[]{4, 1, 4, 4, 0, 1}, 6);
        float[] base = dev.random(5 * 53);
        check("add_rows", ELEMENTWISE_NMSE, be -> new Tensor[]{pick(src, be), pick(ids, be), be.fromFloats(base, 5, 53)}, t -> {
            t[0].backend().kernels().addRows(t[0], t[1], t[2]);
            return t[2];
        });
    }

    // ---- copies ----

    @Test void copyStridedViewsWithConversion() {
        Both x = dev.randoms(4, 6, 35);
        for (DType to : new DType[]{DType.F32, DType.F16, DType.BF16}) {
            unary("transposed copy to " + to, x, t -> Ops.cast(t.transpose(0, 2), to));
            unary("narrowed copy to " + to, x, t -> Ops.cast(t.narrow(2, 3, 20).narrow(1, 1, 4), to));
        }
        Both h = dev.randoms(DType.F16, 4, 6, 35);
        unary("F16 permuted to BF16", h, t -> Ops.cast(t.permute(1, 0, 2), DType.BF16));
        Both rank6 = dev.randoms(2, 3, 2, 3, 2, 5);
        unary("rank-6 permuted copy", rank6, t -> Ops.contiguous(t.permute(5, 3, 1, 0, 2, 4)));
    }

    @Test void copyIntsAndQuantizedBytes() {
        Both ids = dev.ints(dev.ids(30, 1000), 5, 6);
        assertArrayEquals(Ops.contiguous(ids.ref().transpose(0, 1)).toInts(), Ops.contiguous(ids.cl().transpose(0, 1)).toInts(),
                "I32 transposed copy (seed " + dev.seed + ")");
        Tensor q = dev.cl.fromFloats(DType.Q4_0, dev.random(3 * 64), 3, 64);
        assertArrayEquals(q.toFloats(), Ops.contiguous(q).toFloats(), "Q4_0 contiguous copy");
    }

    // ---- helpers ----

    private static void unary(String what, Both x, Function<Tensor, Tensor> f) {
        check(what, ELEMENTWISE_NMSE, be -> new Tensor[]{pick(x, be)}, t -> f.apply(t[0]));
    }

    private static void binary(String what, Both x, Both y, BiFunction<Tensor, Tensor, Tensor> f) {
        check(what, ELEMENTWISE_NMSE, be -> new Tensor[]{pick(x, be), pick(y, be)}, t -> f.apply(t[0], t[1]));
    }

    /** A fresh F32 output shaped like {@code like}, filled by {@code kernel}. */
    private static Tensor into(Tensor like, java.util.function.BiConsumer<Backend, Tensor> kernel) {
        Tensor out = like.backend().empty(DType.F32, like.shape());
        kernel.accept(like.backend(), out);
        return out;
    }
}
