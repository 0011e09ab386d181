package dev.pocketlm.tests.training;

import dev.pocketlm.model.llama.LlamaConfig;
import dev.pocketlm.model.llama.LlamaInit;
import dev.pocketlm.model.llama.LlamaWeights;
import dev.pocketlm.model.train.Batch;
import dev.pocketlm.model.train.CrossEntropyObjective;
import dev.pocketlm.model.train.TrainingForward;
import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Backends;
import dev.pocketlm.tensor.RopeMode;
import dev.pocketlm.tensor.Scope;
import dev.pocketlm.tensor.Tape;
import dev.pocketlm.tensor.Tensor;
import dev.pocketlm.tests.AvailableBackends;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** One autograd training step (GQA Llama, cross-entropy) on every backend gives cpu:reference's loss and gradients. */
class TrainingStepParityTest {
    static final LlamaConfig CONFIG = new LlamaConfig(64, 2, 4, 2, 96, 50, 16, 1e-5f, 10000f, 16, RopeMode.NORMAL);

    @TestFactory
    Stream<DynamicTest> gradientsMatchTheReference() {
        Map<String, float[]> reference = gradients("cpu:reference");
        return AvailableBackends.specs().stream().filter(s -> !s.equals("cpu:reference")).map(spec ->
                DynamicTest.dynamicTest("training step on " + spec, () -> {
                    Map<String, float[]> ours = gradients(spec);
                    for (var e : reference.entrySet()) {
                        double nmse = nmse(e.getValue(), ours.get(e.getKey()));
                        assertTrue(nmse <= 1e-6, spec + ": gradient of " + e.getKey() + " differs, normalized MSE " + nmse);
                    }
                }));
    }

    /** The loss (under key "loss") and every parameter's gradient after one backward pass on {@code spec}. */
    static Map<String, float[]> gradients(String spec) {
        SplittableRandom rng = new SplittableRandom(11);
        int windows = 3, length = 16;
        int[] in = new int[windows * length], out = new int[windows * length];
        for (int i = 0; i < in.length; i++) {
            in[i] = rng.nextInt(CONFIG.vocabSize());
            out[i] = rng.nextInt(CONFIG.vocabSize());
        }
        Batch batch = new Batch(windows, length, in, out);
        Map<String, float[]> result = new LinkedHashMap<>();
        try (Backend be = Backends.open(spec);
             LlamaWeights w = LlamaWeights.assemble(CONFIG, false, (name, s) -> be.fromFloats(LlamaInit.values(name, s, CONFIG, 5), s.dims()))) {
            w.all().forEach(Tensor::requireGrad);
            try (Scope scope = Scope.open(); Tape tape = Tape.record()) {
                Tensor loss = new CrossEntropyObjective().loss(TrainingForward.logits(w, CONFIG, batch), batch);
                result.put("loss", loss.toFloats());
                tape.backward(loss);
            }
            w.named().forEach((name, t) -> result.put(name, t.grad().toFloats()));
            w.all().forEach(Tensor::zeroGrad);
        }
        return result;
    }

    static double nmse(float[] ref, float[] got) {
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            num += (double) (ref[i] - got[i]) * (ref[i] - got[i]);
            den += (double) ref[i] * ref[i];
        }
        return num / Math.max(den, 1e-30);
    }
}
