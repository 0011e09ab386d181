package dev.pocketlm.tests;

import java.util.List;

/** Judges one backend's output against the expected values: non-finite values, guard bytes, then normalized MSE. */
public final class Comparison {
    private Comparison() {}

    /** What a check found: whether it passed, the error measured (nmse, or a gradient's relative error), why not. */
    public record Verdict(boolean passed, double error, String detail) {}

    /** {@code sum((e-a)^2) / sum(e^2)}; the plain squared error when the expected values are all zero. */
    public static double nmse(float[] expected, float[] actual) {
        double err = 0, norm = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = (double) expected[i] - actual[i];
            err += d * d;
            norm += (double) expected[i] * expected[i];
        }
        return norm == 0 ? err : err / norm;
    }

    /** Index of the first NaN or infinity, or -1. */
    public static int firstNonFinite(float[] v) {
        for (int i = 0; i < v.length; i++) if (!Float.isFinite(v[i])) return i;
        return -1;
    }

    public static Verdict judge(float[] expected, float[] actual, List<String> guardViolations, double bound) {
        if (actual.length != expected.length) {
            return new Verdict(false, Double.NaN, "output has " + actual.length + " values, expected " + expected.length);
        }
        int bad = firstNonFinite(actual);
        if (bad >= 0) return new Verdict(false, Double.NaN, "non-finite output " + actual[bad] + " at index " + bad);
        if (!guardViolations.isEmpty()) return new Verdict(false, Double.NaN, String.join("; ", guardViolations));
        double e = nmse(expected, actual);
        if (!(e <= bound)) {
            return new Verdict(false, e, String.format("nmse %.3g > bound %.1g (%s)", e, bound, worstElement(expected, actual)));
        }
        return new Verdict(true, e, "");
    }

    private static String worstElement(float[] expected, float[] actual) {
        int worst = 0;
        for (int i = 1; i < expected.length; i++) {
            if (Math.abs(expected[i] - actual[i]) > Math.abs(expected[worst] - actual[worst])) worst = i;
        }
        return "worst at index " + worst + ": expected " + expected[worst] + ", got " + actual[worst];
    }
}
