package dev.pocketlm.model.gguf;

import dev.pocketlm.tensor.codec.Half;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Exact dequantization of ggml's k-quant super-blocks of 256 weights (dequantize_row_q4_K / dequantize_row_q6_K).
 * {@code n} counts elements and must be a whole number of super-blocks; offsets into segments are in bytes.
 */
public final class KQuants {
    public static final int SUPER_BLOCK = 256;

    /** blockQ4_K: fp16 d, fp16 dmin, 12 bytes of 6-bit scales and mins, 128 bytes qs (two 4-bit weights a byte). */
    public static final int Q4_K_BYTES = 144;
    private static final int Q4_K_SCALES = 4;
    private static final int Q4_K_QS = 16;

    /** blockQ6_K: 128 bytes ql (low 4 bits), 64 bytes qh (high 2 bits), 16 int8 scales, fp16 d. */
    public static final int Q6_K_BYTES = 210;
    private static final int Q6_K_QH = 128;
    private static final int Q6_K_SCALES = 192;
    private static final int Q6_K_D = 208;

    private KQuants() {}

    /** Each 64 weights use two (scale, min) pairs: low nibbles of 32 qs bytes with the first, high nibbles with the second. */
    public static void dequantizeQ4K(MemorySegment src, long srcOff, float[] dst, int dstOff, int n) {
        int[] scaleMin = new int[2];
        for (int b = 0; b < blocks(n); b++) {
            long o = srcOff + (long) b * Q4_K_BYTES;
            float d = half(src, o);
            float dmin = half(src, o + 2);
            int y = dstOff + b * SUPER_BLOCK;
            for (int j = 0; j < 4; j++) {
                scaleMin(src, o + Q4_K_SCALES, 2 * j, scaleMin);
                float d1 = d * scaleMin[0];
                float m1 = dmin * scaleMin[1];
                scaleMin(src, o + Q4_K_SCALES, 2 * j + 1, scaleMin);
                float d2 = d * scaleMin[0];
                float m2 = dmin * scaleMin[1];
                long q = o + Q4_K_QS + 32L * j;
                for (int l = 0; l < 32; l++) {
                    int v = src.get(ValueLayout.JAVA_BYTE, q + l) & 0xff;
                    dst[y + 64 * j + l] = d1 * (v & 0x0f) - m1;
                    dst[y + 64 * j + 32 + l] = d2 * (v >>> 4) - m2;
                }
            }
        }
    }

    /** get_scale_min_k4: the 6-bit scale and min of sub-block {@code j} (0..7) from the 12 packed bytes. */
    static void scaleMin(MemorySegment src, long scales, int j, int[] out) {
        if (j < 4) {
            out[0] = u8(src, scales + j) & 63;
            out[1] = u8(src, scales + j + 4) & 63;
        } else {
            out[0] = (u8(src, scales + j + 4) & 0x0f) | (u8(src, scales + j - 4) >>> 6) << 4;
            out[1] = (u8(src, scales + j + 4) >>> 4) | (u8(src, scales + j) >>> 6) << 4;
        }
    }

    /** Each 128 weights: 64 ql bytes (two nibbles), 32 qh bytes (four 2-bit fields), 8 scales of 16 weights each. */
    public static void dequantizeQ6K(MemorySegment src, long srcOff, float[] dst, int dstOff, int n) {
        for (int b = 0; b < blocks(n); b++) {
            long o = srcOff + (long) b * Q6_K_BYTES;
            float d = half(src, o + Q6_K_D);
            for (int h = 0; h < 2; h++) {
                long ql = o + 64L * h;
                long qh = o + Q6_K_QH + 32L * h;
                long sc = o + Q6_K_SCALES + 8L * h;
                int y = dstOff + b * SUPER_BLOCK + 128 * h;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int lo0 = u8(src, ql + l);
                    int lo1 = u8(src, ql + l + 32);
                    int hi = u8(src, qh + l);
                    int q1 = ((lo0 & 0x0f) | (hi & 3) << 4) - 32;
                    int q2 = ((lo1 & 0x0f) | (hi >>> 2 & 3) << 4) - 32;
                    int q3 = ((lo0 >>> 4) | (hi >>> 4 & 3) << 4) - 32;
                    int q4 = ((lo1 >>> 4) | (hi >>> 6 & 3) << 4) - 32;
                    dst[y + l] = d * src.get(ValueLayout.JAVA_BYTE, sc + is) * q1;
                    dst[y + l + 32] = d * src.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2;
                    dst[y + l + 64] = d * src.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3;
                    dst[y + l + 96] = d * src.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4;
                }
            }
        }
    }

    private static int blocks(int n) {
        if (n % SUPER_BLOCK != 0) {
            throw new IllegalArgumentException("k-quants store " + SUPER_BLOCK + " weights a block; " + n + " is not a multiple");
        }
        return n / SUPER_BLOCK;
    }

    private static float half(MemorySegment s, long o) {
        return Half.f16ToFloat(s.get(ValueLayout.JAVA_SHORT_UNALIGNED, o));
    }

    private static int u8(MemorySegment s, long o) {
        return s.get(ValueLayout.JAVA_BYTE, o) & 0xff;
    }
}
