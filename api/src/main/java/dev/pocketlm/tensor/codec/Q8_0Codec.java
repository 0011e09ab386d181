package dev.pocketlm.tensor.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** blockQ8_0: fp16 scale d, then 32 int8 q; value = q * d. Quantization follows quantize_row_q8_0_ref. */
public final class Q8_0Codec implements RowCodec {
    public static final int BLOCK = 32;
    public static final int BLOCK_BYTES = 34;
    static final Q8_0Codec INSTANCE = new Q8_0Codec();

    private Q8_0Codec() {}

    @Override public void encode(float[] src, int srcOff, MemorySegment dst, long dstOff, int n) {
        for (int b = 0; b < n / BLOCK; b++) {
            int x = srcOff + b * BLOCK;
            long o = dstOff + (long) b * BLOCK_BYTES;
            float amax = 0;
            for (int j = 0; j < BLOCK; j++) amax = Math.max(amax, Math.abs(src[x + j]));
            float d = amax / 127f;
            float id = d != 0 ? 1f / d : 0f;
            dst.set(ValueLayout.JAVA_SHORT_UNALIGNED, o, Half.floatToF16(d));
            for (int j = 0; j < BLOCK; j++) dst.set(ValueLayout.JAVA_BYTE, o + 2 + j, (byte) roundAway(src[x + j] * id));
        }
    }

    /** C's roundf: halfway cases away from zero. */
    static float roundAway(float v) {
        return (float) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
    }

    @Override public void decode(MemorySegment src, long srcOff, float[] dst, int dstOff, int n) {
        for (int b = 0; b < n / BLOCK; b++) {
            long o = srcOff + (long) b * BLOCK_BYTES;
            float d = Half.f16ToFloat(src.get(ValueLayout.JAVA_SHORT_UNALIGNED, o));
            for (int j = 0; j < BLOCK; j++) dst[dstOff + b * BLOCK + j] = src.get(ValueLayout.JAVA_BYTE, o + 2 + j) * d;
        }
    }

    @Override public float dot(MemorySegment w, long wOff, float[] x, int xOff, int n) {
        float sum = 0;
        for (int b = 0; b < n / BLOCK; b++) {
            long o = wOff + (long) b * BLOCK_BYTES;
            float d = Half.f16ToFloat(w.get(ValueLayout.JAVA_SHORT_UNALIGNED, o));
            float s = 0;
            for (int j = 0; j < BLOCK; j++) s += w.get(ValueLayout.JAVA_BYTE, o + 2 + j) * x[xOff + b * BLOCK + j];
            sum += s * d;
        }
        return sum;
    }
}
