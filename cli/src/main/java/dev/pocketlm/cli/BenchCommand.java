package dev.pocketlm.cli;

import dev.pocketlm.model.io.LoadedModel;
import dev.pocketlm.model.llama.Generator;
import dev.pocketlm.model.sample.SamplerSettings;
import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code pocket bench}: prompt processing and generation speed of a model, the weight bytes each generated token
 * streams, and the bandwidth that implies. A warm-up run precedes the measured one.
 */
@Command(name = "bench", description = "Measure prompt and generation tokens/s and achieved weight bandwidth.")
final class BenchCommand implements Callable<Integer> {

    @Mixin ModelOptions options;

    @Option(names = "--prompt", defaultValue = "64", description = "Prompt tokens (default ${DEFAULT-VALUE}).") int promptTokens;

    @Option(names = "--gen", defaultValue = "32", description = "Generated tokens (default ${DEFAULT-VALUE}).") int genTokens;

    @Option(names = "--warmup", defaultValue = "3",
            description = "Unmeasured full runs first (default ${DEFAULT-VALUE}): the JIT compiles the kernels meanwhile.") int warmup;

    @Option(names = "--repeat", defaultValue = "3", description = "Measured runs after the warm-up; the best is reported (default ${DEFAULT-VALUE}).") int repeat;

    @Option(names = "--json", description = "Print one JSON object.") boolean json;

    @Override public Integer call() throws Exception {
        if (promptTokens < 1 || genTokens < 2) throw new IllegalArgumentException("--prompt must be at least 1 and --gen at least 2, got " + promptTokens + " and " + genTokens);
        if (warmup < 0 || repeat < 1) throw new IllegalArgumentException("--warmup must be at least 0 and --repeat at least 1, got " + warmup + " and " + repeat);
        try (Backend be = options.openBackend(); LoadedModel m = options.load(be)) {
            int vocab = m.model().config().vocabSize();
            SplittableRandom rng = new SplittableRandom(7);
            int[] prompt = new int[promptTokens];
            for (int i = 0; i < prompt.length; i++) prompt[i] = rng.nextInt(vocab);
            Generator gen = new Generator(m.model(), SamplerSettings.greedy(), DType.F32);
            for (int w = 0; w < warmup; w++) gen.generate(prompt, genTokens, id -> true, null);
            double bestPrompt = 0, bestGen = 0;
            for (int r = 0; r < repeat; r++) {
                Generator.Stats s = gen.generate(prompt, genTokens, id -> true, null);
                bestPrompt = Math.max(bestPrompt, s.promptTokensPerSecond());
                bestGen = Math.max(bestGen, s.generationTokensPerSecond());
            }
            long weightBytes = m.model().weights().bytes();
            double gbps = weightBytes * bestGen / 1e9;
            if (json) {
                System.out.printf(Locale.ROOT, "{\"model\": \"%s\", \"backend\": \"%s\", \"prompt_tokens\": %d, \"generated_tokens\": %d, "
                                + "\"prompt_tokens_per_s\": %.3f, \"generation_tokens_per_s\": %.3f, \"weight_bytes\": %d, \"achieved_gb_per_s\": %.3f}%n",
                        m.origin().replace("\\", "\\\\").replace("\"", "\\\""), be.name(), promptTokens, genTokens, bestPrompt, bestGen, weightBytes, gbps);
            } else {
                System.out.printf(Locale.ROOT, "%s on %s%nprompt %d tokens: %.1f tokens/s%ngeneration %d tokens: %.2f tokens/s%n"
                                + "weights streamed per token: %.1f MiB; achieved %.2f GB/s%n",
                        m.origin(), be.name(), promptTokens, bestPrompt, genTokens, bestGen, weightBytes / 1048576.0, gbps);
            }
        }
        return 0;
    }
}
