package dev.pocketlm.cli;

import dev.pocketlm.model.train.TrainSettings;
import picocli.CommandLine.Option;

/** Optimizer and schedule options (defaults: nanoGPT's baby GPT run). */
final class TrainingOptions {
    @Option(names = "--steps", defaultValue = "2000") int steps;

    @Option(names = "--batch", defaultValue = "12", description = "Windows per micro-batch (default ${DEFAULT-VALUE}).") int batch;

    @Option(names = "--context", defaultValue = "64", description = "Tokens per window (default ${DEFAULT-VALUE}).") int context;

    @Option(names = "--lr", defaultValue = "1e-3") float lr;

    @Option(names = "--min-lr", defaultValue = "1e-4") float minLr;

    @Option(names = "--warmup", defaultValue = "100") int warmup;

    @Option(names = "--weight-decay", defaultValue = "0.1") float weightDecay;

    @Option(names = "--beta2", defaultValue = "0.99") float beta2;

    @Option(names = "--grad-clip", defaultValue = "1.0") float gradClip;

    @Option(names = "--accumulation", defaultValue = "1", description = "Micro-batches per optimizer step.") int accumulation;

    @Option(names = "--seed", defaultValue = "1337") long seed;

    @Option(names = "--eval-every", defaultValue = "250", description = "Validate and checkpoint every N steps.") int evalEvery;

    @Option(names = "--eval-windows", defaultValue = "400", description = "Validation windows per evaluation (the final report uses all).")
    int evalWindows;

    TrainSettings settings() {
        return new TrainSettings(steps, batch, context, lr, minLr, warmup, weightDecay, 0.9f, beta2, gradClip, accumulation, seed);
    }
}
