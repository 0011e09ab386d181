package dev.pocketlm.bench;

import dev.pocketlm.model.sample.Sampler;
import dev.pocketlm.model.sample.SamplerSettings;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Choosing one token from a row of logits, as {@code pocket generate} does after every step: a 32000-token vocabulary
 * (TinyLlama's), logits drawn from N(0, spread) (0.3: the near ties of a random-weights model, where min-p and top-p
 * keep most of the vocabulary), copied into the sampler's row each call. {@code settings}: greedy; the command's
 * defaults (T 0.8, top-k 40, top-p 0.95, min-p 0.05); those without top-k; top-p alone (T 0.8, top-p 0.95).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@State(Scope.Thread)
public class SamplerBenchmark {
    @Param({"greedy", "defaults", "no-top-k", "top-p"})
    public String settings;

    @Param({"32000"})
    public int vocab;

    @Param({"3", "0.3"})
    public float spread;

    private float[] logits, row;
    private Sampler sampler;

    @Setup
    public void setUp() {
        SplittableRandom random = new SplittableRandom(7);
        logits = new float[vocab];
        for (int i = 0; i < vocab; i++) logits[i] = (float) (spread * random.nextGaussian());
        row = new float[vocab];
        sampler = new Sampler(switch (settings) {
            case "greedy" -> SamplerSettings.greedy();
            case "defaults" -> new SamplerSettings(0.8f, 40, 0.95f, 0.05f, 1f, 64, 1);
            case "no-top-k" -> new SamplerSettings(0.8f, 0, 0.95f, 0.05f, 1f, 64, 1);
            case "top-p" -> new SamplerSettings(0.8f, 0, 0.95f, 0f, 1f, 64, 1);
            default -> throw new IllegalArgumentException("unknown settings " + settings);
        });
    }

    @Benchmark
    public int sample() {
        System.arraycopy(logits, 0, row, 0, vocab);
        return sampler.sample(row);
    }
}
