package dev.pocketlm.model.llama;

import dev.pocketlm.cpu.CpuProvider;
import dev.pocketlm.tensor.Backend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The bytes a generated token reads: the embedding gathered one row at a time unless the output streams it. */
class LlamaWeightsTest {

    @Test
    void aTokenReadsOneEmbeddingRowUnlessTheOutputIsTied() {
        LlamaConfig c = GeneratorTest.C;
        long dim = c.dim(), kv = c.kvDim(), ffn = c.ffnDim(), vocab = c.vocabSize();
        long layerFloats = 2 * dim + dim * dim * 2 + kv * dim * 2 + ffn * dim * 3; // norms; q, o; k, v; gate, up, down
        long allButTables = 4 * (c.layers() * layerFloats + dim); // plus the output norm
        long table = 4 * vocab * dim;
        try (Backend be = new CpuProvider().open("")) {
            for (boolean tied : new boolean[]{false, true}) {
                try (LlamaWeights w = LlamaWeights.assemble(c, tied, (name, s) -> be.fromFloats(LlamaInit.values(name, s, c, 1), s.dims()))) {
                    assertEquals(allButTables + (tied ? 1 : 2) * table, w.bytes(), "tied " + tied);
                    assertEquals(allButTables + (tied ? table : 4 * dim + table), w.bytesPerToken(), "tied " + tied);
                }
            }
        }
    }
}
