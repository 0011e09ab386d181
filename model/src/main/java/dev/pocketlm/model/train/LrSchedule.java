package dev.pocketlm.model.train;

/** Linear warm-up to {@code peak}, then cosine decay to {@code min} at {@code total} steps (nanoGPT's schedule). */
public record LrSchedule(float peak, float min, int warmup, int total) {
    public float at(int step) {
        if (step < warmup) return peak * (step + 1) / warmup;
        if (step >= total) return min;
        double progress = (double) (step - warmup) / Math.max(1, total - warmup);
        return (float) (min + 0.5 * (1 + Math.cos(Math.PI * progress)) * (peak - min));
    }
}
