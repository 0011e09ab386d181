package dev.pocketlm.model.llama;

import dev.pocketlm.cpu.CpuProvider;
import dev.pocketlm.model.sample.Sampler;
import dev.pocketlm.model.sample.SamplerSettings;
import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.RopeMode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GeneratorTest {
    static final LlamaConfig C = new LlamaConfig(32, 2, 4, 2, 64, 30, 8, 1e-5f, 10000f, 8, RopeMode.NORMAL);

    @Test
    void greedyTokensAreTheArgmaxOfEachDumpedRowAndGenerationOutlivesTheContext() {
        try (Backend be = new CpuProvider().open("reference");
             LlamaWeights w = LlamaWeights.assemble(C, true, (name, s) -> be.fromFloats(LlamaInit.values(name, s, C, 2), s.dims()))) {
            Llama llama = new Llama(C, w);
            List<Integer> tokens = new ArrayList<>();
            List<float[]> rows = new ArrayList<>();
            Generator.Stats st = new Generator(llama, SamplerSettings.greedy(), DType.F16)
                    .generate(new int[]{1, 5, 7}, 20, t -> tokens.add(t), rows::add);
            assertEquals(20, st.generatedTokens(), "generation continues past the context of 8 by re-feeding the last half");
            assertEquals(20, tokens.size());
            // Rows before the first context shift: the 3 prompt rows, then one per token fed at positions 3..7.
            for (int i = 0; i < 6; i++) assertEquals(Sampler.argmax(rows.get(i + 2)), (int) tokens.get(i), "token " + i);
            assertEquals(C.vocabSize(), rows.get(0).length);
        }
    }
}
