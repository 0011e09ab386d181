package dev.pocketlm.model.io;

import dev.pocketlm.model.gguf.GgmlType;
import dev.pocketlm.model.gguf.GgufMetadata;
import dev.pocketlm.model.gguf.GgufWriter;
import dev.pocketlm.model.llama.LlamaConfig;
import dev.pocketlm.model.llama.LlamaWeights;
import dev.pocketlm.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Writes a model held on a backend as a Llama GGUF (through a temporary file moved into place). */
public final class LlamaGgufWriter {
    private LlamaGgufWriter() {}

    /** {@code extra} carries the tokenizer and any other keys; the Llama hyper-parameters are added here. */
    public static void write(Path target, LlamaConfig c, LlamaWeights weights, GgufMetadata extra) throws IOException {
        GgufMetadata.Builder meta = GgufMetadata.builder().putAll(extra);
        LlamaGguf.put(meta, c);
        List<GgufWriter.TensorData> tensors = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : weights.named().entrySet()) {
            Tensor t = e.getValue();
            tensors.add(new GgufWriter.TensorData(e.getKey(), GgmlType.of(t.dtype()), t.shape(), t.download()));
        }
        GgufWriter.write(target, meta.build(), tensors);
    }
}
