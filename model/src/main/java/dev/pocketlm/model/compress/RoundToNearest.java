package dev.pocketlm.model.compress;

import dev.pocketlm.model.gguf.GgmlType;
import dev.pocketlm.model.gguf.GgufFile;
import dev.pocketlm.model.gguf.GgufMetadata;
import dev.pocketlm.model.gguf.GgufTensors;
import dev.pocketlm.model.gguf.GgufValue;
import dev.pocketlm.model.gguf.GgufWriter;
import dev.pocketlm.model.gguf.TensorInfo;
import dev.pocketlm.tensor.DType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Round-to-nearest quantization of a GGUF model with the reference codecs (ggml's rules, byte for byte):
 * every matrix whose rows hold whole blocks becomes {@code type}; vectors (norm weights) stay as they are,
 * as llama.cpp's quantizer leaves them.
 */
public final class RoundToNearest {
    private RoundToNearest() {}

    /** llama.cpp's general.file_type values (enum llama_ftype). */
    public static int fileType(DType t) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q8_0 -> 7;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException(t + " is not a model file type");
        };
    }

    public static void quantize(GgufFile in, Path out, DType type) throws IOException {
        if (!type.isFloating()) throw new IllegalArgumentException("quantize: " + type + " is not a weight type");
        GgufMetadata meta = GgufMetadata.builder().putAll(in.metadata())
                .put("general.file_type", GgufValue.uint32(fileType(type))).build();
        try (Arena arena = Arena.ofConfined()) {
            List<GgufWriter.TensorData> tensors = new ArrayList<>();
            for (TensorInfo t : in.tensors()) {
                boolean convert = t.shape().rank() >= 2 && t.shape().cols() % type.blockSize() == 0 && t.type().dtype().orElse(null) != type;
                tensors.add(convert
                        ? new GgufWriter.TensorData(t.name(), GgmlType.of(type), t.shape(), GgufTensors.convert(t, in.data(t), type, arena))
                        : new GgufWriter.TensorData(t.name(), t.type(), t.shape(), in.data(t)));
            }
            GgufWriter.write(out, meta, tensors);
        }
    }
}
