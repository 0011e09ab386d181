package dev.pocketlm.model.train;

import dev.pocketlm.model.llama.LlamaConfig;
import dev.pocketlm.model.llama.LlamaWeights;
import dev.pocketlm.tensor.Ops;
import dev.pocketlm.tensor.Scope;
import dev.pocketlm.tensor.Tape;
import dev.pocketlm.tensor.Tensor;

/** Held-out measurements over the validation windows of a dataset. */
public final class Evaluation {
    private static final int WINDOWS_PER_BATCH = 16;

    private Evaluation() {}

    /** Mean cross-entropy in nats per token over up to {@code maxWindows} validation windows of {@code length}. */
    public static double crossEntropy(LlamaWeights w, LlamaConfig c, TextDataset data, int length, int maxWindows) {
        int total = Math.min(maxWindows, data.validationWindowCount(length));
        if (total == 0) throw new IllegalArgumentException("the validation text is shorter than one window of " + (length + 1) + " tokens");
        double sum = 0;
        try (Tape.NoGrad ignored = Tape.noGrad()) {
            for (int first = 0; first < total; first += WINDOWS_PER_BATCH) {
                int n = Math.min(WINDOWS_PER_BATCH, total - first);
                Batch b = data.validationWindows(first, n, length);
                try (Scope scope = Scope.open()) {
                    Tensor targets = w.tokenEmbedding().backend().fromInts(b.targets(), b.targets().length);
                    sum += Ops.sum(Ops.crossEntropy(TrainingForward.logits(w, c, b), targets)).item();
                }
            }
        }
        return sum / ((long) total * length);
    }
}
