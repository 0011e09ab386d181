package dev.pocketlm.model.gguf;

import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufFileTest {

    @Test
    void readsTheLlamaHyperparametersOfRefA() throws IOException {
        try (GgufFile f = GgufFile.open(SharedData.file("reference/ref-a-f32.gguf"))) {
            GgufMetadata m = f.metadata();
            assertEquals(3, f.version());
            assertEquals(32, f.alignment());
            assertEquals("llama", m.getString("general.architecture"));
            assertEquals(64, m.getInt("llama.embedding_length"));
            assertEquals(2, m.getInt("llama.block_count"));
            assertEquals(4, m.getInt("llama.attention.head_count"));
            assertEquals(2, m.getInt("llama.attention.head_count_kv"));
            assertEquals(192, m.getInt("llama.feed_forward_length"));
            assertEquals(256, m.getLong("llama.context_length"));
            assertEquals(1e-5f, m.getFloat("llama.attention.layer_norm_rms_epsilon"));
            assertEquals(32000, m.getStrings("tokenizer.ggml.tokens").length);
            assertEquals(32000, m.getFloats("tokenizer.ggml.scores").length);
            assertEquals("<0x0A>", m.getStrings("tokenizer.ggml.tokens")[13]);
            assertTrue(m.getBoolean("tokenizer.ggml.add_bos_token"));
            assertEquals(42, m.getInt("no.such.key", 42));
            assertEquals(20, f.tensors().size());
        }
    }

    /** Row-major shapes: the last dimension is ggml's ne[0]; K/V project to 2 KV heads of 64/4 = 16. */
    @ParameterizedTest
    @CsvSource({
            "token_embd.weight, 32000, 64",
            "blk.0.attn_q.weight, 64, 64",
            "blk.0.attn_k.weight, 32, 64",
            "blk.1.attn_v.weight, 32, 64",
            "blk.0.ffn_gate.weight, 192, 64",
            "blk.1.ffn_up.weight, 192, 64",
            "blk.0.ffn_down.weight, 64, 192",
    })
    void tensorShapesAreRowMajor(String name, int rows, int cols) throws IOException {
        try (GgufFile f = GgufFile.open(SharedData.file("reference/ref-a-f32.gguf"))) {
            TensorInfo t = f.tensor(name);
            assertEquals(Shape.of(rows, cols), t.shape());
            assertArrayEquals(new long[] {cols, rows}, t.ne());
            assertEquals(GgmlType.F32, t.type());
            assertEquals(Optional.of(DType.F32), t.type().dtype());
            assertEquals(4L * rows * cols, f.data(t).byteSize());
        }
    }

    @Test
    void tensorsLieInOrderInsideTheAlignedDataSection() throws IOException {
        try (GgufFile f = GgufFile.open(SharedData.file("reference/ref-a-f32.gguf"))) {
            assertEquals(0, f.dataOffset() % 32);
            long end = 0;
            for (TensorInfo t : f.tensors()) {
                assertEquals(0, t.offset() % 32, t.name());
                assertTrue(t.offset() >= end, t.name() + " overlaps the previous tensor");
                end = t.offset() + t.byteSize();
            }
            assertEquals(f.path().toFile().length(), f.dataOffset() + end, "the last tensor ends the file");
            assertEquals(Shape.of(64), f.tensor("output_norm.weight").shape());
        }
    }

    /** The llama.cpp-quantized files keep norms in F32 (byte-equal to the F32 file) and quantize every matrix. */
    @ParameterizedTest
    @CsvSource({"ref-a-q8_0.gguf, Q8_0", "ref-a-q4_0.gguf, Q4_0"})
    void quantizedFilesHoldTheirTypeAndApproximateTheF32Weights(String file, GgmlType type) throws IOException {
        try (GgufFile q = GgufFile.open(SharedData.file("reference/" + file));
             GgufFile f = GgufFile.open(SharedData.file("reference/ref-a-f32.gguf"))) {
            assertEquals(f.tensors().size(), q.tensors().size());
            for (TensorInfo t : q.tensors()) {
                TensorInfo ref = f.tensor(t.name());
                assertEquals(ref.shape(), t.shape(), t.name());
                if (t.shape().rank() == 1) {
                    assertEquals(GgmlType.F32, t.type(), t.name());
                    assertEquals(-1L, f.data(ref).mismatch(q.data(t)), t.name() + " bytes differ from the F32 file");
                    continue;
                }
                assertEquals(type, t.type(), t.name());
                float[] approx = GgufTensors.toFloats(t, q.data(t));
                float[] exact = GgufTensors.toFloats(ref, f.data(ref));
                MemorySegment blocks = q.data(t);
                for (int i = 0; i < exact.length; i++) {
                    // a quantized weight is within one step (the block scale d, itself rounded to fp16) of the original
                    float d = Math.abs(Float.float16ToFloat(blocks.get(
                            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), (long) (i / 32) * type.blockBytes())));
                    assertTrue(Math.abs(approx[i] - exact[i]) <= d * 1.01f + 1e-7f,
                            t.name() + "[" + i + "]: " + approx[i] + " vs " + exact[i] + ", step " + d);
                }
            }
        }
    }

    @Test
    void kQuantFileHoldsQ4KAndQ6K() throws IOException {
        try (GgufFile f = GgufFile.open(SharedData.file("reference/ref-c-q4_k_m.gguf"))) {
            assertEquals(256, f.metadata().getInt("llama.embedding_length"));
            assertEquals(GgmlType.Q6_K, f.tensor("token_embd.weight").type());
            assertEquals(Shape.of(32000, 256), f.tensor("token_embd.weight").shape());
            assertEquals(GgmlType.Q4_K, f.tensor("blk.0.attn_q.weight").type());
            assertEquals(Optional.empty(), GgmlType.Q4_K.dtype());
            long q6 = f.tensors().stream().filter(t -> t.type() == GgmlType.Q6_K).count();
            assertTrue(q6 >= 2, "Q4_K_M keeps the embedding and some attn_v / ffn_down in Q6_K, found " + q6);
            assertEquals(32000L * 256 / 256 * 210, f.data(f.tensor("token_embd.weight")).byteSize());
        }
    }
}
