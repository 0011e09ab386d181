package dev.pocketlm.bench;

import java.util.Arrays;
import java.util.List;

/** Medians and quantiles of the rounds the alternating tools ({@link SwitchAB}, {@link JobOverhead}, {@link ReadPatterns}) measure. */
final class Quantiles {
    private Quantiles() {}

    static double median(double[] values) { return quantile(values, 0.5); }

    static double median(List<Double> values) { return quantile(values, 0.5); }

    /** The value at rank round(q (n - 1)) of the sorted values. */
    static double quantile(double[] values, double q) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[(int) Math.round(q * (sorted.length - 1))];
    }

    static double quantile(List<Double> values, double q) {
        return quantile(values.stream().mapToDouble(Double::doubleValue).toArray(), q);
    }
}
