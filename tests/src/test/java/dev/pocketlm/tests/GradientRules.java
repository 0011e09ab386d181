package dev.pocketlm.tests;

import dev.pocketlm.tensor.Ops;
import dev.pocketlm.tensor.ReduceOp;
import dev.pocketlm.tensor.RopeMode;
import dev.pocketlm.tests.GradientCheck.Forward;
import dev.pocketlm.tests.GradientCheck.Param;
import dev.pocketlm.tests.GradientCheck.Rule;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static dev.pocketlm.tests.HostData.distinctIds;
import static dev.pocketlm.tests.HostData.ids;
import static dev.pocketlm.tests.HostData.size;
import static dev.pocketlm.tests.HostData.uniform;

/** Every backward rule of {@link Ops}, each as a small forward at a random point (drawn once, shared by all backends). */
public final class GradientRules {
    private final SplittableRandom rnd;
    private final List<Rule> rules = new ArrayList<>();

    private GradientRules(SplittableRandom rnd) { this.rnd = rnd; }

    public static List<Rule> all(SplittableRandom rnd) {
        GradientRules r = new GradientRules(rnd);
        r.matmuls();
        r.elementwise();
        r.normsAndRope();
        r.softmaxes();
        r.rowsAndViews();
        r.reductionsAndLosses();
        return List.copyOf(r.rules);
    }

    private Param param(int... dims) { return new Param(uniform(rnd, size(dims)), dims); }

    private void rule(String name, Forward forward, Param... params) {
        StringBuilder shapes = new StringBuilder();
        for (Param p : params) shapes.append(shapes.isEmpty() ? "" : " ").append(HostData.format(p.dims()));
        rules.add(new Rule(name, shapes.toString(), List.of(params), forward));
    }

    private void matmuls() {
        rule("matmul NN", (be, p) -> Ops.matmul(p.get(0), p.get(1), false, false), param(3, 4), param(4, 5));
        rule("matmul TN", (be, p) -> Ops.matmul(p.get(0), p.get(1), true, false), param(4, 3), param(4, 5));
        rule("matmul NT", (be, p) -> Ops.matmul(p.get(0), p.get(1), false, true), param(3, 4), param(5, 4));
        rule("matmul TT", (be, p) -> Ops.matmul(p.get(0), p.get(1), true, true), param(4, 3), param(5, 4));
        rule("matmul batched broadcast NN", (be, p) -> Ops.matmul(p.get(0), p.get(1), false, false), param(4, 3, 4), param(2, 4, 5));
        rule("matmul batched broadcast NT", (be, p) -> Ops.matmul(p.get(0), p.get(1), false, true), param(4, 3, 4), param(2, 5, 4));
        rule("matmul batched TN, 2-D b", (be, p) -> Ops.matmul(p.get(0), p.get(1), true, false), param(2, 4, 3), param(4, 5));
        rule("matmul rows x 2-D b", (be, p) -> Ops.matmul(p.get(0), p.get(1), false, false), param(2, 3, 4), param(4, 5));
    }

    private void elementwise() {
        for (int[] b : new int[][]{{2, 3, 4}, {3, 4}, {4}}) {
            String kind = b.length == 3 ? "" : " broadcast";
            rule("add" + kind, (be, p) -> Ops.add(p.get(0), p.get(1)), param(2, 3, 4), param(b));
            rule("mul" + kind, (be, p) -> Ops.mul(p.get(0), p.get(1)), param(2, 3, 4), param(b));
        }
        rule("scale", (be, p) -> Ops.scale(p.get(0), -1.7f), param(3, 5));
        rule("silu", (be, p) -> Ops.silu(Ops.scale(p.get(0), 3f)), param(3, 5));
        rule("swiglu", (be, p) -> Ops.swiglu(Ops.scale(p.get(0), 3f), p.get(1)), param(3, 5), param(3, 5));
    }

    private void normsAndRope() {
        rule("rms_norm", (be, p) -> Ops.rmsNorm(p.get(0), 1e-5f), param(3, 8));
        rule("rms_norm weighted", (be, p) -> Ops.rmsNorm(p.get(0), p.get(1), 1e-5f), param(3, 8), param(8));
        int[] pos = ids(rnd, 3, 200);
        rule("rope NORMAL", (be, p) -> Ops.rope(p.get(0), be.fromInts(pos, 3), 8, 10000f, RopeMode.NORMAL), param(3, 2, 8));
        rule("rope NEOX partial", (be, p) -> Ops.rope(p.get(0), be.fromInts(pos, 3), 6, 10000f, RopeMode.NEOX), param(3, 2, 8));
    }

    private void softmaxes() {
        rule("softmax", (be, p) -> Ops.softmax(Ops.scale(p.get(0), 2f)), param(3, 6));
        rule("softmax causal", (be, p) -> Ops.softmax(p.get(0), 2.5f, true, 2), param(2, 5, 7));
    }

    private void rowsAndViews() {
        int[] ids = {1, 4, 1, 0};
        rule("get_rows", (be, p) -> Ops.getRows(p.get(0), be.fromInts(ids, ids.length)), param(6, 5));
        rule("reshape/permute/contiguous",
                (be, p) -> Ops.mul(Ops.contiguous(Ops.reshape(Ops.permute(p.get(0), 2, 0, 1), 4, 6)), p.get(1)),
                param(2, 3, 4), param(4, 6));
    }

    private void reductionsAndLosses() {
        rule("reduce SUM", (be, p) -> Ops.reduce(p.get(0), ReduceOp.SUM), param(3, 7));
        rule("reduce MEAN", (be, p) -> Ops.reduce(p.get(0), ReduceOp.MEAN), param(3, 7));
        int[] targets = distinctIds(rnd, 4, 9);
        rule("cross_entropy", (be, p) -> Ops.crossEntropy(Ops.scale(p.get(0), 3f), be.fromInts(targets, 4)), param(4, 9));
        float[] teacher = uniform(rnd, 4 * 9, -3f, 3f);
        for (boolean reverse : new boolean[]{false, true}) {
            for (float temperature : new float[]{1f, 2f}) {
                Forward kl = (be, p) -> Ops.klDiv(be.fromFloats(teacher, 4, 9), Ops.scale(p.get(0), 3f), temperature, reverse);
                rule("kl_div" + (reverse ? " reverse" : "") + " T " + temperature, kl, param(4, 9));
            }
        }
    }
}
