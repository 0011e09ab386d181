package dev.pocketlm.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pocket command end to end, in process. */
class CliTest {

    static Path reference(String file) {
        return Path.of(System.getProperty("pocket.root", ".")).resolve("../shared/data/reference").resolve(file).normalize();
    }

    /** Runs pocket with args; returns exit code, stdout and the error stream's text. */
    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            CommandLine cl = Main.commandLine();
            cl.setErr(new PrintWriter(err, true));
            int code = cl.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(oldOut);
        }
    }

    /** A lone % in a description is a format specifier to picocli: the help then prints a warning and raw text. */
    @Test
    void everyCommandsHelpRendersWithoutFormatWarnings() {
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            CommandLine cl = Main.commandLine();
            cl.getUsageMessage();
            for (CommandLine command : cl.getSubcommands().values()) command.getUsageMessage();
        } finally {
            System.setErr(oldErr);
        }
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void everyCommandTakesHelpAndVersion() {
        CommandLine cl = Main.commandLine();
        for (String name : cl.getSubcommands().keySet()) {
            Run help = run(name, "--help");
            assertEquals(0, help.code(), name + " --help: " + help.err());
            assertTrue(help.out().startsWith("Usage: pocket " + name), help.out());
            Run version = run(name, "-V");
            assertEquals(0, version.code(), name + " -V: " + version.err());
            assertEquals(run("--version").out(), version.out());
        }
    }

    @Test
    void backendsListsTheCpuAndSaysWhatIsSelected() {
        Run r = run("backends");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("cpu") && r.out().contains("available"), r.out());
        assertTrue(r.out().contains("selected: "), r.out());
        Run named = run("backends", "--backend", "nosuch");
        assertEquals(1, named.code());
        assertTrue(named.out().contains("unknown backend 'nosuch'") && named.out().contains("known: "), named.out());
    }

    @Test
    void dumpedLogitsMatchLlamaCppOnRefA(@TempDir Path dir) throws Exception {
        Path dump = dir.resolve("logits.f32");
        Run r = run("generate", "--model", reference("ref-a-f32.gguf").toString(), "--prompt-ids", "1 9038 2501 263 931",
                "-n", "24", "--temperature", "0", "--backend", "cpu:reference", "--dump-logits", dump.toString());
        assertEquals(0, r.code(), r.err());
        float[] ours = floats(Files.readAllBytes(dump)), ref = floats(Files.readAllBytes(reference("ref-a-f32.logits.f32")));
        assertEquals(ref.length, ours.length, "one row per position fed: 5 prompt + 23 generated");
        int vocab = 32000;
        for (int row = 0; row < ref.length / vocab; row++) {
            double num = 0, den = 0;
            for (int i = row * vocab; i < (row + 1) * vocab; i++) {
                num += (ours[i] - ref[i]) * (ours[i] - ref[i]);
                den += ref[i] * ref[i];
            }
            assertTrue(Math.sqrt(num / den) <= 1e-3, "row " + row + ": relative L2 " + Math.sqrt(num / den));
        }
    }

    @Test
    void aTruncatedModelGivesOneClearLine(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.gguf");
        byte[] all = Files.readAllBytes(reference("ref-a-f32.gguf"));
        Files.write(bad, Arrays.copyOf(all, 4096));
        Run r = run("generate", "--model", bad.toString(), "-n", "2");
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("pocket generate: ") && r.err().contains(bad.toString()), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    @Test
    void quantizeWritesAModelThatInfoDescribes(@TempDir Path dir) {
        Path q = dir.resolve("q4.gguf");
        assertEquals(0, run("quantize", reference("ref-a-f32.gguf").toString(), q.toString(), "--type", "q4_0").code());
        Run info = run("info", q.toString());
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("blk.0.attn_q.weight") && info.out().contains("Q4_0"), info.out());
    }

    @Test
    void generateRunsOnAModelMadeByInit(@TempDir Path dir) {
        Path model = dir.resolve("tiny.gguf");
        Run init = run("init", model.toString(), "--shape", "tiny", "--type", "q8_0", "--seed", "3");
        assertEquals(0, init.code(), init.err());
        Run gen = run("generate", "-m", model.toString(), "-p", "Once upon a time", "-n", "6", "--seed", "1");
        assertEquals(0, gen.code(), gen.err());
        assertTrue(gen.out().startsWith("Once upon a time") && gen.out().length() > "Once upon a time".length(), gen.out());
        Run bench = run("bench", "-m", model.toString(), "--backend", "cpu", "--prompt", "8", "--gen", "4", "--repeat", "2", "--json");
        assertEquals(0, bench.code(), bench.err());
        double tokensPerSecond = jsonNumber(bench.out(), "generation_tokens_per_s"), weightBytes = jsonNumber(bench.out(), "weight_bytes");
        double achieved = jsonNumber(bench.out(), "achieved_gb_per_s"), read = jsonNumber(bench.out(), "read_gb_per_s");
        assertEquals(weightBytes * tokensPerSecond / 1e9, achieved, 1e-3 + 1e-4 * achieved, bench.out());
        assertTrue(read > 0.1 && read < 1e5, "implausible host read bandwidth: " + bench.out());
        assertEquals(achieved / read, jsonNumber(bench.out(), "bandwidth_fraction"), 1e-3 + 1e-3 * achieved / read, bench.out());
        assertTrue(bench.out().contains("\"kv_type\": \"f32\""), bench.out());
        // the parallel jobs' share of a token's time, and the weight rate within them that share implies
        double share = jsonNumber(bench.out(), "parallel_share");
        assertTrue(share >= 0 && share <= 1.001, bench.out());
        // the share is printed to 3 decimals, so a small one is known to within 0.0005 / share of itself
        if (share > 0) assertEquals(achieved / share, jsonNumber(bench.out(), "parallel_gb_per_s"), (5e-3 + 5e-4 / share) * achieved / share + 1e-3, bench.out());
        else assertTrue(bench.out().contains("\"parallel_gb_per_s\": null"), bench.out());
        // every decode step makes at least its logits' tensor object on the heap; HotSpot counts it
        double heapPerToken = jsonNumber(bench.out(), "heap_bytes_per_token");
        assertTrue(heapPerToken > 0 && heapPerToken < 1e9, bench.out());
        Run f16 = run("bench", "-m", model.toString(), "--backend", "cpu", "--kv-type", "f16", "--prompt", "8", "--gen", "4",
                "--warmup", "0", "--repeat", "1", "--json");
        assertEquals(0, f16.code(), f16.err());
        assertTrue(f16.out().contains("\"kv_type\": \"f16\"") && jsonNumber(f16.out(), "generation_tokens_per_s") > 0, f16.out());
        Run profiled = run("bench", "-m", model.toString(), "--backend", "cpu", "--prompt", "8", "--gen", "5", "--warmup", "0",
                "--repeat", "1", "--profile", "--json");
        assertEquals(0, profiled.code(), profiled.err());
        String prompt = profiled.out().substring(profiled.out().indexOf("\"prompt\": {"), profiled.out().indexOf("\"generation\": {"));
        String token = profiled.out().substring(profiled.out().indexOf("\"generation\": {"));
        double layers = calls(token, "attention");
        assertEquals(2, layers, profiled.out()); // the tiny shape's layers: one attention each per generated token
        assertEquals(2 * layers, calls(token, "linears"), profiled.out()); // q, k, v and gate, up
        assertEquals(2 * layers + 1, calls(token, "matmul"), profiled.out()); // output, down, and the logits
        assertEquals(2 * layers + 1, calls(token, "weightedRmsNorm"), profiled.out());
        assertEquals(layers, calls(prompt, "attention"), profiled.out()); // the prompt is one step
        for (String phase : List.of(prompt, token)) {
            double kernelMicros = Pattern.compile("\"us\": ([0-9.]+)").matcher(phase).results().mapToDouble(r -> Double.parseDouble(r.group(1))).sum();
            double stepMicros = jsonNumber(phase, "step_us");
            assertEquals(stepMicros, kernelMicros + jsonNumber(phase, "outside_kernels_us"), 1e-2 * stepMicros, profiled.out());
            assertTrue(kernelMicros > 0 && kernelMicros < stepMicros, profiled.out());
        }
        assertTrue(jsonNumber(token, "matmul_gb_per_s") > 0 && !prompt.contains("matmul_gb_per_s"), profiled.out());
        Run q8 = run("bench", "-m", model.toString(), "--kv-type", "q8_0");
        assertNotEquals(0, q8.code());
        assertTrue(q8.err().contains("--kv-type must be f32 or f16, got q8_0"), q8.err());
    }

    /** The calls per step of {@code kernel} in a phase of a {@code bench --profile --json} line. */
    private static double calls(String phase, String kernel) {
        return jsonNumber(phase, "kernel\": \"" + kernel + "\", \"calls");
    }

    /** The number after {@code "key": } in a one-object JSON line. */
    static double jsonNumber(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\": (-?[0-9.eE+-]+)").matcher(json);
        assertTrue(m.find(), "no number for " + key + " in " + json);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void withoutArgumentsGenerateUsesTheEmbeddedModel() {
        Run r = run("generate", "-n", "40", "--seed", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().strip().length() >= 20, "expected Shakespeare-like text, got: " + r.out());
    }

    @Test
    void theEmbeddedModelMeetsItsValidationBound() {
        Path corpus = Path.of(System.getProperty("pocket.root", "..")).resolve("data/tinyshakespeare.txt");
        Run r = run("eval", "--data", corpus.toString(), "--backend", "cpu");
        assertEquals(0, r.code(), r.err());
        double loss = Double.parseDouble(r.out().replaceAll("(?s).*loss ([0-9.]+) nats/token.*", "$1"));
        assertTrue(loss <= 1.80, "validation loss " + loss + " nats/char on the last 10% of tinyshakespeare exceeds 1.80");
    }

    private static float[] floats(byte[] b) {
        float[] f = new float[b.length / 4];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }
}
