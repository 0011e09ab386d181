package dev.pocketlm.model.train;

import dev.pocketlm.model.llama.LlamaConfig;
import dev.pocketlm.model.llama.LlamaWeights;
import dev.pocketlm.tensor.Ops;
import dev.pocketlm.tensor.Scope;
import dev.pocketlm.tensor.Tape;
import dev.pocketlm.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/** Optimizer steps on a Llama's F32 parameters: accumulation, clipping, AdamW, schedule, validation. */
public final class Trainer implements AutoCloseable {
    private final LlamaConfig config;
    private final LlamaWeights params;
    private final TrainSettings settings;
    private final Objective objective;
    private final AdamW optimizer;
    private SplittableRandom rng;

    /** One optimizer step's outcome. */
    public record StepResult(int step, float loss, float learningRate, float gradNorm) {}

    public Trainer(LlamaConfig config, LlamaWeights params, TrainSettings settings, Objective objective) {
        this.config = config;
        this.params = params;
        this.settings = settings;
        this.objective = objective;
        for (Tensor p : params.all()) p.requireGrad();
        this.optimizer = new AdamW(params.all(), settings.beta1(), settings.beta2(), settings.weightDecay());
        this.rng = new SplittableRandom(settings.seed());
    }

    public LlamaWeights params() { return params; }

    public AdamW optimizer() { return optimizer; }

    public int completedSteps() { return optimizer.step(); }

    /** Continues a run: the optimizer state of checkpoint {@code model}, and the batch sampler as it was after that step. */
    public void resume(Path model, int completedSteps) throws IOException {
        Checkpoint.loadOptimizer(model, params, optimizer, completedSteps);
        rng = new SplittableRandom(settings.seed());
        for (int s = 0; s < completedSteps * settings.accumulation(); s++) rng.split();
    }

    /** Forward, backward over {@code accumulation} micro-batches, clip, AdamW. */
    public StepResult step(TextDataset data) {
        int step = optimizer.step();
        float loss = 0;
        for (int micro = 0; micro < settings.accumulation(); micro++) {
            Batch batch = data.sample(rng.split(), settings.batchWindows(), settings.context());
            try (Scope scope = Scope.open(); Tape tape = Tape.record()) {
                Tensor l = objective.loss(TrainingForward.logits(params, config, batch), batch);
                loss += l.item() / settings.accumulation();
                tape.backward(Ops.scale(l, 1f / settings.accumulation()));
            }
        }
        float norm = clipGradients(settings.gradClip());
        float lr = settings.schedule().at(step);
        optimizer.apply(lr);
        params.all().forEach(Tensor::zeroGrad);
        return new StepResult(step + 1, loss, lr, norm);
    }

    /** Scales all gradients so their global L2 norm is at most {@code max}; returns the norm before clipping. */
    private float clipGradients(float max) {
        List<Tensor> grads = params.all().stream().map(Tensor::grad).filter(g -> g != null).toList();
        double sq = 0;
        try (Scope scope = Scope.open()) {
            for (Tensor g : grads) sq += Ops.sum(Ops.mul(g, g)).item();
        }
        float norm = (float) Math.sqrt(sq);
        if (max > 0 && norm > max) {
            for (Tensor g : grads) g.backend().kernels().scale(g, max / norm, g);
        }
        return norm;
    }

    /** Mean cross-entropy (nats per token) over up to {@code maxWindows} non-overlapping validation windows. */
    public double validationLoss(TextDataset data, int maxWindows) {
        return Evaluation.crossEntropy(params, config, data, settings.context(), maxWindows);
    }

    @Override public void close() {
        optimizer.close();
    }
}
