package dev.pocketlm.model.train;

import dev.pocketlm.tensor.Ops;
import dev.pocketlm.tensor.Tensor;

/** Mean next-token cross-entropy against the batch's targets. */
public record CrossEntropyObjective() implements Objective {
    @Override public Tensor loss(Tensor studentLogits, Batch batch) {
        Tensor targets = studentLogits.backend().fromInts(batch.targets(), batch.targets().length);
        return Ops.mean(Ops.crossEntropy(studentLogits, targets));
    }
}
