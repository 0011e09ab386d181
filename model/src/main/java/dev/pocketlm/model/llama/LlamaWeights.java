package dev.pocketlm.model.llama;

import dev.pocketlm.tensor.Shape;
import dev.pocketlm.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * All tensors of a Llama model on one backend, under GGUF's tensor names; {@code output} is the embedding itself
 * when tied. Matrices are [out, in].
 */
public record LlamaWeights(Tensor tokenEmbedding, List<LayerWeights> layers, Tensor outputNorm, Tensor output)
        implements AutoCloseable {

    /** GGUF names of a block's tensors, in {@link LayerWeights#all()} order. */
    static final String[] LAYER_TENSORS = {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
            "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"};

    /** Makes (loads, uploads or initializes) the tensor called {@code name} with shape {@code shape}. */
    @FunctionalInterface
    public interface TensorFactory {
        Tensor make(String name, Shape shape);
    }

    public LlamaWeights {
        layers = List.copyOf(layers);
    }

    /** Builds every tensor of a model of shape {@code c} through {@code factory}. */
    public static LlamaWeights assemble(LlamaConfig c, boolean tiedOutput, TensorFactory factory) {
        Tensor embedding = factory.make("token_embd.weight", Shape.of(c.vocabSize(), c.dim()));
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) {
            Tensor[] t = new Tensor[LAYER_TENSORS.length];
            for (int i = 0; i < t.length; i++) t[i] = factory.make(layerTensorName(l, i), layerTensorShape(c, i));
            layers.add(new LayerWeights(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8]));
        }
        Tensor outputNorm = factory.make("output_norm.weight", Shape.of(c.dim()));
        Tensor output = tiedOutput ? embedding : factory.make("output.weight", Shape.of(c.vocabSize(), c.dim()));
        return new LlamaWeights(embedding, layers, outputNorm, output);
    }

    private static String layerTensorName(int layer, int i) {
        return "blk." + layer + "." + LAYER_TENSORS[i] + ".weight";
    }

    private static Shape layerTensorShape(LlamaConfig c, int i) {
        return switch (LAYER_TENSORS[i]) {
            case "attn_norm", "ffn_norm" -> Shape.of(c.dim());
            case "attn_q", "attn_output" -> Shape.of(c.dim(), c.dim());
            case "attn_k", "attn_v" -> Shape.of(c.kvDim(), c.dim());
            case "ffn_gate", "ffn_up" -> Shape.of(c.ffnDim(), c.dim());
            case "ffn_down" -> Shape.of(c.dim(), c.ffnDim());
            default -> throw new IllegalStateException(LAYER_TENSORS[i]);
        };
    }

    public boolean tiedOutput() { return output == tokenEmbedding; }

    /** Every distinct tensor under its GGUF name, in file order. */
    public Map<String, Tensor> named() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("token_embd.weight", tokenEmbedding);
        for (int l = 0; l < layers.size(); l++) {
            List<Tensor> all = layers.get(l).all();
            for (int i = 0; i < all.size(); i++) out.put(layerTensorName(l, i), all.get(i));
        }
        out.put("output_norm.weight", outputNorm);
        if (!tiedOutput()) out.put("output.weight", output);
        return out;
    }

    public List<Tensor> all() { return new ArrayList<>(named().values()); }

    /** Bytes of every weight as stored. */
    public long bytes() {
        return all().stream().mapToLong(Tensor::byteSize).sum();
    }

    /**
     * Weight bytes one generated token reads: every tensor but the token embedding, of which it gathers one row,
     * unless the output projection is that embedding (tied), which streams it whole. TinyLlama's untied Q4_0
     * embedding is 35 MiB of its 590, counted before as if streamed.
     */
    public long bytesPerToken() {
        long rowBytes = tokenEmbedding.byteSize() / tokenEmbedding.dim(0);
        return tiedOutput() ? bytes() : bytes() - tokenEmbedding.byteSize() + rowBytes;
    }

    @Override public void close() {
        all().forEach(Tensor::close);
    }
}
