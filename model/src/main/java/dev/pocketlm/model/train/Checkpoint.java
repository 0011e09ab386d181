package dev.pocketlm.model.train;

import dev.pocketlm.model.ModelFormatException;
import dev.pocketlm.model.gguf.GgmlType;
import dev.pocketlm.model.gguf.GgufFile;
import dev.pocketlm.model.gguf.GgufMetadata;
import dev.pocketlm.model.gguf.GgufTensors;
import dev.pocketlm.model.gguf.GgufValue;
import dev.pocketlm.model.gguf.GgufWriter;
import dev.pocketlm.model.gguf.TensorInfo;
import dev.pocketlm.model.io.LlamaGguf;
import dev.pocketlm.model.io.LlamaGgufWriter;
import dev.pocketlm.model.llama.LlamaConfig;
import dev.pocketlm.model.llama.LlamaWeights;
import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A training checkpoint: the model as a GGUF (usable as is by generate and eval) and beside it
 * {@code NAME.optim.gguf} with AdamW's moments. Both carry the step; each is written through a temporary file and
 * moved into place, optimizer first, so an interrupted save leaves the previous pair loadable (a mismatch is
 * detected on resume).
 */
public final class Checkpoint {
    public static final String STEP_KEY = "pocket.train.step";

    private Checkpoint() {}

    public static Path optimizerPath(Path model) {
        return model.resolveSibling(model.getFileName() + ".optim");
    }

    public static void save(Path model, LlamaConfig c, LlamaWeights params, AdamW optimizer, GgufMetadata extra) throws IOException {
        GgufMetadata.Builder stepMeta = GgufMetadata.builder().put(STEP_KEY, GgufValue.uint32(optimizer.step()));
        List<GgufWriter.TensorData> moments = new ArrayList<>();
        List<Map.Entry<String, Tensor>> named = new ArrayList<>(params.named().entrySet());
        for (int i = 0; i < named.size(); i++) {
            String name = named.get(i).getKey();
            Tensor m = optimizer.firstMoments().get(i), v = optimizer.secondMoments().get(i);
            moments.add(new GgufWriter.TensorData("m." + name, GgmlType.F32, m.shape(), m.download()));
            moments.add(new GgufWriter.TensorData("v." + name, GgmlType.F32, v.shape(), v.download()));
        }
        GgufWriter.write(optimizerPath(model), stepMeta.build(), moments);
        LlamaGgufWriter.write(model, c, params, GgufMetadata.builder().putAll(extra).putAll(stepMeta.build()).build());
    }

    /** A model file's weights as trainable F32 tensors (whatever their stored type), with its config and metadata. */
    public record Loaded(LlamaConfig config, LlamaWeights params, GgufMetadata metadata, int step) {}

    public static Loaded load(Path model, Backend backend) throws IOException {
        try (GgufFile f = GgufFile.open(model); Arena arena = Arena.ofConfined()) {
            LlamaConfig c = LlamaGguf.config(f);
            boolean tied = f.findTensor("output.weight").isEmpty();
            LlamaWeights w = LlamaWeights.assemble(c, tied, (name, shape) -> {
                TensorInfo t = f.findTensor(name).orElseThrow(() -> new ModelFormatException(model + ": missing tensor '" + name + "'"));
                if (!t.shape().equals(shape)) throw new ModelFormatException(model + ": tensor '" + name + "' has shape " + t.shape() + ", expected " + shape);
                return backend.upload(DType.F32, shape, GgufTensors.convert(t, f.data(t), DType.F32, arena));
            });
            return new Loaded(c, w, f.metadata(), (int) f.metadata().getLong(STEP_KEY, 0));
        }
    }

    /** Restores AdamW's moments and step from the file beside {@code model}. */
    public static void loadOptimizer(Path model, LlamaWeights params, AdamW optimizer, int expectedStep) throws IOException {
        Path file = optimizerPath(model);
        try (GgufFile f = GgufFile.open(file)) {
            int step = (int) f.metadata().getLong(STEP_KEY);
            if (step != expectedStep) {
                throw new ModelFormatException(file + ": optimizer state is at step " + step + ", the model at step " + expectedStep
                        + " (a save was interrupted between the two files); resume from an intact pair");
            }
            List<String> names = new ArrayList<>(params.named().keySet());
            for (int i = 0; i < names.size(); i++) {
                load(f, "m." + names.get(i), optimizer.firstMoments().get(i));
                load(f, "v." + names.get(i), optimizer.secondMoments().get(i));
            }
            optimizer.resumeAt(step);
        }
    }

    private static void load(GgufFile f, String name, Tensor into) {
        TensorInfo t = f.findTensor(name).orElseThrow(() -> new ModelFormatException(f.path() + ": missing tensor '" + name + "'"));
        if (!t.shape().equals(into.shape()) || t.type() != GgmlType.F32) {
            throw new ModelFormatException(f.path() + ": tensor '" + name + "' is " + t.type() + " " + t.shape() + ", expected F32 " + into.shape());
        }
        into.backend().write(into.storage(), into.byteOffset(), f.data(t));
    }
}
