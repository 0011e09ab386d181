package dev.pocketlm.tensor.codec;

/** Scalar conversions between float and the 16-bit float formats, rounding to nearest even as ggml does. */
public final class Half {
    private Half() {}

    public static float f16ToFloat(short h) { return Float.float16ToFloat(h); }

    public static short floatToF16(float f) { return Float.floatToFloat16(f); }

    public static float bf16ToFloat(short b) { return Float.intBitsToFloat((b & 0xffff) << 16); }

    /** ggml_compute_fp32_to_bf16: round to nearest even, NaN kept quiet. */
    public static short floatToBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) return (short) ((u >>> 16) | 64);
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }
}
