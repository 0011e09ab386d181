package dev.pocketlm.cli;

import dev.pocketlm.model.io.LoadedModel;
import dev.pocketlm.model.llama.Generator;
import dev.pocketlm.model.sample.SamplerSettings;
import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.KernelProfile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntPredicate;

/**
 * {@code pocket bench}: prompt processing and generation speed of a model, the weight bytes each generated token
 * streams, and the bandwidth that implies. Warm-up runs precede the measured ones until the JIT compiler is quiet
 * ({@link #QUIET_RUNS}). Where the backend can measure its
 * memory's read bandwidth, it does so before and after each measured run, and the fastest generation is reported
 * against the mean of the two readings around it: a shared machine's bandwidth moves within minutes, so a reading
 * taken once, apart from the run, can be off by half.
 */
@Command(name = "bench", description = "Measure prompt and generation tokens/s and achieved weight bandwidth.")
final class BenchCommand implements Callable<Integer> {
    /**
     * The JIT is quiet after this many runs in a row that spent under {@link #QUIET_SHARE} of their time compiling.
     * On two cores a C2 compile takes a core from the run: TinyLlama Q4_0 still compiled 100-370 ms per 1.3 s run
     * through the eighth, and those runs generated 15-20% slower than the ones after.
     */
    private static final int QUIET_RUNS = 2;
    private static final double QUIET_SHARE = 0.01;
    private static final int MAX_WARMUP = 30;

    @Mixin ModelOptions options;

    @Mixin KvCacheOption kvCache;

    @Option(names = "--prompt", defaultValue = "64", description = "Prompt tokens (default ${DEFAULT-VALUE}).") int promptTokens;

    @Option(names = "--gen", defaultValue = "32", description = "Generated tokens (default ${DEFAULT-VALUE}).") int genTokens;

    @Option(names = "--warmup", defaultValue = "3",
            description = "Unmeasured full runs first: at least this many (default ${DEFAULT-VALUE}), then more until two in a row "
                    + "spend under 1%% of their time in the JIT compiler, at most " + MAX_WARMUP + " in all; 0: none.") int warmup;

    @Option(names = "--repeat", defaultValue = "3", description = "Measured runs after the warm-up; the best is reported (default ${DEFAULT-VALUE}).") int repeat;

    @Option(names = "--json", description = "Print one JSON object.") boolean json;

    @Option(names = "--profile", description = "After the measured runs, profiled ones (until the JIT is quiet) with every kernel call "
            + "timed: where the prompt's and a generated token's time go.")
    boolean profile;

