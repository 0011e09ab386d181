package dev.pocketlm.model.train;

/** {@code windows} sequences of {@code length} tokens, flattened; targets are the inputs shifted by one. */
public record Batch(int windows, int length, int[] inputs, int[] targets) {
    public Batch {
        if (inputs.length != windows * length || targets.length != inputs.length) {
            throw new IllegalArgumentException("batch of " + windows + " x " + length + " needs " + windows * length + " inputs and targets");
        }
    }
}
