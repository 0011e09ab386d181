package dev.pocketlm.model.llama;

import dev.pocketlm.model.sample.Sampler;
import dev.pocketlm.model.sample.SamplerSettings;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Scope;
import dev.pocketlm.tensor.Tensor;

import java.util.Arrays;
import java.util.function.IntPredicate;

/** Prompt as one batch, then one token per step, sampling each next token; timings kept apart for prompt and generation. */
public final class Generator {
    private final Llama model;
    private final SamplerSettings settings;
    private final DType kvType;

    /** Receives every row of logits computed (prompt rows, then one per generated token fed back). */
    @FunctionalInterface
    public interface LogitsSink {
        void row(float[] logits);
    }

    /** Tokens and seconds of one run. */
    public record Stats(int promptTokens, double promptSeconds, int generatedTokens, double generationSeconds) {
        public double promptTokensPerSecond() { return promptTokens / Math.max(promptSeconds, 1e-9); }

        /** Generation speed over the tokens that needed a forward step (the first comes from the prompt pass). */
        public double generationTokensPerSecond() { return Math.max(0, generatedTokens - 1) / Math.max(generationSeconds, 1e-9); }
    }

    public Generator(Llama model, SamplerSettings settings, DType kvType) {
        this.model = model;
        this.settings = settings;
        this.kvType = kvType;
    }

    /**
     * Generates up to {@code maxNew} tokens after {@code prompt}. {@code onToken} receives each new token and returns
     * false to stop (e.g. at end of text); {@code logitsSink} may be null. When the context fills up, the last half
     * of the tokens is fed again from position 0 and generation goes on (those re-fed rows are not sent to the sink).
     */
    public Stats generate(int[] prompt, int maxNew, IntPredicate onToken, LogitsSink logitsSink) {
        if (prompt.length == 0) throw new IllegalArgumentException("generate: the prompt is empty (a Llama prompt starts with at least BOS)");
        int context = model.config().contextLength();
        if (prompt.length > context) {
            throw new IllegalArgumentException("generate: a prompt of " + prompt.length + " tokens does not fit the context of " + context);
        }
        int capacity = Math.min(context, prompt.length + Math.max(1, maxNew));
        Sampler sampler = new Sampler(settings);
        for (int t : prompt) sampler.accept(t);
        int[] history = Arrays.copyOf(prompt, prompt.length + maxNew);
        float[] row = new float[model.config().vocabSize()];
        try (KvCache cache = new KvCache(model.backend(), model.config(), capacity, kvType)) {
            long t0 = System.nanoTime();
            float[] logits = step(prompt, 0, cache, logitsSink, row);
            long t1 = System.nanoTime();
            int generated = 0;
            int pos = prompt.length;
            while (generated < maxNew) {
                int next = sampler.sample(logits);
                sampler.accept(next);
                history[prompt.length + generated++] = next;
                if (!onToken.test(next) || generated == maxNew) break;
                if (pos == capacity) {
                    int keep = capacity / 2;
                    int end = prompt.length + generated - 1;
                    step(Arrays.copyOfRange(history, end - keep, end), 0, cache, null, row);
                    pos = keep;
                }
                logits = step(new int[]{next}, pos++, cache, logitsSink, row);
            }
            long t2 = System.nanoTime();
            return new Stats(prompt.length, (t1 - t0) / 1e9, generated, (t2 - t1) / 1e9);
        }
    }

    /** One forward pass; returns the last row of logits, in {@code row}, and hands every row to the sink. */
    private float[] step(int[] tokens, int pos0, KvCache cache, LogitsSink sink, float[] row) {
        try (Scope scope = Scope.open()) {
            Tensor logits = model.forward(tokens, pos0, cache, sink != null);
            if (sink == null) return logits.readFloats(row);
            float[] all = logits.toFloats();
            int vocab = row.length, rows = all.length / vocab;
            for (int r = 0; r < rows; r++) sink.row(Arrays.copyOfRange(all, r * vocab, (r + 1) * vocab));
            System.arraycopy(all, (rows - 1) * vocab, row, 0, vocab);
            return row;
        }
    }
}
