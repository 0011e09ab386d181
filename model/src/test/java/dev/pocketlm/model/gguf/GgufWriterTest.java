package dev.pocketlm.model.gguf;

import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufWriterTest {
    @TempDir Path dir;

    private static GgufMetadata everyType(int alignment) {
        GgufArray nested = new GgufArray(GgufType.ARRAY, new GgufArray[] {
                GgufArray.ofInts(1, -2, 3),
                GgufArray.ofStrings("a", ""),
                new GgufArray(GgufType.ARRAY, new GgufArray[] {GgufArray.ofFloats(1.5f)})});
        return GgufMetadata.builder()
                .put("general.alignment", GgufValue.uint32(alignment))
                .put("t.u8", GgufValue.uint8(255))
                .put("t.i8", GgufValue.int8(-128))
                .put("t.u16", GgufValue.uint16(65535))
                .put("t.i16", GgufValue.int16(-32768))
                .put("t.u32", GgufValue.uint32(4_000_000_000L))
                .put("t.i32", GgufValue.int32(-7))
                .put("t.u64", GgufValue.uint64(-1L))
                .put("t.i64", GgufValue.int64(Long.MIN_VALUE))
                .put("t.f32", GgufValue.float32(3.25f))
                .put("t.f64", GgufValue.float64(-2.5e300))
                .put("t.bool", GgufValue.bool(true))
                .put("t.string", GgufValue.string("héllo ▁ 🦙"))
                .put("t.arr.u8", GgufValue.array(new GgufArray(GgufType.UINT8, new byte[] {0, (byte) 200})))
                .put("t.arr.i16", GgufValue.array(new GgufArray(GgufType.INT16, new short[] {-1, 2})))
                .put("t.arr.u32", GgufValue.array(new GgufArray(GgufType.UINT32, new int[] {-1, 5})))
                .put("t.arr.i64", GgufValue.array(new GgufArray(GgufType.INT64, new long[] {Long.MAX_VALUE})))
                .put("t.arr.f64", GgufValue.array(new GgufArray(GgufType.FLOAT64, new double[] {0.1, -0.2})))
                .put("t.arr.bool", GgufValue.array(new GgufArray(GgufType.BOOL, new boolean[] {true, false, true})))
                .put("t.arr.f32", GgufValue.array(GgufArray.ofFloats(0.5f, Float.NaN)))
                .put("t.arr.str", GgufValue.array(GgufArray.ofStrings("x", "yy", "")))
                .put("t.arr.empty", GgufValue.array(GgufArray.ofInts()))
                .put("t.arr.nested", GgufValue.array(nested))
                .build();
    }

    private static GgufWriter.TensorData tensor(String name, DType type, Shape shape, long seed) {
        float[] x = new float[(int) shape.size()];
        Random rnd = new Random(seed);
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        MemorySegment bytes = MemorySegment.ofArray(new byte[(int) type.bytes(x.length)]);
        type.codec().encode(x, 0, bytes, 0, x.length);
        return new GgufWriter.TensorData(name, GgmlType.of(type), shape, bytes);
    }

    @Test
    void roundTripsEveryMetadataTypeAndTensorBytes() throws IOException {
        for (int alignment : new int[] {32, 64}) {
            GgufMetadata meta = everyType(alignment);
            List<GgufWriter.TensorData> tensors = List.of(
                    tensor("a.f32", DType.F32, Shape.of(3, 5), 1),
                    tensor("b.f16", DType.F16, Shape.of(7), 2),
                    tensor("c.q8_0", DType.Q8_0, Shape.of(2, 3, 64), 3),
                    tensor("d.q4_0", DType.Q4_0, Shape.of(5, 32), 4));
            Path out = dir.resolve("every-" + alignment + ".gguf");
            GgufWriter.write(out, meta, tensors);
            try (GgufFile f = GgufFile.open(out)) {
                assertEquals(3, f.version());
                assertEquals(alignment, f.alignment());
                assertEquals(meta.asMap(), f.metadata().asMap());
                assertEquals(0, f.dataOffset() % alignment);
                assertEquals(tensors.size(), f.tensors().size());
                for (GgufWriter.TensorData t : tensors) {
                    TensorInfo info = f.tensor(t.name());
                    assertEquals(t.type(), info.type());
                    assertEquals(t.shape(), info.shape());
                    assertEquals(0, info.offset() % alignment);
                    assertEquals(-1L, t.data().mismatch(f.data(info)), t.name() + " bytes differ");
                }
                GgufMetadata m = f.metadata();
                assertEquals(4_000_000_000L, m.getLong("t.u32"));
                assertEquals(255, m.getInt("t.u8"));
                assertEquals(-7, m.getInt("t.i32"));
                assertEquals("héllo ▁ 🦙", m.getString("t.string"));
                assertArrayEquals(new String[] {"x", "yy", ""}, m.getStrings("t.arr.str"));
                assertArrayEquals(new int[] {0, 200}, m.getInts("t.arr.u8"));
                assertArrayEquals(new float[] {0.1f, -0.2f}, m.getFloats("t.arr.f64"));
                assertEquals(GgufArray.ofStrings("a", ""), ((GgufArray[]) m.getArray("t.arr.nested").elements())[1]);
            }
        }
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary file is left behind");
        }
    }

    @Test
    void rewritesARealModelByteForByte() throws IOException {
        Path out = dir.resolve("copy.gguf");
        try (GgufFile src = GgufFile.open(SharedData.file("reference/ref-a-q4_0.gguf"))) {
            List<GgufWriter.TensorData> tensors = new ArrayList<>();
            for (TensorInfo t : src.tensors()) tensors.add(new GgufWriter.TensorData(t.name(), t.type(), t.shape(), src.data(t)));
            GgufWriter.write(out, src.metadata(), tensors);
            assertEquals(-1L, Files.mismatch(src.path(), out), "llama.cpp's file and our rewrite of it are identical");
        }
    }

    @Test
    void replacesAnExistingFileAndRejectsBadTensors() throws IOException {
        Path out = dir.resolve("model.gguf");
        Files.writeString(out, "old contents");
        GgufWriter.write(out, GgufMetadata.builder().put("k", GgufValue.string("v")).build(), List.of());
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals("v", f.metadata().getString("k"));
        }
        GgufException wrongSize = assertThrows(GgufException.class, () -> new GgufWriter.TensorData(
                "w", GgmlType.Q8_0, Shape.of(2, 32), MemorySegment.ofArray(new byte[34])));
        assertTrue(wrongSize.getMessage().contains("tensor 'w' (Q8_0 [2, 32]) needs 68 bytes of data, got 34"), wrongSize.getMessage());
        GgufException rows = assertThrows(GgufException.class, () -> new GgufWriter.TensorData(
                "r", GgmlType.Q4_0, Shape.of(48), MemorySegment.ofArray(new byte[27])));
        assertTrue(rows.getMessage().contains("rows of 48 elements, expected a multiple of the block size 32"), rows.getMessage());
        GgufWriter.TensorData t = tensor("dup", DType.F32, Shape.of(4), 5);
        GgufException dup = assertThrows(GgufException.class,
                () -> GgufWriter.write(dir.resolve("dup.gguf"), GgufMetadata.builder().build(), List.of(t, t)));
        assertTrue(dup.getMessage().contains("tensor 'dup' is given twice"), dup.getMessage());
        assertTrue(Files.notExists(dir.resolve("dup.gguf")));
    }
}
