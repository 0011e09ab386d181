package dev.pocketlm.cli;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static dev.pocketlm.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Once the JIT is warm, the CPU kernels keep their vectors in registers. A kernel past C2's inlining budget
 * ({@code NodeCountInliningCutoff}) gets calls on boxed vectors instead, silently: a lane sum moved into a helper
 * method made SmolLM-135M's generated tokens allocate 13.6-20 MB each instead of 270-277 KB, and TinyLlama's 50 MB
 * (bench/README.md, session 29). The bound sits 7x above the one and 7x below the other.
 */
class KernelBoxingTest {
    private static final double MAX_HEAP_BYTES_PER_TOKEN = 2e6;

    /** The packed Q4_0 and Q8_0 matvecs. */
    @ParameterizedTest
    @ValueSource(strings = {"q4_0", "q8_0"})
    void aWarmGeneratedTokenAllocatesNoVectors(String type, @TempDir Path dir) {
        Path model = dir.resolve("smollm-" + type + ".gguf");
        CliTest.Run init = run("init", model.toString(), "--shape", "smollm-135m", "--type", type, "--seed", "3");
        assertEquals(0, init.code(), init.err());
        CliTest.Run bench = run("bench", "-m", model.toString(), "--backend", "cpu", "--prompt", "8", "--gen", "16", "--json");
        assertEquals(0, bench.code(), bench.err());
        double heapPerToken = CliTest.jsonNumber(bench.out(), "heap_bytes_per_token");
        assertTrue(heapPerToken > 0 && heapPerToken < MAX_HEAP_BYTES_PER_TOKEN,
                type + ": " + heapPerToken + " bytes a generated token, a kernel boxing its vectors? " + bench.out());
    }
}
