package dev.pocketlm.model.compress;

import dev.pocketlm.model.gguf.GgufFile;
import dev.pocketlm.model.gguf.TensorInfo;
import dev.pocketlm.tensor.DType;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Our Q8_0 / Q4_0 quantizer against llama.cpp's: the same bytes for every tensor of ref-a that llama.cpp quantized. */
class ByteExactQuantizationTest {

    static Path reference(String file) {
        String root = System.getProperty("pocket.root", ".");
        Path p = Path.of(root).resolve("../shared/data/reference").resolve(file).normalize();
        return Files.exists(p) ? p : Path.of("../../shared/data/reference").resolve(file);
    }

    @ParameterizedTest
    @ValueSource(strings = {"q8_0", "q4_0"})
    void quantizingF32GivesLlamaCppBytes(String type, @TempDir Path tmp) throws Exception {
        DType dtype = DType.valueOf(type.toUpperCase());
        Path ours = tmp.resolve("ours.gguf");
        try (GgufFile f32 = GgufFile.open(reference("ref-a-f32.gguf"))) {
            RoundToNearest.quantize(f32, ours, dtype);
        }
        int compared = 0;
        try (GgufFile theirs = GgufFile.open(reference("ref-a-" + type + ".gguf")); GgufFile mine = GgufFile.open(ours)) {
            for (TensorInfo t : theirs.tensors()) {
                if (t.type().dtype().orElse(null) != dtype) continue;
                TensorInfo m = mine.tensor(t.name());
                assertEquals(t.type(), m.type(), t.name());
                MemorySegment a = theirs.data(t), b = mine.data(m);
                long mismatch = a.mismatch(b);
                assertEquals(-1, mismatch, t.name() + ": first differing byte at " + mismatch);
                compared++;
            }
        }
        assertTrue(compared >= 14, "expected every matrix of ref-a to be " + dtype + ", compared " + compared);
    }
}
