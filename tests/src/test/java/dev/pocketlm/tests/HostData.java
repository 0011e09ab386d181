package dev.pocketlm.tests;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.SplittableRandom;

/** Random host inputs and the run's seed: fresh each run, fixed with {@code -Dpocket.seed}. */
public final class HostData {
    public static final String SEED_PROPERTY = "pocket.seed";

    private HostData() {}

    /** The base seed of this run: {@code -Dpocket.seed} when given, otherwise a fresh one. */
    public static long baseSeed() {
        String forced = System.getProperty(SEED_PROPERTY);
        if (forced != null && !forced.isBlank()) return Long.parseLong(forced.trim());
        return new SecureRandom().nextLong();
    }

    /** The seed of the {@code index}-th case, so one case reproduces the same inputs on every backend. */
    public static long caseSeed(long base, int index) {
        return base + 0x9E3779B97F4A7C15L * (index + 1);
    }

    /** n values uniform in [-1, 1). */
    public static float[] uniform(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = rnd.nextFloat() * 2f - 1f;
        return v;
    }

    /** n values uniform in [lo, hi). */
    public static float[] uniform(SplittableRandom rnd, int n, float lo, float hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = lo + rnd.nextFloat() * (hi - lo);
        return v;
    }

    /** n ids in [0, bound), repeats allowed. */
    public static int[] ids(SplittableRandom rnd, int n, int bound) {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) v[i] = rnd.nextInt(bound);
        return v;
    }

    /** n distinct ids in [0, bound) in random order (set_rows with repeated ids has no defined result). */
    public static int[] distinctIds(SplittableRandom rnd, int n, int bound) {
        int[] all = new int[bound];
        for (int i = 0; i < bound; i++) all[i] = i;
        for (int i = 0; i < n; i++) {
            int j = i + rnd.nextInt(bound - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        return Arrays.copyOf(all, n);
    }

    /** The consecutive positions {@code first .. first+n-1}. */
    public static int[] range(int first, int n) {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) v[i] = first + i;
        return v;
    }

    /** A shape as the report prints it, e.g. {@code [7, 13]}. */
    public static String format(int... dims) { return Arrays.toString(dims); }

    public static int size(int... dims) {
        int n = 1;
        for (int d : dims) n *= d;
        return n;
    }
}
