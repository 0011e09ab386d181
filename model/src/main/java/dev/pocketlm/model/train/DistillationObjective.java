package dev.pocketlm.model.train;

import dev.pocketlm.model.llama.Llama;
import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Ops;
import dev.pocketlm.tensor.Tape;
import dev.pocketlm.tensor.Tensor;

import java.util.List;

/**
 * Hinton's distillation loss: alpha * T^2 * KL(softmax(teacher/T) || softmax(student/T)) + (1 - alpha) * CE(student, labels),
 * with reverse KL on request and the soft targets of several frozen teachers averaged (as probabilities).
 */
public record DistillationObjective(List<Llama> teachers, float alpha, float temperature, boolean reverse) implements Objective {

    public DistillationObjective {
        teachers = List.copyOf(teachers);
        if (teachers.isEmpty()) throw new IllegalArgumentException("distillation needs at least one teacher");
        if (alpha < 0 || alpha > 1) throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
        if (temperature <= 0) throw new IllegalArgumentException("temperature must be positive, got " + temperature);
    }

    @Override public Tensor loss(Tensor studentLogits, Batch batch) {
        Tensor teacher = teacherLogits(batch);
        Tensor kl = Ops.mean(Ops.klDiv(teacher, studentLogits, temperature, reverse));
        Tensor soft = Ops.scale(kl, alpha * temperature * temperature);
        if (alpha == 1f) return soft;
        Tensor hard = Ops.scale(new CrossEntropyObjective().loss(studentLogits, batch), 1 - alpha);
        return Ops.add(soft, hard);
    }

    /** The teachers' logits, frozen; several teachers become T * log(mean of their softmax(logits / T)). */
    public Tensor teacherLogits(Batch batch) {
        try (Tape.NoGrad ignored = Tape.noGrad()) {
            if (teachers.size() == 1) return forward(teachers.getFirst(), batch);
            float[] avg = null;
            int vocab = 0;
            for (Llama t : teachers) {
                Tensor logits = forward(t, batch);
                vocab = logits.dim(1);
                float[] p = logits.toFloats();
                softmaxRowsInPlace(p, vocab, temperature);
                if (avg == null) avg = new float[p.length];
                for (int i = 0; i < p.length; i++) avg[i] += p[i] / teachers.size();
            }
            for (int i = 0; i < avg.length; i++) avg[i] = (float) (temperature * Math.log(Math.max(avg[i], 1e-30f)));
            Backend be = teachers.getFirst().backend();
            return be.fromFloats(avg, avg.length / vocab, vocab);
        }
    }

    private static Tensor forward(Llama teacher, Batch batch) {
        return TrainingForward.logits(teacher.weights(), teacher.config(), batch);
    }

    private static void softmaxRowsInPlace(float[] x, int cols, float temperature) {
        for (int r = 0; r < x.length / cols; r++) {
            int o = r * cols;
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int c = 0; c < cols; c++) max = Math.max(max, x[o + c] / temperature);
            for (int c = 0; c < cols; c++) sum += Math.exp(x[o + c] / temperature - max);
            for (int c = 0; c < cols; c++) x[o + c] = (float) (Math.exp(x[o + c] / temperature - max) / sum);
        }
    }
}
