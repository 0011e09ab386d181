package dev.pocketlm.model.gguf;

import dev.pocketlm.tensor.DType;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Oracles: blocks packed the way ggml's quantize_row_q4_K_ref / quantize_row_q6_K_ref pack them, and a per-element
 * unpacking written from the block layout (index arithmetic, float64) applied to llama.cpp's own Q4_K_M file.
 */
class KQuantsTest {
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    @Test
    void q4KDecodesBlocksPackedAsGgmlPacksThem() {
        Random rnd = new Random(1);
        float d = 0.0123f, dmin = 0.0456f;
        int[] ls = new int[8], lm = new int[8], q = new int[256];
        for (int j = 0; j < 8; j++) {
            ls[j] = rnd.nextInt(64);
            lm[j] = rnd.nextInt(64);
        }
        ls[5] = 63;
        lm[6] = 63;
        for (int i = 0; i < 256; i++) q[i] = rnd.nextInt(16);
        byte[] block = new byte[144];
        short hd = Float.floatToFloat16(d), hm = Float.floatToFloat16(dmin);
        block[0] = (byte) hd;
        block[1] = (byte) (hd >> 8);
        block[2] = (byte) hm;
        block[3] = (byte) (hm >> 8);
        for (int j = 0; j < 8; j++) { // quantize_row_q4_K_ref's packing of 6-bit scales and mins
            if (j < 4) {
                block[4 + j] = (byte) ls[j];
                block[4 + j + 4] = (byte) lm[j];
            } else {
                block[4 + j + 4] = (byte) ((ls[j] & 0xf) | (lm[j] & 0xf) << 4);
                block[4 + j - 4] |= (byte) ((ls[j] >> 4) << 6);
                block[4 + j] |= (byte) ((lm[j] >> 4) << 6);
            }
        }
        for (int j = 0; j < 256; j += 64) {
            for (int l = 0; l < 32; l++) block[16 + j / 2 + l] = (byte) (q[j + l] | q[j + l + 32] << 4);
        }
        float[] out = new float[256];
        KQuants.dequantizeQ4K(MemorySegment.ofArray(block), 0, out, 0, 256);
        float dd = Float.float16ToFloat(hd), mm = Float.float16ToFloat(hm);
        for (int i = 0; i < 256; i++) {
            int sub = i / 32;
            assertEquals(dd * ls[sub] * q[i] - mm * lm[sub], out[i], 1e-6, "element " + i);
        }
    }

    @Test
    void q6KDecodesBlocksPackedAsGgmlPacksThem() {
        Random rnd = new Random(2);
        int[] l = new int[256];
        byte[] scales = new byte[16];
        for (int i = 0; i < 256; i++) l[i] = rnd.nextInt(64);
        for (int i = 0; i < 16; i++) scales[i] = (byte) (rnd.nextInt(256) - 128);
        byte[] block = new byte[210];
        for (int j = 0; j < 256; j += 128) { // quantize_row_q6_K_ref's packing
            int ql = j / 2, qh = 128 + j / 4;
            for (int k = 0; k < 32; k++) {
                block[ql + k] = (byte) ((l[j + k] & 0xf) | (l[j + k + 64] & 0xf) << 4);
                block[ql + k + 32] = (byte) ((l[j + k + 32] & 0xf) | (l[j + k + 96] & 0xf) << 4);
                block[qh + k] = (byte) (l[j + k] >> 4 | (l[j + k + 32] >> 4) << 2 | (l[j + k + 64] >> 4) << 4 | (l[j + k + 96] >> 4) << 6);
            }
        }
        System.arraycopy(scales, 0, block, 192, 16);
        short hd = Float.floatToFloat16(0.00731f);
        block[208] = (byte) hd;
        block[209] = (byte) (hd >> 8);
        float[] out = new float[256];
        KQuants.dequantizeQ6K(MemorySegment.ofArray(block), 0, out, 0, 256);
        float d = Float.float16ToFloat(hd);
        for (int i = 0; i < 256; i++) assertEquals(d * scales[i / 16] * (l[i] - 32), out[i], 1e-6, "element " + i);
    }

    /** Element e of a Q6_K block: half e/128, quarter (e%128)/32 picks the ql byte and nibble, qh bit pair, scale. */
    private static double q6KElement(MemorySegment b, long o, int e) {
        int half = e / 128, quarter = e % 128 / 32, l = e % 32;
        int qlByte = b.get(ValueLayout.JAVA_BYTE, o + 64L * half + l + 32L * (quarter % 2)) & 0xff;
        int low = quarter < 2 ? qlByte & 0xf : qlByte >> 4;
        int high = (b.get(ValueLayout.JAVA_BYTE, o + 128 + 32L * half + l) & 0xff) >> 2 * quarter & 3;
        int scale = b.get(ValueLayout.JAVA_BYTE, o + 192 + 8L * half + 2L * quarter + l / 16);
        double d = Float.float16ToFloat(b.get(F16, o + 208));
        return d * scale * ((low | high << 4) - 32);
    }

