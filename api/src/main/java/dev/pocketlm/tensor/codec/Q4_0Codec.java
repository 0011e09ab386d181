package dev.pocketlm.tensor.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * blockQ4_0: fp16 scale d, then 16 bytes; element j in the low nibble of byte j, element j+16 in the high
 * nibble; value = (q - 8) * d. Quantization follows quantize_row_q4_0_ref.
 */
public final class Q4_0Codec implements RowCodec {
    public static final int BLOCK = 32;
    public static final int BLOCK_BYTES = 18;
    static final Q4_0Codec INSTANCE = new Q4_0Codec();

    private Q4_0Codec() {}

    @Override public void encode(float[] src, int srcOff, MemorySegment dst, long dstOff, int n) {
        for (int b = 0; b < n / BLOCK; b++) {
            int x = srcOff + b * BLOCK;
            long o = dstOff + (long) b * BLOCK_BYTES;
            float amax = 0, max = 0;
            for (int j = 0; j < BLOCK; j++) {
                float v = src[x + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8f;
            float id = d != 0 ? 1f / d : 0f;
            dst.set(ValueLayout.JAVA_SHORT_UNALIGNED, o, Half.floatToF16(d));
            for (int j = 0; j < BLOCK / 2; j++) {
                int lo = Math.min(15, (byte) (int) (src[x + j] * id + 8.5f));
                int hi = Math.min(15, (byte) (int) (src[x + BLOCK / 2 + j] * id + 8.5f));
                dst.set(ValueLayout.JAVA_BYTE, o + 2 + j, (byte) (lo | hi << 4));
            }
        }
    }

    @Override public void decode(MemorySegment src, long srcOff, float[] dst, int dstOff, int n) {
        for (int b = 0; b < n / BLOCK; b++) {
            long o = srcOff + (long) b * BLOCK_BYTES;
            float d = Half.f16ToFloat(src.get(ValueLayout.JAVA_SHORT_UNALIGNED, o));
            for (int j = 0; j < BLOCK / 2; j++) {
                int q = src.get(ValueLayout.JAVA_BYTE, o + 2 + j) & 0xff;
                dst[dstOff + b * BLOCK + j] = ((q & 0x0f) - 8) * d;
                dst[dstOff + b * BLOCK + j + BLOCK / 2] = ((q >>> 4) - 8) * d;
            }
        }
    }

    @Override public float dot(MemorySegment w, long wOff, float[] x, int xOff, int n) {
        float sum = 0;
        for (int b = 0; b < n / BLOCK; b++) {
            long o = wOff + (long) b * BLOCK_BYTES;
            float d = Half.f16ToFloat(w.get(ValueLayout.JAVA_SHORT_UNALIGNED, o));
            float s = 0;
            int xb = xOff + b * BLOCK;
            for (int j = 0; j < BLOCK / 2; j++) {
                int q = w.get(ValueLayout.JAVA_BYTE, o + 2 + j) & 0xff;
                s += ((q & 0x0f) - 8) * x[xb + j] + ((q >>> 4) - 8) * x[xb + j + BLOCK / 2];
            }
            sum += s * d;
        }
        return sum;
    }
}
