package dev.pocketlm.model.gguf;

import dev.pocketlm.tensor.Shape;

/**
 * One tensor of a GGUF file. {@code shape} is row-major (the last dimension is contiguous), i.e. ggml's ne reversed:
 * {@code shape.cols() == ne[0]}. {@code offset} is in bytes from the start of the file's tensor data section.
 */
public record TensorInfo(String name, GgmlType type, Shape shape, long offset) {

    /** ggml's dimension order, innermost first: ne[0] is the row length. */
    public long[] ne() {
        int r = shape.rank();
        long[] ne = new long[r];
        for (int i = 0; i < r; i++) ne[i] = shape.dim(r - 1 - i);
        return ne;
    }

    public long elements() { return shape.size(); }

    /** Bytes of the tensor's data: rows times the bytes of one row of {@code shape.cols()} elements. */
    public long byteSize() { return shape.rows() * type.rowBytes(shape.cols()); }

    @Override public String toString() {
        return name + " " + type + " " + shape;
    }
}
