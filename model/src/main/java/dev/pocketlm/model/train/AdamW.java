package dev.pocketlm.model.train;

import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Ops;
import dev.pocketlm.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/** AdamW over a list of parameters: first and second moments on the device, decay on matrices only (nanoGPT's rule). */
public final class AdamW implements AutoCloseable {
    private final List<Tensor> params;
    private final List<Tensor> m = new ArrayList<>();
    private final List<Tensor> v = new ArrayList<>();
    private final float beta1, beta2, weightDecay;
    private int step;

    public AdamW(List<Tensor> params, float beta1, float beta2, float weightDecay) {
        this.params = List.copyOf(params);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.weightDecay = weightDecay;
        for (Tensor p : params) {
            m.add(p.backend().zeros(DType.F32, p.shape().dims()));
            v.add(p.backend().zeros(DType.F32, p.shape().dims()));
        }
    }

    public int step() { return step; }

    public List<Tensor> firstMoments() { return m; }

    public List<Tensor> secondMoments() { return v; }

    /** Restores the step count after the moments were loaded from a checkpoint. */
    public void resumeAt(int completedSteps) { step = completedSteps; }

    /** One update with each parameter's accumulated gradient (parameters without a gradient are skipped). */
    public void apply(float lr) {
        step++;
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            if (p.grad() == null) continue;
            float wd = p.rank() >= 2 ? weightDecay : 0f;
            Ops.adamw(p, p.grad(), m.get(i), v.get(i), lr, beta1, beta2, 1e-8f, wd, step);
        }
    }

    @Override public void close() {
        m.forEach(Tensor::close);
        v.forEach(Tensor::close);
    }
}
