package dev.pocketlm.model.train;

import dev.pocketlm.model.llama.Llama;
import dev.pocketlm.model.llama.LlamaConfig;
import dev.pocketlm.model.llama.LlamaWeights;
import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Ops;
import dev.pocketlm.tensor.Scope;
import dev.pocketlm.tensor.Tape;
import dev.pocketlm.tensor.Tensor;

import java.util.function.IntToDoubleFunction;

/** Held-out measurements over the non-overlapping validation windows of a dataset. */
public final class Evaluation {
    private static final int WINDOWS_PER_BATCH = 16;

    private Evaluation() {}

    /**
     * Loss in nats per token and per character, and against a reference model (or NaN without one) the mean
     * KL(reference || model) per token and the fraction of positions where both rank the same token first.
     */
    public record Report(long tokens, double lossPerToken, double bitsPerCharacter, double klToReference, double top1Agreement) {
        public double perplexity() { return Math.exp(lossPerToken); }
    }

    /** Mean cross-entropy in nats per token over up to {@code maxWindows} validation windows of {@code length}. */
    public static double crossEntropy(LlamaWeights w, LlamaConfig c, TextDataset data, int length, int maxWindows) {
        return evaluate(new Llama(c, w), null, data, length, maxWindows, id -> 1).lossPerToken();
    }

    /** Told after each batch of windows: windows evaluated so far, of how many, and the running loss per token. */
    @FunctionalInterface
    public interface Listener {
        void onBatch(int windowsDone, int totalWindows, double lossSoFar);
    }

    public static Report evaluate(Llama model, Llama reference, TextDataset data, int length, int maxWindows,
                                  IntToDoubleFunction charsPerToken) {
        return evaluate(model, reference, data, length, maxWindows, charsPerToken, (done, total, loss) -> { });
    }

    /** {@code charsPerToken} gives the characters each token id stands for (1 for a character-level vocabulary). */
    public static Report evaluate(Llama model, Llama reference, TextDataset data, int length, int maxWindows,
                                  IntToDoubleFunction charsPerToken, Listener listener) {
        int total = Math.min(maxWindows, data.validationWindowCount(length));
        if (total == 0) throw new IllegalArgumentException("the validation text is shorter than one window of " + (length + 1) + " tokens");
        if (reference != null && reference.config().vocabSize() != model.config().vocabSize()) {
            throw new IllegalArgumentException("the reference has a vocabulary of " + reference.config().vocabSize() + ", the model " + model.config().vocabSize());
        }
        Backend be = model.backend();
        double nats = 0, chars = 0, kl = 0;
        long agree = 0, tokens = 0;
        try (Tape.NoGrad ignored = Tape.noGrad()) {
            for (int first = 0; first < total; first += WINDOWS_PER_BATCH) {
                Batch b = data.validationWindows(first, Math.min(WINDOWS_PER_BATCH, total - first), length);
                try (Scope scope = Scope.open()) {
                    Tensor logits = TrainingForward.logits(model.weights(), model.config(), b);
                    Tensor targets = be.fromInts(b.targets(), b.targets().length);
                    nats += Ops.sum(Ops.crossEntropy(logits, targets)).item();
                    if (reference != null) {
                        Tensor ref = TrainingForward.logits(reference.weights(), reference.config(), b);
                        kl += Ops.sum(Ops.klDiv(ref, logits, 1f, false)).item();
                        agree += sameArgmax(ref.toFloats(), logits.toFloats(), model.config().vocabSize());
                    }
                }
                for (int t : b.targets()) chars += charsPerToken.applyAsDouble(t);
                tokens += b.targets().length;
                listener.onBatch(first + b.windows(), total, nats / tokens);
            }
        }
        return new Report(tokens, nats / tokens, nats / chars / Math.log(2),
                reference == null ? Double.NaN : kl / tokens, reference == null ? Double.NaN : (double) agree / tokens);
    }

    private static long sameArgmax(float[] a, float[] b, int vocab) {
        long n = 0;
        for (int r = 0; r < a.length / vocab; r++) {
            int ia = r * vocab, ib = r * vocab;
            for (int c = 1; c < vocab; c++) {
                if (a[r * vocab + c] > a[ia]) ia = r * vocab + c;
                if (b[r * vocab + c] > b[ib]) ib = r * vocab + c;
            }
            if (ia == ib) n++;
        }
        return n;
    }
}
