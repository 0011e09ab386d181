package dev.pocketlm.model.llama;

import dev.pocketlm.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/** All tensors of a Llama model on one backend; {@code output} is the embedding itself when tied. */
public record LlamaWeights(Tensor tokenEmbedding, List<LayerWeights> layers, Tensor outputNorm, Tensor output)
        implements AutoCloseable {

    public LlamaWeights {
        layers = List.copyOf(layers);
    }

    public boolean tiedOutput() { return output == tokenEmbedding; }

    public List<Tensor> all() {
        List<Tensor> out = new ArrayList<>();
        out.add(tokenEmbedding);
        for (LayerWeights l : layers) out.addAll(l.all());
        out.add(outputNorm);
        if (!tiedOutput()) out.add(output);
        return out;
    }

    /** Bytes of every weight as stored: what one generated token streams. */
    public long bytes() {
        return all().stream().mapToLong(Tensor::byteSize).sum();
    }

    @Override public void close() {
        all().forEach(Tensor::close);
    }
}
