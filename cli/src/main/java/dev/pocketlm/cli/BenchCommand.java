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

    @Option(names = "--repeat", defaultValue = "2", description = "Measured runs after one warm-up; the best is reported.") int repeat;

    @Option(names = "--json", description = "Print one JSON object.") boolean json;

    @Override public Integer call() throws Exception {
        try (Backend be = options.openBackend(); LoadedModel m = options.load(be)) {
            int vocab = m.model().config().vocabSize();
            SplittableRandom rng = new SplittableRandom(7);
            int[] prompt = new int[promptTokens];
            for (int i = 0; i < prompt.length; i++) prompt[i] = rng.nextInt(vocab);
            Generator gen = new Generator(m.model(), SamplerSettings.greedy(), DType.F32);
            gen.generate(prompt, Math.min(genTokens, 4), id -> true, null);
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
