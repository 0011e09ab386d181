package dev.pocketlm.model.train;

import dev.pocketlm.model.gguf.GgufMetadata;
import dev.pocketlm.model.llama.LlamaConfig;

import java.io.IOException;
import java.nio.file.Path;

/** The loop around a {@link Trainer}: steps, periodic validation, checkpoints, progress reports. */
public final class TrainingRun {

    /** What a progress display is told after each step; {@code validationLoss} is NaN between evaluations. */
    public record Progress(int step, int totalSteps, float loss, float learningRate, double validationLoss,
                           long tokensSeen, double seconds) {}

    @FunctionalInterface
    public interface Listener {
        void onStep(Progress p);
    }

    /** The outcome: final validation loss, time per step and in all. */
    public record Summary(int steps, double finalValidationLoss, double seconds, double secondsPerStep) {}

    private final Trainer trainer;
    private final LlamaConfig config;
    private final TrainSettings settings;
    private final Path checkpoint;
    private final GgufMetadata extraMetadata;
    private final int evalEvery;
    private final int evalWindows;

    public TrainingRun(Trainer trainer, LlamaConfig config, TrainSettings settings, Path checkpoint, GgufMetadata extraMetadata,
                       int evalEvery, int evalWindows) {
        this.trainer = trainer;
        this.config = config;
        this.settings = settings;
        this.checkpoint = checkpoint;
        this.extraMetadata = extraMetadata;
        this.evalEvery = evalEvery;
        this.evalWindows = evalWindows;
    }

    public Summary run(TextDataset data, Listener listener) throws IOException {
        long start = System.nanoTime();
        int first = trainer.completedSteps();
        long tokensPerStep = (long) settings.batchWindows() * settings.context() * settings.accumulation();
        double val = Double.NaN;
        while (trainer.completedSteps() < settings.steps()) {
            Trainer.StepResult r = trainer.step(data);
            boolean last = r.step() == settings.steps();
            val = Double.NaN;
            if (last || (evalEvery > 0 && r.step() % evalEvery == 0)) {
                val = trainer.validationLoss(data, evalWindows);
                if (checkpoint != null) Checkpoint.save(checkpoint, config, trainer.params(), trainer.optimizer(), extraMetadata);
            }
            listener.onStep(new Progress(r.step(), settings.steps(), r.loss(), r.learningRate(), val,
                    (r.step() - first) * tokensPerStep, (System.nanoTime() - start) / 1e9));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (Double.isNaN(val)) val = trainer.validationLoss(data, evalWindows);
        return new Summary(settings.steps(), val, seconds, seconds / Math.max(1, settings.steps() - first));
    }
}
