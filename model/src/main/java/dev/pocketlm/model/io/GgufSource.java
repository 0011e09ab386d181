package dev.pocketlm.model.io;

import dev.pocketlm.model.ModelFormatException;
import dev.pocketlm.model.gguf.GgmlType;
import dev.pocketlm.model.gguf.GgufFile;
import dev.pocketlm.model.gguf.GgufTensors;
import dev.pocketlm.model.gguf.TensorInfo;
import dev.pocketlm.tensor.DType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * A GGUF file's tensors as stored. Types the tensor API has (F32, F16, BF16, Q8_0, Q4_0) are slices of the mapping;
 * k-quants (Q4_K, Q6_K) are dequantized on load to Q8_0, the nearest fast type, with a log line, until native
 * kernels exist.
 */
public final class GgufSource implements TensorSource, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(GgufSource.class.getName());
    /** What k-quant tensors become on load. */
    public static final DType KQUANT_TARGET = DType.Q8_0;

    private final GgufFile file;
    private final Arena converted = Arena.ofShared();

    public GgufSource(GgufFile file) {
        this.file = file;
    }

    @Override public String origin() { return file.path().toString(); }

    @Override public Optional<StoredTensor> find(String name) {
        return file.findTensor(name).map(this::load);
    }

    private StoredTensor load(TensorInfo t) {
        Optional<DType> native_ = t.type().dtype();
        if (native_.isPresent()) return new StoredTensor(t.name(), native_.get(), t.shape(), file.data(t));
        if (!GgufTensors.canDecode(t.type())) {
            throw new ModelFormatException(origin() + ": tensor '" + t.name() + "' has type " + t.type() + ", which Pocket cannot read");
        }
        DType target = t.shape().cols() % KQUANT_TARGET.blockSize() == 0 ? KQUANT_TARGET : DType.F32;
        LOG.info(() -> origin() + ": tensor '" + t.name() + "' is " + t.type() + "; dequantized to " + target + " on load");
        MemorySegment bytes = GgufTensors.convert(t, file.data(t), target, converted);
        return new StoredTensor(t.name(), target, t.shape(), bytes);
    }

    /** Whether any tensor is stored in a type that is converted on load. */
    public boolean hasConvertedTypes() {
        return file.tensors().stream().map(TensorInfo::type).anyMatch(ty -> ty.dtype().isEmpty() && ty != GgmlType.F32);
    }

    @Override public void close() {
        converted.close();
    }
}
