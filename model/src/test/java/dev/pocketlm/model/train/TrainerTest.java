package dev.pocketlm.model.train;

import dev.pocketlm.cpu.CpuProvider;
import dev.pocketlm.model.gguf.GgufMetadata;
import dev.pocketlm.model.llama.Llama;
import dev.pocketlm.model.llama.LlamaConfig;
import dev.pocketlm.model.llama.LlamaInit;
import dev.pocketlm.model.llama.LlamaWeights;
import dev.pocketlm.model.tokenizer.CharTokenizer;
import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.RopeMode;
import dev.pocketlm.tensor.Scope;
import dev.pocketlm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainerTest {
    static final String TEXT = "to be or not to be, that is the question. ".repeat(40);
    static final CharTokenizer TOK = CharTokenizer.fromCorpus(TEXT);
    static final LlamaConfig CONFIG = new LlamaConfig(32, 2, 4, 2, 64, TOK.vocabSize(), 16, 1e-5f, 10000f, 8, RopeMode.NORMAL);
    static final TrainSettings SETTINGS = new TrainSettings(60, 4, 16, 1e-2f, 1e-3f, 5, 0.1f, 0.9f, 0.99f, 1f, 2, 7);

    static LlamaWeights init(Backend be) {
        return LlamaWeights.assemble(CONFIG, true, (name, s) -> be.fromFloats(LlamaInit.values(name, s, CONFIG, 3), s.dims()));
    }

    @Test
    void lossFallsOnARepetitiveText() {
        TextDataset data = new TextDataset(TOK.encode(TEXT, false), 0.9);
        try (Backend be = new CpuProvider().open("reference"); LlamaWeights w = init(be);
             Trainer t = new Trainer(CONFIG, w, SETTINGS, new CrossEntropyObjective())) {
            double before = t.validationLoss(data, 8);
            for (int i = 0; i < SETTINGS.steps(); i++) t.step(data);
            double after = t.validationLoss(data, 8);
            assertTrue(before > 2.5 && after < 0.5 * before, "validation loss " + before + " -> " + after);
        }
    }

    @Test
    void resumingFromACheckpointContinuesExactly(@TempDir Path dir) throws Exception {
        TextDataset data = new TextDataset(TOK.encode(TEXT, false), 0.9);
        Path ckpt = dir.resolve("ckpt.gguf");
        GgufMetadata meta = TOK.addTo(GgufMetadata.builder()).build();
        try (Backend be = new CpuProvider().open("reference")) {
            float[] straight;
            try (LlamaWeights w = init(be); Trainer t = new Trainer(CONFIG, w, SETTINGS, new CrossEntropyObjective())) {
                for (int i = 0; i < 4; i++) t.step(data);
                straight = flatten(w.all());
            }
            try (LlamaWeights w = init(be); Trainer t = new Trainer(CONFIG, w, SETTINGS, new CrossEntropyObjective())) {
                t.step(data);
                t.step(data);
                Checkpoint.save(ckpt, CONFIG, w, t.optimizer(), meta);
            }
            Checkpoint.Loaded loaded = Checkpoint.load(ckpt, be);
            try (LlamaWeights w = loaded.params(); Trainer t = new Trainer(loaded.config(), w, SETTINGS, new CrossEntropyObjective())) {
                t.resume(ckpt, loaded.step());
                t.step(data);
                t.step(data);
                assertArrayEquals(straight, flatten(w.all()), 0f, "2 steps + resume + 2 steps must equal 4 steps");
            }
        }
    }

    @Test
    void distillationPullsTheStudentTowardTheTeacher() {
        TextDataset data = new TextDataset(TOK.encode(TEXT, false), 0.9);
        try (Backend be = new CpuProvider().open("reference"); LlamaWeights teacherW = init(be)) {
            try (Trainer t = new Trainer(CONFIG, teacherW, SETTINGS, new CrossEntropyObjective())) {
                for (int i = 0; i < 40; i++) t.step(data);
            }
            Llama teacher = new Llama(CONFIG, teacherW);
            LlamaConfig small = new LlamaConfig(16, 1, 2, 2, 32, TOK.vocabSize(), 16, 1e-5f, 10000f, 8, RopeMode.NORMAL);
            try (LlamaWeights s = LlamaWeights.assemble(small, true, (name, sh) -> be.fromFloats(LlamaInit.values(name, sh, small, 9), sh.dims()));
                 Trainer t = new Trainer(small, s, SETTINGS, new DistillationObjective(List.of(teacher), 1f, 1f, false))) {
                double before = Evaluation.evaluate(new Llama(small, s), teacher, data, 16, 8, id -> 1).klToReference();
                for (int i = 0; i < 40; i++) t.step(data);
                double after = Evaluation.evaluate(new Llama(small, s), teacher, data, 16, 8, id -> 1).klToReference();
                assertTrue(after < 0.5 * before, "KL to the teacher " + before + " -> " + after);
            }
        }
    }

    @Test
    void severalTeachersAverageTheirProbabilities() {
        try (Backend be = new CpuProvider().open("reference"); LlamaWeights a = init(be);
             LlamaWeights b = LlamaWeights.assemble(CONFIG, true, (name, s) -> be.fromFloats(LlamaInit.values(name, s, CONFIG, 4), s.dims()));
             Scope scope = Scope.open()) {
            Llama ta = new Llama(CONFIG, a), tb = new Llama(CONFIG, b);
            Batch batch = new TextDataset(TOK.encode(TEXT, false), 0.9).validationWindows(0, 2, 16);
            float temperature = 2f;
            float[] la = TrainingForward.logits(a, CONFIG, batch).toFloats(), lb = TrainingForward.logits(b, CONFIG, batch).toFloats();
            float[] avg = new DistillationObjective(List.of(ta, tb), 1f, temperature, false).teacherLogits(batch).toFloats();
            int v = CONFIG.vocabSize();
            for (int r = 0; r < la.length / v; r++) {
                double za = 0, zb = 0, zavg = 0;
                for (int c = 0; c < v; c++) {
                    za += Math.exp(la[r * v + c] / temperature);
                    zb += Math.exp(lb[r * v + c] / temperature);
                    zavg += Math.exp(avg[r * v + c] / temperature);
                }
                for (int c = 0; c < v; c++) {
                    double expected = 0.5 * (Math.exp(la[r * v + c] / temperature) / za + Math.exp(lb[r * v + c] / temperature) / zb);
                    double got = Math.exp(avg[r * v + c] / temperature) / zavg;
                    assertEquals(expected, got, 1e-5, "row " + r + " token " + c);
                }
            }
        }
    }

    private static float[] flatten(List<Tensor> ts) {
        int n = ts.stream().mapToInt(t -> (int) t.size()).sum();
        float[] out = new float[n];
        int o = 0;
        for (Tensor t : ts) {
            float[] v = t.toFloats();
            System.arraycopy(v, 0, out, o, v.length);
            o += v.length;
        }
        return out;
    }
}
