package dev.pocketlm.model.gguf;

import dev.pocketlm.tensor.DType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Reads a GGUF tensor's values whatever its storage type: the tensor API's types through their reference codecs, Q4_K
 * and Q6_K through {@link KQuants}. Converts row by row (rows are ggml's ne[0]), so a large tensor is never held as
 * floats all at once.
 */
public final class GgufTensors {
    private static final String DECODABLE = "F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K";

    private GgufTensors() {}

    /** True when {@link #toFloats} and {@link #convert} can read tensors of this type. */
    public static boolean canDecode(GgmlType type) {
        return type == GgmlType.Q4_K || type == GgmlType.Q6_K || type.dtype().filter(DType::isFloating).isPresent();
    }

    /** Decodes {@code n} elements (whole blocks) of a {@code type} row at {@code srcOff} into {@code dst}. */
    public static void decodeRow(GgmlType type, MemorySegment src, long srcOff, float[] dst, int dstOff, int n) {
        switch (type) {
            case Q4_K -> KQuants.dequantizeQ4K(src, srcOff, dst, dstOff, n);
            case Q6_K -> KQuants.dequantizeQ6K(src, srcOff, dst, dstOff, n);
            default -> {
                DType t = type.dtype().filter(DType::isFloating).orElseThrow(() -> new GgufException(
                        "cannot decode ggml type " + type + " (decodable: " + DECODABLE + ")"));
                t.codec().decode(src, srcOff, dst, dstOff, n);
            }
        }
    }

    /** All values of tensor {@code t} (whose bytes are {@code data}), row-major. */
    public static float[] toFloats(TensorInfo t, MemorySegment data) {
        checkDecodable(t, data);
        if (t.elements() > Integer.MAX_VALUE - 8) {
            throw new GgufException("tensor '" + t.name() + "' has " + t.elements()
                    + " elements, too many for one float[]; convert it with GgufTensors.convert instead");
        }
        float[] out = new float[(int) t.elements()];
        int cols = t.shape().cols();
        long rowBytes = t.type().rowBytes(cols);
        for (long r = 0; r < t.shape().rows(); r++) decodeRow(t.type(), data, r * rowBytes, out, (int) (r * cols), cols);
        return out;
    }

    /**
     * Tensor {@code t} re-encoded as {@code target} (F32, F16, BF16, Q8_0 or Q4_0) in a new segment of {@code arena}:
     * each row is decoded to floats and encoded with the target's reference codec.
     */
    public static MemorySegment convert(TensorInfo t, MemorySegment data, DType target, Arena arena) {
        checkDecodable(t, data);
        if (!target.isFloating()) throw new GgufException("tensor '" + t.name() + "': cannot convert to " + target + ", a non-float type");
        int cols = t.shape().cols();
        if (cols % target.blockSize() != 0) {
            throw new GgufException("tensor '" + t.name() + "' has rows of " + cols + " elements; " + target
                    + " needs a multiple of " + target.blockSize());
        }
        long srcRow = t.type().rowBytes(cols);
        long dstRow = target.bytes(cols);
        MemorySegment out = arena.allocate(dstRow * t.shape().rows(), 16);
        float[] row = new float[cols];
        for (long r = 0; r < t.shape().rows(); r++) {
            decodeRow(t.type(), data, r * srcRow, row, 0, cols);
            target.codec().encode(row, 0, out, r * dstRow, cols);
        }
        return out;
    }

    private static void checkDecodable(TensorInfo t, MemorySegment data) {
        if (!canDecode(t.type())) {
            throw new GgufException("tensor '" + t.name() + "' has type " + t.type()
                    + ", which cannot be decoded (decodable: " + DECODABLE + ")");
        }
        if (data.byteSize() != t.byteSize()) {
            throw new GgufException("tensor '" + t.name() + "' (" + t.type() + " " + t.shape() + ") needs "
                    + t.byteSize() + " bytes of data, got " + data.byteSize());
        }
    }
}