    @Test
    void q6KEmbeddingOfLlamaCppFileMatchesPerElementUnpacking() throws IOException {
        try (GgufFile f = GgufFile.open(SharedData.file("reference/ref-c-q4_k_m.gguf"))) {
            TensorInfo t = f.tensor("token_embd.weight");
            MemorySegment data = f.data(t);
            float[] v = GgufTensors.toFloats(t, data);
            assertEquals(32000 * 256, v.length);
            int nonzero = 0;
            for (int e = 0; e < v.length; e++) {
                double expected = q6KElement(data, (long) (e / 256) * 210, e % 256);
                assertEquals(expected, v[e], 1e-6 * Math.abs(expected) + 1e-12, "element " + e);
                if (v[e] != 0) nonzero++;
            }
            assertTrue(nonzero > v.length / 2, "a random embedding is mostly non-zero, found " + nonzero);
        }
    }

    /**
     * Every dequantized weight of llama.cpp's k-quant tensors sits on its group's grid, with the grid read from the raw
     * block: Q4_K {@code (v + dmin*m) / (d*sc)} is an integer in 0..15, Q6_K {@code v / (d*sc)} one in -32..31.
     */
    @Test
    void kQuantTensorsOfLlamaCppFileObeyTheBlockStructure() throws IOException {
        try (GgufFile f = GgufFile.open(SharedData.file("reference/ref-c-q4_k_m.gguf"))) {
            int checked = 0;
            int[] scaleMin = new int[2];
            for (TensorInfo t : f.tensors()) {
                if (t.type() != GgmlType.Q4_K && t.type() != GgmlType.Q6_K) continue;
                MemorySegment data = f.data(t);
                float[] v = GgufTensors.toFloats(t, data);
                for (int e = 0; e < v.length; e++) {
                    assertTrue(Float.isFinite(v[e]), t.name() + "[" + e + "] = " + v[e]);
                    long o = (long) (e / 256) * t.type().blockBytes();
                    double k;
                    int lo, hi;
                    if (t.type() == GgmlType.Q4_K) {
                        KQuants.scaleMin(data, o + 4, e % 256 / 32, scaleMin);
                        double d = Float.float16ToFloat(data.get(F16, o)) * scaleMin[0];
                        double m = Float.float16ToFloat(data.get(F16, o + 2)) * scaleMin[1];
                        if (d == 0) continue;
                        k = (v[e] + m) / d;
                        lo = 0;
                        hi = 15;
                    } else {
                        double d = Float.float16ToFloat(data.get(F16, o + 208)) * data.get(ValueLayout.JAVA_BYTE, o + 192 + e % 256 / 16);
                        if (d == 0) continue;
                        k = v[e] / d;
                        lo = -32;
                        hi = 31;
                    }
                    assertEquals(Math.rint(k), k, 1e-3, t.name() + "[" + e + "] is off its block's grid");
                    assertTrue(Math.rint(k) >= lo && Math.rint(k) <= hi, t.name() + "[" + e + "]: level " + k);
                }
                checked++;
            }
            assertEquals(15, checked, "the embedding and 2 layers x 7 matrices are k-quants");
        }
    }

    @Test
    void convertsAKQuantTensorToApiTypes() throws IOException {
        try (GgufFile f = GgufFile.open(SharedData.file("reference/ref-c-q4_k_m.gguf")); Arena arena = Arena.ofConfined()) {
            TensorInfo t = f.tensor("blk.0.ffn_down.weight");
            float[] exact = GgufTensors.toFloats(t, f.data(t));
            MemorySegment f32 = GgufTensors.convert(t, f.data(t), DType.F32, arena);
            assertEquals(-1L, f32.mismatch(MemorySegment.ofArray(exact)), "F32 conversion holds the dequantized values");
            for (DType target : new DType[] {DType.F16, DType.Q8_0}) {
                MemorySegment converted = GgufTensors.convert(t, f.data(t), target, arena);
                assertEquals(target.bytes(t.elements()), converted.byteSize());
                float[] back = new float[exact.length];
                target.codec().decode(converted, 0, back, 0, back.length);
                double err = 0, norm = 0;
                for (int i = 0; i < exact.length; i++) {
                    err += (back[i] - exact[i]) * (double) (back[i] - exact[i]);
                    norm += exact[i] * (double) exact[i];
                }
                assertTrue(err / norm < 1e-4, target + " relative squared error " + err / norm);
            }
        }
    }
}
