package dev.pocketlm.bench;

import dev.pocketlm.cpu.CpuThreads;
import dev.pocketlm.tensor.DType;

import static dev.pocketlm.bench.Quantiles.median;
import static dev.pocketlm.bench.Quantiles.quantile;

import java.util.Locale;

/**
 * What a matvec job costs beyond its bytes: the same weights (copies of a 5632 x 2048 matrix, TinyLlama's gate) run as
 * one job per matrix, or split by rows into 2, 4 and 8 matrices of a job each, the four forms alternating in one JVM.
 * The extra time per extra job is split into the caller's serial part (the call's setup and the activations'
 * quantization before the job is handed out) and the parallel part ({@link CpuThreads#parallelNanos}: the threads'
 * start, the streams' ramp and the end). With the default 48 copies (312 MB at Q4_0) the weights come from DRAM, as
 * a token's do; with {@code -Dcopies=2} they stay in L3.
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar \
 *     dev.pocketlm.bench.JobOverhead Q4_0 16
 * </pre>
 * Arguments: dtype, rounds.
 */
public final class JobOverhead {
    private static final int[] SPLITS = {1, 2, 4, 8};
    private static final int ROWS = 5632, COLUMNS = 2048;
    private static final long ROUND_MILLIS = 400;

    private JobOverhead() {}

    public static void main(String[] args) {
        DType dtype = DType.valueOf(args[0]);
        int rounds = Integer.parseInt(args[1]), copies = Integer.getInteger("copies", 48);
        TokenMatvecs[] forms = new TokenMatvecs[SPLITS.length];
        for (int i = 0; i < SPLITS.length; i++) {
            forms[i] = new TokenMatvecs("cpu", dtype, copies * SPLITS[i], new int[][]{{ROWS / SPLITS[i], COLUMNS}}, 1);
        }
        for (TokenMatvecs form : forms) passes(form, 4 * ROUND_MILLIS); // JIT, packing
        double[][] total = new double[SPLITS.length][rounds], parallel = new double[SPLITS.length][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int j = 0; j < SPLITS.length; j++) {
                int i = r % 2 == 0 ? j : SPLITS.length - 1 - j;
                long before = CpuThreads.shared().parallelNanos();
                Passes timed = passes(forms[i], ROUND_MILLIS);
                total[i][r] = timed.micros();
                parallel[i][r] = (CpuThreads.shared().parallelNanos() - before) / 1e3 / timed.count();
            }
        }
        System.out.printf(Locale.ROOT, "%s, %d copies of %dx%d (%.1f MB), medians of %d rounds:%n", dtype, copies, ROWS, COLUMNS,
                forms[0].weightBytes() / 1e6, rounds);
        for (int i = 0; i < SPLITS.length; i++) {
            int jobs = copies * SPLITS[i];
            double us = median(total[i]), par = median(parallel[i]);
            System.out.printf(Locale.ROOT, "  %3d jobs: %8.1f us a pass (%.1f GB/s): %.1f parallel, %.1f serial; a job %.2f parallel, %.2f serial%n",
                    jobs, us, forms[i].weightBytes() / us / 1e3, par, us - par, par / jobs, (us - par) / jobs);
        }
        for (int i = 1; i < SPLITS.length; i++) {
            double[] all = new double[rounds], serial = new double[rounds];
            double extra = copies * (SPLITS[i] - 1.0);
            for (int r = 0; r < rounds; r++) {
                all[r] = (total[i][r] - total[0][r]) / extra;
                serial[r] = (total[i][r] - parallel[i][r] - total[0][r] + parallel[0][r]) / extra;
            }
            System.out.printf(Locale.ROOT, "  split %d: each extra job adds %.2f us (quartiles %.2f-%.2f), %.2f of it serial%n", SPLITS[i],
                    median(all), quantile(all, 0.25), quantile(all, 0.75), median(serial));
        }
        for (TokenMatvecs form : forms) form.close();
    }

    /** Passes of a form: how many, and microseconds each. */
    private record Passes(int count, double micros) {}

    /** Passes of {@code form} for about {@code millis}. */
    private static Passes passes(TokenMatvecs form, long millis) {
        long start = System.nanoTime();
        int passes = 0;
        while (System.nanoTime() - start < millis * 1_000_000L) {
            form.token();
            passes++;
        }
        return new Passes(passes, (System.nanoTime() - start) / 1e3 / passes);
    }
}
