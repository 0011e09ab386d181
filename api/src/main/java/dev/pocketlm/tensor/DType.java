package dev.pocketlm.tensor;

import dev.pocketlm.tensor.codec.RowCodec;

/**
 * Element types, with ggml's exact byte layouts so a GGUF tensor uploads as-is.
 * Block types store {@code blockSize} elements in {@code blockBytes} bytes along the last dimension.
 */
public enum DType {
    F32(4, 1),
    F16(2, 1),
    BF16(2, 1),
    I32(4, 1),
    I8(1, 1),
    /** fp16 scale, then 32 int8: 34 bytes per 32 weights. */
    Q8_0(34, 32),
    /** fp16 scale, then 16 bytes: element j in the low nibble of byte j, j+16 in the high nibble; (q-8)*scale. */
    Q4_0(18, 32);

    private final int blockBytes;
    private final int blockSize;

    DType(int blockBytes, int blockSize) {
        this.blockBytes = blockBytes;
        this.blockSize = blockSize;
    }

    public int blockBytes() { return blockBytes; }

    public int blockSize() { return blockSize; }

    public boolean isQuantized() { return blockSize > 1; }

    /** F32, F16 or BF16: one float per element, no blocks (the types copies and casts convert among). */
    public boolean isPlainFloat() { return this == F32 || this == F16 || this == BF16; }

    /** Float-valued types (those that hold weights or activations). */
    public boolean isFloating() { return this != I32 && this != I8; }

    /** Bytes taken by {@code elements} elements; for block types a whole number of blocks is required. */
    public long bytes(long elements) {
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(this + " stores elements in blocks of " + blockSize
                    + "; " + elements + " is not a multiple of " + blockSize);
        }
        return elements / blockSize * blockBytes;
    }

    /** The reference codec (quantize / dequantize / dot) of a floating type. */
    public RowCodec codec() {
        return RowCodec.of(this);
    }
}