    @Override public Integer call() throws Exception {
        if (promptTokens < 1 || genTokens < 2) throw new IllegalArgumentException("--prompt must be at least 1 and --gen at least 2, got " + promptTokens + " and " + genTokens);
        if (warmup < 0 || repeat < 1) throw new IllegalArgumentException("--warmup must be at least 0 and --repeat at least 1, got " + warmup + " and " + repeat);
        DType kv = kvCache.dtype();
        try (Backend be = options.openBackend(); LoadedModel m = options.load(be)) {
            int vocab = m.model().config().vocabSize();
            SplittableRandom rng = new SplittableRandom(7);
            int[] prompt = new int[promptTokens];
            for (int i = 0; i < prompt.length; i++) prompt[i] = rng.nextInt(vocab);
            Generator gen = new Generator(m.model(), SamplerSettings.greedy(), kv);
            int warmupRuns = warmUp(be, gen, prompt);
            double bestPrompt = 0;
            Generator.Stats best = null;
            OptionalDouble readBefore = be.measureReadBandwidth(), readAroundBest = OptionalDouble.empty();
            StepCounters bestCounters = null;
            for (int r = 0; r < repeat; r++) {
                StepCounters counters = new StepCounters(be, genTokens);
                Generator.Stats s = gen.generate(prompt, genTokens, counters, null);
                OptionalDouble readAfter = be.measureReadBandwidth();
                bestPrompt = Math.max(bestPrompt, s.promptTokensPerSecond());
                if (best == null || s.generationTokensPerSecond() > best.generationTokensPerSecond()) {
                    best = s;
                    readAroundBest = mean(readBefore, readAfter);
                    bestCounters = counters;
                }
                readBefore = readAfter;
            }
            long weightBytes = m.model().weights().bytesPerToken();
            double bestGen = best.generationTokensPerSecond(), gbps = weightBytes * bestGen / 1e9;
            double readGbps = readAroundBest.orElse(Double.NaN) / 1e9, fraction = gbps / readGbps; // NaN without a probe
            double jobNanos = bestCounters.nanosPerStep();
            double parallelShare = jobNanos * bestGen / 1e9, parallelGbps = jobNanos > 0 ? weightBytes / jobNanos : Double.NaN;
            double heapPerToken = bestCounters.heapBytesPerStep();
            Profile kernels = profile ? profiledRuns(gen, prompt, weightBytes) : null;
            if (json) {
                System.out.printf(Locale.ROOT, "{\"model\": \"%s\", \"backend\": \"%s\", \"kv_type\": \"%s\", \"prompt_tokens\": %d, \"generated_tokens\": %d, "
                                + "\"prompt_tokens_per_s\": %.3f, \"generation_tokens_per_s\": %.3f, \"weight_bytes\": %d, \"achieved_gb_per_s\": %.3f, "
                                + "\"read_gb_per_s\": %s, \"bandwidth_fraction\": %s, \"parallel_share\": %s, \"parallel_gb_per_s\": %s, \"heap_bytes_per_token\": %s, "
                                + "\"warmup_runs\": %d%s}%n",
                        m.origin().replace("\\", "\\\\").replace("\"", "\\\""), be.name(), kv.name().toLowerCase(Locale.ROOT), promptTokens, genTokens, bestPrompt, bestGen, weightBytes, gbps,
                        jsonNumber(readGbps), jsonNumber(fraction), jsonNumber(parallelShare), jsonNumber(parallelGbps), jsonNumber(heapPerToken), warmupRuns,
                        kernels == null ? "" : ", \"profile\": " + kernels.json());
            } else {
                System.out.printf(Locale.ROOT, "%s on %s, KV cache %s, best of %d runs after %d warm-up runs%nprompt %d tokens: %.1f tokens/s%n"
                                + "generation %d tokens: %.2f tokens/s%nweights streamed per token: %.1f MiB; achieved %.2f GB/s%n",
                        m.origin(), be.name(), kv.name().toLowerCase(Locale.ROOT), repeat, warmupRuns, promptTokens, bestPrompt, genTokens, bestGen, weightBytes / 1048576.0, gbps);
                if (readAroundBest.isPresent()) {
                    System.out.printf(Locale.ROOT, "memory read bandwidth measured before and after that run: %.1f GB/s; generation streamed %.0f%% of it%n",
                            readGbps, 100 * fraction);
                }
                if (parallelGbps > 0) {
                    System.out.printf(Locale.ROOT, "parallel jobs took %.0f%% of a generated token's time (%.0f of %.0f us); the weights streamed at %.2f GB/s within them%s%n",
                            100 * parallelShare, jobNanos / 1e3, 1e6 / bestGen, parallelGbps,
                            readAroundBest.isPresent() ? String.format(Locale.ROOT, ", %.0f%% of the read", 100 * parallelGbps / readGbps) : "");
                }
                if (!Double.isNaN(heapPerToken)) {
                    System.out.printf(Locale.ROOT, "Java heap allocated per generated token, all threads: %.1f KB%n", heapPerToken / 1e3);
                }
                if (kernels != null) System.out.print(kernels.text());
            }
        }
        return 0;
    }

    /**
     * The backend's {@link Backend#parallelNanos} and the JVM's heap allocation ({@link HeapAllocation}) over a run's
     * generation: from the first generated token (sampled from the prompt's logits) to the last, so over the run's
     * {@code tokens - 1} decode steps. Parallel time is not counted where the backend runs no parallel jobs.
     */
    private static final class StepCounters implements IntPredicate {
        private final Backend backend;
        private final int tokens;
        private int seen;
        private long firstNanos, lastNanos, firstHeap, lastHeap;

        StepCounters(Backend backend, int tokens) {
            this.backend = backend;
            this.tokens = tokens;
        }

        @Override public boolean test(int token) {
            seen++;
            if (seen == 1) {
                firstNanos = backend.parallelNanos().orElse(0);
                firstHeap = HeapAllocation.total();
            }
            if (seen == tokens) {
                lastNanos = backend.parallelNanos().orElse(0);
                lastHeap = HeapAllocation.total();
            }
            return true;
        }

        /** Parallel-job nanoseconds per decode step; NaN where the backend counts none. */
        double nanosPerStep() { return backend.parallelNanos().isPresent() ? (double) (lastNanos - firstNanos) / (tokens - 1) : Double.NaN; }

