package dev.pocketlm.tensor.codec;

import dev.pocketlm.tensor.DType;

import java.lang.foreign.MemorySegment;

/**
 * The reference encoding of a floating dtype: the source of truth every backend is tested against.
 * {@code n} counts elements and must be a whole number of blocks; offsets into segments are in bytes.
 */
public sealed interface RowCodec permits F32Codec, F16Codec, BF16Codec, Q8_0Codec, Q4_0Codec {

    /** Encodes (rounds or quantizes) n floats from src into dst. */
    void encode(float[] src, int srcOff, MemorySegment dst, long dstOff, int n);

    /** Decodes (widens or dequantizes) n elements from src into dst. */
    void decode(MemorySegment src, long srcOff, float[] dst, int dstOff, int n);

    /** Dot product of n encoded elements with floats x, accumulated as the decoded values times x. */
    default float dot(MemorySegment w, long wOff, float[] x, int xOff, int n) {
        float[] row = new float[n];
        decode(w, wOff, row, 0, n);
        float s = 0;
        for (int i = 0; i < n; i++) s += row[i] * x[xOff + i];
        return s;
    }

    static RowCodec of(DType t) {
        return switch (t) {
            case F32 -> F32Codec.INSTANCE;
            case F16 -> F16Codec.INSTANCE;
            case BF16 -> BF16Codec.INSTANCE;
            case Q8_0 -> Q8_0Codec.INSTANCE;
            case Q4_0 -> Q4_0Codec.INSTANCE;
            case I32, I8 -> throw new IllegalArgumentException(t + " is not a floating type and has no float codec");
        };
    }
}
