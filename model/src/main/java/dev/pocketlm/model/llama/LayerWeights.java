package dev.pocketlm.model.llama;

import dev.pocketlm.tensor.Tensor;

import java.util.List;

/** One transformer block's tensors; matrices are [out, in] as in GGUF. */
public record LayerWeights(Tensor attnNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo,
                           Tensor ffnNorm, Tensor wGate, Tensor wUp, Tensor wDown) {

    public List<Tensor> all() { return List.of(attnNorm, wq, wk, wv, wo, ffnNorm, wGate, wUp, wDown); }
}
