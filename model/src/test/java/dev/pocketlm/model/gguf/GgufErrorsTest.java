package dev.pocketlm.model.gguf;

import dev.pocketlm.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every malformed input fails with a GgufException naming the file and the problem, never an index error. */
class GgufErrorsTest {
    @TempDir Path dir;

    /** magic, version, tensor count, kv count (24 bytes), then tensor 'w': name (8 + 1), n_dims (4), ne (8), type at 45. */
    private static final int NE0_OFFSET = 37;
    private static final int TYPE_OFFSET = 45;

    private byte[] oneTensorFile() throws IOException {
        Path p = dir.resolve("one.gguf");
        GgufWriter.write(p, GgufMetadata.builder().build(),
                List.of(new GgufWriter.TensorData("w", GgmlType.F32, Shape.of(4), MemorySegment.ofArray(new float[] {1, 2, 3, 4}))));
        return Files.readAllBytes(p);
    }

    private Path file(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private static void putInt(byte[] b, int at, int v) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(at, v);
    }

    private static String failure(Path p) {
        GgufException e = assertThrows(GgufException.class, () -> GgufFile.open(p).close());
        assertTrue(e.getMessage().startsWith(p.toString() + ": "), "names the file: " + e.getMessage());
        return e.getMessage();
    }

    private static void assertContains(String message, String part) {
        assertTrue(message.contains(part), "expected '" + part + "' in: " + message);
    }

    @Test
    void badMagic() throws IOException {
        byte[] b = oneTensorFile();
        b[3] = 'L';
        assertContains(failure(file("magic.gguf", b)), "not a GGUF file: expected magic 'GGUF' (47 47 55 46), found 47 47 55 4c");
    }

    @Test
    void unsupportedVersions() throws IOException {
        byte[] b = oneTensorFile();
        putInt(b, 4, 1);
        assertContains(failure(file("v1.gguf", b)), "unsupported GGUF version 1, expected 2 or 3");
        putInt(b, 4, Integer.reverseBytes(3));
        assertContains(failure(file("be.gguf", b)), "(a big-endian file; only little-endian GGUF is supported)");
        putInt(b, 4, 2);
        try (GgufFile f = GgufFile.open(file("v2.gguf", b))) {
            assertEquals(2, f.version());
            assertEquals(2f, GgufTensors.toFloats(f.tensor("w"), f.data(f.tensor("w")))[1]);
        }
    }

    @Test
    void truncatedFiles() throws IOException {
        assertContains(failure(file("empty.gguf", new byte[0])), "truncated file: reading the magic number needs 4 bytes at offset 0, but the file ends at 0");
        byte[] real = Files.readAllBytes(SharedData.file("reference/ref-a-f32.gguf"));
        String key = failure(file("key.gguf", Arrays.copyOf(real, 300)));
        assertContains(key, "truncated file: reading metadata key 'llama.rope.dimension_count' needs");
        assertContains(key, "but the file ends at 300");
        assertContains(failure(file("array.gguf", Arrays.copyOf(real, 5000))),
                "metadata key 'tokenizer.ggml.tokens' declares 32000 STRING array elements but only 4388 bytes remain");
        String data = failure(file("data.gguf", Arrays.copyOf(real, real.length - 10)));
        assertContains(data, "tensor 'blk.1.ffn_down.weight' (F32 [64, 192], 49152 bytes at data offset");
        assertContains(data, "past the end of the file (" + (real.length - 10) + " bytes)");
    }

    @Test
    void corruptCountsAndTypes() throws IOException {
        byte[] b = oneTensorFile();
        putInt(b, TYPE_OFFSET, 99);
        assertContains(failure(file("type.gguf", b)), "tensor 'w' has unknown ggml type id 99, expected one of 0..39");
        putInt(b, TYPE_OFFSET, 31);
        assertContains(failure(file("removed.gguf", b)), "tensor 'w' has type Q4_0_4_4 (id 31), which ggml has removed");
        putInt(b, TYPE_OFFSET, GgmlType.Q8_0.id());
        assertContains(failure(file("rows.gguf", b)), "tensor 'w' of type Q8_0 has rows of 4 elements, expected a multiple of the block size 32");
        byte[] wide = oneTensorFile();
        ByteBuffer.wrap(wide).order(ByteOrder.LITTLE_ENDIAN).putLong(NE0_OFFSET, 1L << 31);
        assertContains(failure(file("ne.gguf", wide)), "tensor 'w' has ne[0] = 2147483648, expected 0..2147483647");
        byte[] c = oneTensorFile();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putLong(16, 1L << 40);
        assertContains(failure(file("count.gguf", c)), "the header declares 1099511627776 metadata entries but only");
    }

    @Test
    void missingAndMistypedKeysAndTensors() throws IOException {
        try (GgufFile f = GgufFile.open(SharedData.file("reference/ref-a-f32.gguf"))) {
            String file = f.path().toString();
            GgufMetadata m = f.metadata();
            assertEquals(file + ": metadata key 'llama.rope.freq_base' is missing",
                    assertThrows(GgufException.class, () -> m.getFloat("llama.rope.freq_base")).getMessage());
            assertEquals(file + ": metadata key 'general.architecture' is STRING, expected an integer type",
                    assertThrows(GgufException.class, () -> m.getInt("general.architecture")).getMessage());
            assertEquals(file + ": metadata key 'llama.block_count' is UINT32, expected STRING",
                    assertThrows(GgufException.class, () -> m.getString("llama.block_count")).getMessage());
            assertEquals(file + ": metadata key 'tokenizer.ggml.scores' is ARRAY of FLOAT32, expected ARRAY of STRING",
                    assertThrows(GgufException.class, () -> m.getStrings("tokenizer.ggml.scores")).getMessage());
            assertEquals(file + ": tensor 'output.weight' is missing",
                    assertThrows(GgufException.class, () -> f.tensor("output.weight")).getMessage());
        }
    }
}
