package dev.pocketlm.model.io;

import dev.pocketlm.model.llama.LayerWeights;
import dev.pocketlm.model.llama.LlamaConfig;
import dev.pocketlm.model.llama.LlamaWeights;
import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Shape;
import dev.pocketlm.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/** Puts a file's Llama tensors on a backend in their stored dtypes, checking every name and shape against the config. */
public final class LlamaLoader {
    private LlamaLoader() {}

    public static LlamaWeights load(LlamaConfig c, TensorSource source, Backend backend) {
        Tensor embedding = put(source, "token_embd.weight", Shape.of(c.vocabSize(), c.dim()), backend);
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            layers.add(new LayerWeights(
                    put(source, p + "attn_norm.weight", Shape.of(c.dim()), backend),
                    put(source, p + "attn_q.weight", Shape.of(c.dim(), c.dim()), backend),
                    put(source, p + "attn_k.weight", Shape.of(c.kvDim(), c.dim()), backend),
                    put(source, p + "attn_v.weight", Shape.of(c.kvDim(), c.dim()), backend),
                    put(source, p + "attn_output.weight", Shape.of(c.dim(), c.dim()), backend),
                    put(source, p + "ffn_norm.weight", Shape.of(c.dim()), backend),
                    put(source, p + "ffn_gate.weight", Shape.of(c.ffnDim(), c.dim()), backend),
                    put(source, p + "ffn_up.weight", Shape.of(c.ffnDim(), c.dim()), backend),
                    put(source, p + "ffn_down.weight", Shape.of(c.dim(), c.ffnDim()), backend)));
        }
        Tensor outputNorm = put(source, "output_norm.weight", Shape.of(c.dim()), backend);
        Tensor output = source.find("output.weight").isPresent()
                ? put(source, "output.weight", Shape.of(c.vocabSize(), c.dim()), backend)
                : embedding;
        return new LlamaWeights(embedding, layers, outputNorm, output);
    }

    private static Tensor put(TensorSource source, String name, Shape expected, Backend backend) {
        StoredTensor t = source.require(name);
        if (!t.shape().equals(expected)) {
            throw new ModelFormatException(source.origin() + ": tensor '" + name + "' has shape " + t.shape() + ", expected " + expected);
        }
        return backend.map(t.dtype(), t.shape(), t.bytes());
    }
}
