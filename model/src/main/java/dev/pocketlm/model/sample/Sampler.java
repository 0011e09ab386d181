package dev.pocketlm.model.sample;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.SplittableRandom;

/** Picks the next token from a row of logits: repetition penalty, temperature, top-k, min-p, top-p, then a seeded draw. */
public final class Sampler {
    private final SamplerSettings settings;
    private final SplittableRandom random;
    private final Deque<Integer> recent = new ArrayDeque<>();

    public Sampler(SamplerSettings settings) {
        this.settings = settings;
        this.random = new SplittableRandom(settings.seed());
    }

    /** Remembers a token (prompt or generated) for the repetition penalty. */
    public void accept(int token) {
        if (settings.repetitionWindow() == 0) return;
        recent.addLast(token);
        if (recent.size() > settings.repetitionWindow()) recent.removeFirst();
    }

    /** Chooses a token; {@code logits} is modified in place. */
    public int sample(float[] logits) {
        applyRepetitionPenalty(logits);
        if (settings.temperature() == 0) return argmax(logits);
        int n = logits.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        int keep = settings.topK() > 0 ? Math.min(settings.topK(), n) : n;
        double max = logits[order[0]];
        double[] p = new double[keep];
        double total = 0;
        for (int i = 0; i < keep; i++) {
            p[i] = Math.exp((logits[order[i]] - max) / settings.temperature());
            total += p[i];
        }
        // min-p: drop tokens less likely than minP times the most likely one.
        int kept = keep;
        for (int i = 1; i < keep; i++) {
            if (p[i] < settings.minP() * p[0]) {
                kept = i;
                break;
            }
        }
        // top-p: the smallest prefix whose mass reaches topP.
        double cum = 0;
        for (int i = 0; i < kept; i++) {
            cum += p[i] / total;
            if (cum >= settings.topP()) {
                kept = i + 1;
                break;
            }
        }
        double mass = 0;
        for (int i = 0; i < kept; i++) mass += p[i];
        double r = random.nextDouble() * mass;
        for (int i = 0; i < kept; i++) {
            r -= p[i];
            if (r <= 0) return order[i];
        }
        return order[kept - 1];
    }

    private void applyRepetitionPenalty(float[] logits) {
        float penalty = settings.repetitionPenalty();
        if (penalty == 1f) return;
        for (int id : recent.stream().distinct().toList()) {
            logits[id] = logits[id] > 0 ? logits[id] / penalty : logits[id] * penalty;
        }
    }

    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }
}
