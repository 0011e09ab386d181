package dev.pocketlm.model.llama;

import dev.pocketlm.tensor.Shape;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Initial weights: RMSNorm weights 1, matrices normal(0, 0.02), the two residual projections (attn_output,
 * ffn_down) scaled by 1/sqrt(2 layers) as in GPT-2 and nanoGPT. Each tensor draws from its own seeded stream, so a
 * tensor's values depend only on the seed and its name.
 */
public final class LlamaInit {
    private static final double STD = 0.02;

    private LlamaInit() {}

    public static float[] values(String name, Shape shape, LlamaConfig c, long seed) {
        float[] v = new float[Math.toIntExact(shape.size())];
        if (shape.rank() == 1) {
            Arrays.fill(v, 1f);
            return v;
        }
        double std = name.contains("attn_output") || name.contains("ffn_down") ? STD / Math.sqrt(2.0 * c.layers()) : STD;
        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + name.hashCode());
        for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextGaussian() * std);
        return v;
    }
}
