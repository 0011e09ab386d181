package dev.pocketlm.bench;

import dev.pocketlm.model.io.LoadedModel;
import dev.pocketlm.model.io.ModelFiles;
import dev.pocketlm.model.llama.Generator;
import dev.pocketlm.model.sample.SamplerSettings;
import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Backends;
import dev.pocketlm.tensor.DType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A runtime switch (a system property the backend reads per call, such as {@code pocket.cpu.readAhead}) on and off in
 * one process, one build: generation runs alternate between the two settings, each after an unmeasured run in the
 * same setting, the order swapped every round, so the memory's drift over minutes and the JIT's state cancel. Effects
 * of a few percent, which separate processes and even {@link SameJvmBench}'s rounds bury in this VM's noise, show as
 * the share of rounds won and the median ratio:
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar dev.pocketlm.bench.SwitchAB \
 *     models/tinyllama-1.1b-q4_0.gguf pocket.cpu.readAhead 50 32
 * </pre>
 * Arguments: model, property, rounds, generated tokens per run, and optionally the prompt's tokens (16 by default; 1000
 * measures generation at long context).
 */
public final class SwitchAB {
    private static final int PROMPT_TOKENS = 16, WARMUP_RUNS = 16;

    public static void main(String[] args) throws Exception {
        if (args.length != 4 && args.length != 5) {
            System.err.println("usage: SwitchAB MODEL PROPERTY ROUNDS GEN [PROMPT]");
            System.exit(2);
        }
        String property = args[1];
        int rounds = Integer.parseInt(args[2]), gen = Integer.parseInt(args[3]);
        int promptTokens = args.length == 5 ? Integer.parseInt(args[4]) : PROMPT_TOKENS;
        try (Backend backend = Backends.open("cpu"); LoadedModel model = ModelFiles.load(Path.of(args[0]), backend)) {
            SplittableRandom random = new SplittableRandom(7);
            int[] prompt = random.ints(promptTokens, 0, model.model().config().vocabSize()).toArray();
            Generator generator = new Generator(model.model(), SamplerSettings.greedy(), DType.F32);
            for (int run = 0; run < WARMUP_RUNS; run++) tokensPerSecond(generator, prompt, gen, property, run % 2 == 0);
            List<Double> on = new ArrayList<>(), off = new ArrayList<>(), ratios = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                boolean onFirst = round % 2 == 0;
                double first = tokensPerSecond(generator, prompt, gen, property, onFirst);
                double second = tokensPerSecond(generator, prompt, gen, property, !onFirst);
                on.add(onFirst ? first : second);
                off.add(onFirst ? second : first);
                ratios.add(on.getLast() / off.getLast());
            }
            long won = ratios.stream().filter(r -> r > 1).count();
            System.out.printf(Locale.ROOT, "%s on against off, %d rounds of %d tokens: on faster in %d; tokens/s median %.2f against %.2f; "
                            + "ratio quartiles %.3f / %.3f / %.3f%n", property, rounds, gen, won, Quantiles.median(on), Quantiles.median(off),
                    Quantiles.quantile(ratios, 0.25), Quantiles.median(ratios), Quantiles.quantile(ratios, 0.75));
        } finally {
            System.clearProperty(property);
        }
    }

    /** Generation tokens/s of a measured run with the switch set, after an unmeasured one (whose state the switch may carry). */
    private static double tokensPerSecond(Generator generator, int[] prompt, int gen, String property, boolean on) {
        System.setProperty(property, Boolean.toString(on));
        generator.generate(prompt, gen, id -> true, null);
        return generator.generate(prompt, gen, id -> true, null).generationTokensPerSecond();
    }
}
