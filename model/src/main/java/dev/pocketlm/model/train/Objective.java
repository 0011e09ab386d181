package dev.pocketlm.model.train;

import dev.pocketlm.tensor.Tensor;

/** What training minimizes, given the student's logits [B*T, vocab] for a batch: a one-element loss. */
public sealed interface Objective permits CrossEntropyObjective, DistillationObjective {
    Tensor loss(Tensor studentLogits, Batch batch);
}
