package dev.pocketlm.model.train;

import dev.pocketlm.cpu.CpuProvider;
import dev.pocketlm.model.llama.KvCache;
import dev.pocketlm.model.llama.Llama;
import dev.pocketlm.model.llama.LlamaConfig;
import dev.pocketlm.model.llama.LlamaInit;
import dev.pocketlm.model.llama.LlamaWeights;
import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.RopeMode;
import dev.pocketlm.tensor.Scope;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The training forward pass (composed causal attention over a batch of windows) equals the inference forward pass
 * (KV cache, one token at a time) row for row: no position sees the future, and both paths compute one model.
 */
class TrainingForwardTest {

    @Test
    void batchedTrainingLogitsEqualTokenByTokenInference() {
        LlamaConfig c = new LlamaConfig(48, 2, 6, 2, 96, 40, 12, 1e-5f, 10000f, 8, RopeMode.NORMAL);
        SplittableRandom rng = new SplittableRandom(4);
        int windows = 2, length = 12;
        int[] tokens = new int[windows * length];
        for (int i = 0; i < tokens.length; i++) tokens[i] = rng.nextInt(c.vocabSize());
        try (Backend be = new CpuProvider().open("reference");
             LlamaWeights w = LlamaWeights.assemble(c, false, (name, s) -> be.fromFloats(LlamaInit.values(name, s, c, 8), s.dims()));
             Scope scope = Scope.open()) {
            float[] batched = TrainingForward.logits(w, c, new Batch(windows, length, tokens, tokens)).toFloats();
            Llama llama = new Llama(c, w);
            for (int win = 0; win < windows; win++) {
                try (KvCache cache = new KvCache(be, c, length, DType.F32)) {
                    for (int p = 0; p < length; p++) {
                        float[] step = llama.forward(new int[]{tokens[win * length + p]}, p, cache, false).toFloats();
                        int row = win * length + p;
                        float[] expected = Arrays.copyOfRange(batched, row * c.vocabSize(), (row + 1) * c.vocabSize());
                        for (int v = 0; v < step.length; v++) {
                            assertTrue(Math.abs(step[v] - expected[v]) <= 1e-4f * (1 + Math.abs(expected[v])),
                                    "window " + win + " position " + p + " token " + v + ": " + step[v] + " vs " + expected[v]);
                        }
                    }
                }
            }
        }
    }
}
