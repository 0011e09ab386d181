package dev.pocketlm.model.io;

import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Shape;

import java.lang.foreign.MemorySegment;

/** A tensor as a model file stores it: name, dtype, row-major shape and its bytes (usually a slice of a mapped file). */
public record StoredTensor(String name, DType dtype, Shape shape, MemorySegment bytes) {
    public StoredTensor {
        long need = dtype.bytes(shape.size());
        if (bytes.byteSize() != need) {
            throw new IllegalArgumentException("tensor '" + name + "': " + shape + " " + dtype + " needs " + need + " bytes, found " + bytes.byteSize());
        }
    }
}
