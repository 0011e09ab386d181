package dev.pocketlm.tests;

import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Ops;
import dev.pocketlm.tensor.RopeMode;
import dev.pocketlm.tensor.Tensor;

import java.util.SplittableRandom;

import static dev.pocketlm.tests.HostData.range;
import static dev.pocketlm.tests.HostData.uniform;

/**
 * One Llama block composed with {@link Ops}: T new tokens at positions pos0.. attend over a KV cache whose first
 * pos0 rows hold earlier tokens; Q8_0 projection weights, the new keys and values written by set_rows.
 */
public final class TransformerBlockCase {
    private static final int EMBED = 128, HEADS = 4, KV_HEADS = 2, HEAD_DIM = EMBED / HEADS, FFN = 352;
    private static final int TOKENS = 5, POS0 = 3, CACHE = 16;
    private static final int KV_WIDTH = KV_HEADS * HEAD_DIM;
    private static final float EPS = 1e-5f, ROPE_BASE = 10000f;

    private TransformerBlockCase() {}

    /** The block with a KV cache of {@code cacheType} (F32 or F16). */
    public static ConformanceCase create(DType cacheType) {
        String shapes = "x[" + TOKENS + "," + EMBED + "] heads " + HEADS + "/" + KV_HEADS + " ffn " + FFN
                + " pos0 " + POS0 + " weights Q8_0";
        return new ConformanceCase("transformer block", "cache " + cacheType, shapes, ConformanceCase.BLOCK,
                rnd -> problem(rnd, cacheType));
    }

    private record Weights(float[] attnNorm, float[] wq, float[] wk, float[] wv, float[] wo,
                           float[] ffnNorm, float[] wGate, float[] wUp, float[] wDown) {}

    private static Problem problem(SplittableRandom rnd, DType cacheType) {
        float[] x = uniform(rnd, TOKENS * EMBED);
        float[] kCache = uniform(rnd, CACHE * KV_WIDTH), vCache = uniform(rnd, CACHE * KV_WIDTH);
        // Norm weights near 1 and projections scaled like trained layers keep activations O(1).
        Weights w = new Weights(uniform(rnd, EMBED, 0.5f, 1.5f),
                scaled(rnd, EMBED * EMBED, EMBED), scaled(rnd, KV_WIDTH * EMBED, EMBED),
                scaled(rnd, KV_WIDTH * EMBED, EMBED), scaled(rnd, EMBED * EMBED, EMBED),
                uniform(rnd, EMBED, 0.5f, 1.5f),
                scaled(rnd, FFN * EMBED, EMBED), scaled(rnd, FFN * EMBED, EMBED), scaled(rnd, EMBED * FFN, FFN));
        return run -> run.read(forward(run, x, kCache, vCache, cacheType, w));
    }

    /** Uniform in [-1, 1] / sqrt(fanIn). */
    private static float[] scaled(SplittableRandom rnd, int n, int fanIn) {
        float[] v = uniform(rnd, n);
        float s = (float) (1 / Math.sqrt(fanIn));
        for (int i = 0; i < n; i++) v[i] *= s;
        return v;
    }

    private static Tensor forward(DeviceRun run, float[] xHost, float[] kHost, float[] vHost, DType cacheType, Weights w) {
        Tensor x = run.input(xHost, TOKENS, EMBED);
        Tensor kCache = run.input(cacheType, kHost, CACHE, KV_WIDTH), vCache = run.input(cacheType, vHost, CACHE, KV_WIDTH);
        Tensor positions = run.ids(range(POS0, TOKENS));

        Tensor h = Ops.mul(Ops.rmsNorm(x, EPS), run.input(w.attnNorm(), EMBED));
        Tensor q = Ops.linear(h, run.input(DType.Q8_0, w.wq(), EMBED, EMBED)).reshape(TOKENS, HEADS, HEAD_DIM);
        Tensor k = Ops.linear(h, run.input(DType.Q8_0, w.wk(), KV_WIDTH, EMBED)).reshape(TOKENS, KV_HEADS, HEAD_DIM);
        Tensor v = Ops.linear(h, run.input(DType.Q8_0, w.wv(), KV_WIDTH, EMBED));
        q = Ops.rope(q, positions, HEAD_DIM, ROPE_BASE, RopeMode.NORMAL);
        k = Ops.rope(k, positions, HEAD_DIM, ROPE_BASE, RopeMode.NORMAL);
        Ops.setRows(k.reshape(TOKENS, KV_WIDTH), positions, kCache);
        Ops.setRows(v, positions, vCache);
        Tensor attn = Ops.attention(q, kCache.reshape(CACHE, KV_HEADS, HEAD_DIM), vCache.reshape(CACHE, KV_HEADS, HEAD_DIM),
                (float) (1 / Math.sqrt(HEAD_DIM)), POS0);
        Tensor x1 = Ops.add(x, Ops.linear(attn.reshape(TOKENS, EMBED), run.input(DType.Q8_0, w.wo(), EMBED, EMBED)));

        Tensor h2 = Ops.mul(Ops.rmsNorm(x1, EPS), run.input(w.ffnNorm(), EMBED));
        Tensor gate = Ops.linear(h2, run.input(DType.Q8_0, w.wGate(), FFN, EMBED));
        Tensor up = Ops.linear(h2, run.input(DType.Q8_0, w.wUp(), FFN, EMBED));
        Tensor down = Ops.linear(Ops.swiglu(gate, up), run.input(DType.Q8_0, w.wDown(), EMBED, FFN));
        return Ops.add(x1, down);
    }
}
