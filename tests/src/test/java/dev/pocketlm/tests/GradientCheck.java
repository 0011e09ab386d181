package dev.pocketlm.tests;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Ops;
import dev.pocketlm.tensor.Scope;
import dev.pocketlm.tensor.Tape;
import dev.pocketlm.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static dev.pocketlm.tests.HostData.uniform;

/**
 * Finite-difference check of a backward rule through {@link Ops} and {@link Tape}: the scalar loss
 * {@code L = sum(f(params) * W)} for fixed random W is differentiated by the tape and by central differences.
 */
public final class GradientCheck {
    /**
     * Relative error bound on the gradient vector. Central differences in float with step 1e-2 err by
     * O(h^2) (about 1e-4 relative) plus rounding eps|L|/h (about 1e-5 |L|); a wrong rule errs by far more:
     * a sign error gives 2, a missing term or wrong factor 0.1 or more.
     */
    public static final double BOUND = 1e-2;
    private static final float STEP = 1e-2f;
    /** Coordinates differenced per parameter; larger parameters are sampled. */
    private static final int MAX_COORDINATES = 48;

    /** A differentiable function of F32 parameters, built on one backend (constants it needs upload themselves). */
    @FunctionalInterface
    public interface Forward {
        Tensor apply(Backend be, List<Tensor> params);
    }

    public record Param(float[] values, int... dims) {}

    /** A backward rule under test: the forward that exercises it and the point to differentiate at. */
    public record Rule(String name, String shapes, List<Param> params, Forward forward) {}

    private GradientCheck() {}

    /** Compares tape and finite-difference gradients of every parameter on {@code be}. */
    public static Comparison.Verdict check(Backend be, Rule rule, SplittableRandom rnd) {
        try (Scope ignored = be.scope()) {
            float[][] point = new float[rule.params().size()][];
            for (int i = 0; i < point.length; i++) point[i] = rule.params().get(i).values().clone();
            float[] weights = uniform(rnd, outputs(be, rule, point).length);

            double errSq = 0, refSq = 0;
            StringBuilder worst = new StringBuilder();
            double worstErr = -1;
            List<float[]> analytic = tapeGradients(be, rule, weights);
            for (int p = 0; p < point.length; p++) {
                float[] g = analytic.get(p);
                for (int idx : coordinates(point[p].length, rnd)) {
                    double numeric = centralDifference(be, rule, point, p, idx, weights);
                    double e = g[idx] - numeric;
                    errSq += e * e;
                    refSq += Math.max(numeric * numeric, (double) g[idx] * g[idx]);
                    if (Math.abs(e) > worstErr) {
                        worstErr = Math.abs(e);
                        worst.setLength(0);
                        worst.append("param ").append(p).append(" index ").append(idx)
                                .append(": tape ").append(g[idx]).append(", finite difference ").append((float) numeric);
                    }
                }
            }
            double rel = Math.sqrt(errSq / Math.max(refSq, 1e-30));
            if (!Double.isFinite(rel) || rel > BOUND) {
                return new Comparison.Verdict(false, rel, String.format("relative gradient error %.3g > %.0e (%s)", rel, BOUND, worst));
            }
            return new Comparison.Verdict(true, rel, "");
        }
    }

    /** d L / d params through the tape, L = sum(f * W). */
    private static List<float[]> tapeGradients(Backend be, Rule rule, float[] weights) {
        List<Tensor> params = new ArrayList<>();
        for (Param p : rule.params()) params.add(be.fromFloats(p.values(), p.dims()).requireGrad());
        try (Tape tape = Tape.record()) {
            Tensor out = rule.forward().apply(be, params);
            Tensor loss = Ops.sum(Ops.mul(out, be.fromFloats(weights, out.shape().dims())));
            tape.backward(loss);
        }
        List<float[]> grads = new ArrayList<>();
        for (Tensor p : params) {
            if (p.grad() == null) throw new IllegalStateException(rule.name() + ": the tape gave no gradient for a parameter " + p.describe());
            grads.add(p.grad().toFloats());
            p.zeroGrad();
        }
        return grads;
    }

    private static double centralDifference(Backend be, Rule rule, float[][] point, int p, int idx, float[] weights) {
        float x = point[p][idx];
        float plus = x + STEP, minus = x - STEP;
        point[p][idx] = plus;
        double lossPlus = loss(outputs(be, rule, point), weights);
        point[p][idx] = minus;
        double lossMinus = loss(outputs(be, rule, point), weights);
        point[p][idx] = x;
        return (lossPlus - lossMinus) / ((double) plus - minus);
    }

    /** The forward's output at {@code point}, without recording (the loss is then summed in double on the host). */
    private static float[] outputs(Backend be, Rule rule, float[][] point) {
        try (Scope ignored = be.scope()) {
            List<Tensor> params = new ArrayList<>();
            for (int i = 0; i < point.length; i++) params.add(be.fromFloats(point[i], rule.params().get(i).dims()));
            return rule.forward().apply(be, params).toFloats();
        }
    }

    private static double loss(float[] out, float[] weights) {
        double s = 0;
        for (int i = 0; i < out.length; i++) s += (double) out[i] * weights[i];
        return s;
    }

    private static int[] coordinates(int n, SplittableRandom rnd) {
        if (n <= MAX_COORDINATES) {
            int[] all = new int[n];
            for (int i = 0; i < n; i++) all[i] = i;
            return all;
        }
        return HostData.distinctIds(rnd, MAX_COORDINATES, n);
    }
}
