package dev.pocketlm.model.train;

import java.util.Arrays;
import java.util.SplittableRandom;

/** A token stream split into a training part (the first 90% by default) and a validation part (the rest). */
public final class TextDataset {
    private final int[] train;
    private final int[] validation;

    public TextDataset(int[] tokens, double trainFraction) {
        if (trainFraction <= 0 || trainFraction >= 1) throw new IllegalArgumentException("train fraction must be in (0, 1), got " + trainFraction);
        int cut = (int) (tokens.length * trainFraction);
        train = Arrays.copyOfRange(tokens, 0, cut);
        validation = Arrays.copyOfRange(tokens, cut, tokens.length);
    }

    public int trainTokens() { return train.length; }

    public int validationTokens() { return validation.length; }

    /** {@code windows} random training windows of {@code length} tokens. */
    public Batch sample(SplittableRandom rng, int windows, int length) {
        if (train.length <= length + 1) throw new IllegalArgumentException("the training text (" + train.length + " tokens) is shorter than one window of " + (length + 1));
        int[] in = new int[windows * length], out = new int[windows * length];
        for (int w = 0; w < windows; w++) {
            int start = rng.nextInt(train.length - length);
            System.arraycopy(train, start, in, w * length, length);
            System.arraycopy(train, start + 1, out, w * length, length);
        }
        return new Batch(windows, length, in, out);
    }

    /** Non-overlapping validation windows {@code [first, first + windows)} of {@code length} tokens. */
    public Batch validationWindows(int first, int windows, int length) {
        int[] in = new int[windows * length], out = new int[windows * length];
        for (int w = 0; w < windows; w++) {
            int start = (first + w) * length;
            System.arraycopy(validation, start, in, w * length, length);
            System.arraycopy(validation, start + 1, out, w * length, length);
        }
        return new Batch(windows, length, in, out);
    }

    /** How many whole windows (plus the one target after each) the validation part holds. */
    public int validationWindowCount(int length) { return (validation.length - 1) / length; }
}
