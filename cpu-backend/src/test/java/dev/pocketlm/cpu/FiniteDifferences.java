package dev.pocketlm.cpu;

import java.util.Random;
import java.util.function.ToDoubleFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Gradient checks: central differences of a scalar loss computed by the float kernels, formed in double. */
final class FiniteDifferences {
    private static final float STEP = 1e-2f;
    private static final double RELATIVE_TOLERANCE = 1e-2;

    private FiniteDifferences() {}

    /** d loss / d x[i] for every i, dividing by the step the float perturbation actually took. */
    static double[] gradient(float[] x, ToDoubleFunction<float[]> loss) {
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            float[] plus = x.clone(), minus = x.clone();
            plus[i] = x[i] + STEP;
            minus[i] = x[i] - STEP;
            g[i] = (loss.applyAsDouble(plus) - loss.applyAsDouble(minus)) / ((double) plus[i] - minus[i]);
        }
        return g;
    }

    /** sum(w * y) in double: turns a vector output into a scalar whose gradient wrt y is w. */
    static double weightedSum(float[] w, float[] y) {
        assertEquals(w.length, y.length, "weights and outputs differ in length");
        double s = 0;
        for (int i = 0; i < w.length; i++) s += (double) w[i] * y[i];
        return s;
    }

    /** Each analytic entry within 1% of the numeric one (or of a tenth of the largest, for entries near 0). */
    static void assertGradient(String what, double[] numeric, float[] analytic) {
        assertEquals(numeric.length, analytic.length, what + ": gradient length");
        double scale = 0;
        for (double v : numeric) scale = Math.max(scale, Math.abs(v));
        assertTrue(scale > 1e-6, what + ": the numeric gradient is zero, so the check would prove nothing");
        for (int i = 0; i < numeric.length; i++) {
            double tolerance = RELATIVE_TOLERANCE * Math.max(Math.abs(numeric[i]), 0.1 * scale);
            assertEquals(numeric[i], analytic[i], tolerance, what + "[" + i + "]");
        }
    }

    /** n values uniform in [-1, 1). */
    static float[] uniform(long seed, int n) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = r.nextFloat() * 2 - 1;
        return v;
    }
}