        /** Java heap bytes allocated per decode step, by every thread; NaN where the JVM does not count them. */
        double heapBytesPerStep() { return firstHeap < 0 ? Double.NaN : (double) (lastHeap - firstHeap) / (tokens - 1); }
    }

    /** A profiled run's two phases. */
    private record Profile(PhaseProfile prompt, PhaseProfile generation) {
        String text() {
            return prompt.text(String.format(Locale.ROOT, "time by kernel in a run after the measured ones, each kernel call timed:%nthe prompt, %.1f ms:",
                    prompt.stepNanos() / 1e6))
                    + generation.text(String.format(Locale.ROOT, "a generated token, %.1f us (%.2f tokens/s):", generation.stepNanos() / 1e3,
                    1e9 / generation.stepNanos()));
        }

        String json() { return "{\"prompt\": " + prompt.json() + ", \"generation\": " + generation.json() + "}"; }
    }

    /**
     * Profiled runs ({@link KernelProfile}), the prompt and the generation apart, until one keeps the JIT quiet as
     * {@link #warmUp} does (the first compiles the profile's path through the kernels), at most {@link #MAX_WARMUP}:
     * the last one's profile.
     */
    private Profile profiledRuns(Generator gen, int[] prompt, long weightBytes) {
        Profile last = null;
        for (int runs = 0; runs < MAX_WARMUP; runs++) {
            Profile[] run = new Profile[1];
            boolean quiet = quiet(() -> run[0] = profiledRun(gen, prompt, weightBytes));
            last = run[0];
            if (quiet && runs > 0) break;
        }
        return last;
    }

    private Profile profiledRun(Generator gen, int[] prompt, long weightBytes) {
        AtomicReference<List<KernelProfile.Entry>> promptKernels = new AtomicReference<>();
        KernelProfile.start();
        Generator.Stats s;
        try {
            s = gen.generate(prompt, genTokens, id -> {
                if (promptKernels.get() == null) { // the prompt's step is done: generation steps from here on
                    promptKernels.set(KernelProfile.stop());
                    KernelProfile.start();
                }
                return true;
            }, null);
        } catch (RuntimeException | Error e) {
            KernelProfile.stop();
            throw e;
        }
        List<KernelProfile.Entry> generation = KernelProfile.stop();
        int steps = s.generatedTokens() - 1; // the first token came with the prompt's step
        return new Profile(new PhaseProfile(promptKernels.get(), 1, s.promptSeconds() * 1e9, 0),
                new PhaseProfile(generation, steps, s.generationSeconds() * 1e9 / steps, weightBytes));
    }

    /** Runs {@link #warmup} runs or more, until the JIT is quiet (see {@link #QUIET_RUNS}); returns how many. */
    private int warmUp(Backend backend, Generator gen, int[] prompt) {
        int runs = 0;
        for (int quiet = 0; runs < warmup || (warmup > 0 && quiet < QUIET_RUNS && runs < MAX_WARMUP); runs++) {
            boolean quietRun = quiet(() -> {
                gen.generate(prompt, genTokens, id -> true, null);
                backend.measureReadBandwidth(); // its loop is compiled by the measured runs too
            });
            quiet = quietRun ? quiet + 1 : 0;
        }
        return runs;
    }

    /** Runs {@code run}; whether it spent under {@link #QUIET_SHARE} of its time in the JIT compiler (true where that is not measured). */
    private static boolean quiet(Runnable run) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean watch = jit != null && jit.isCompilationTimeMonitoringSupported();
        long compiling = watch ? jit.getTotalCompilationTime() : 0, start = System.nanoTime();
        run.run();
        double millis = (System.nanoTime() - start) / 1e6;
        return !watch || jit.getTotalCompilationTime() - compiling < QUIET_SHARE * millis;
    }

    /** A JSON number with three decimals, or null for NaN (a backend without a read probe). */
    static String jsonNumber(double v) { return Double.isNaN(v) ? "null" : String.format(Locale.ROOT, "%.3f", v); }

    /** The mean of two readings of one probe (both present, or both empty when the backend has none). */
    private static OptionalDouble mean(OptionalDouble a, OptionalDouble b) {
        return a.isPresent() && b.isPresent() ? OptionalDouble.of((a.getAsDouble() + b.getAsDouble()) / 2) : OptionalDouble.empty();
    }
}
