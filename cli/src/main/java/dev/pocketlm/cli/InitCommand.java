package dev.pocketlm.cli;

import dev.pocketlm.model.io.RandomModel;
import dev.pocketlm.model.llama.ModelShape;
import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Backends;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code pocket init OUT --shape NAME}: a Llama GGUF with random weights and a real vocabulary. */
@Command(name = "init", description = "Write a Llama GGUF with random weights in a named shape (tiny, smollm-135m, smollm-360m, tinyllama-1.1b).")
final class InitCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "OUT") Path out;

    @Option(names = "--shape", required = true, description = "tiny, smollm-135m, smollm-360m or tinyllama-1.1b.")
    String shape;

    @Option(names = "--type", defaultValue = "f32", description = "Matrix type: f32, f16, bf16, q8_0, q4_0 (default ${DEFAULT-VALUE}).")
    String type;

    @Option(names = "--seed", defaultValue = "42") long seed;

    @Override public Integer call() throws Exception {
        ModelShape s = ModelShape.byLabel(shape);
        long start = System.nanoTime();
        try (Backend cpu = Backends.open("cpu")) {
            RandomModel.write(out, s, WeightTypes.parse(type), seed, cpu);
        }
        System.out.printf("%s: %s (%s), %.1f MiB in %.1f s%n", out, s.label(), s.config(), Files.size(out) / 1048576.0,
                (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
