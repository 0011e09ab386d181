package dev.pocketlm.model.train;

/** Optimization settings (AdamW with warm-up and cosine decay, clipping, accumulation). */
public record TrainSettings(int steps, int batchWindows, int context, float learningRate, float minLearningRate,
                            int warmupSteps, float weightDecay, float beta1, float beta2, float gradClip,
                            int accumulation, long seed) {

    public TrainSettings {
        if (steps <= 0 || batchWindows <= 0 || context <= 0 || accumulation <= 0) {
            throw new IllegalArgumentException("steps, batch, context and accumulation must be positive");
        }
        if (learningRate <= 0 || minLearningRate < 0 || minLearningRate > learningRate) {
            throw new IllegalArgumentException("learning rates must satisfy 0 <= min <= peak and peak > 0, got peak " + learningRate + ", min " + minLearningRate);
        }
    }

    public LrSchedule schedule() { return new LrSchedule(learningRate, minLearningRate, warmupSteps, steps); }

    /** nanoGPT's character-level CPU "baby GPT" settings: batch 12, context 64, lr 1e-3 to 1e-4, 2000 steps. */
    public static TrainSettings babyGpt(int steps, long seed) {
        return new TrainSettings(steps, 12, 64, 1e-3f, 1e-4f, 100, 0.1f, 0.9f, 0.99f, 1f, 1, seed);
    }
}
