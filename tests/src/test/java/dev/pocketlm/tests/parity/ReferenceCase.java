package dev.pocketlm.tests.parity;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** One model of ../shared/data/reference with llama.cpp's prompt, greedy tokens and logits rows. */
record ReferenceCase(String name, Path model, int[] prompt, int[] generated, float[][] logits, double bound) {

    static Path dataDir() {
        String root = System.getProperty("pocket.root");
        Path base = root != null ? Path.of(root) : Path.of("").toAbsolutePath();
        Path d = base.resolve("../shared/data").normalize();
        return Files.isDirectory(d) ? d : base.resolve("../../shared/data").normalize();
    }

    static ReferenceCase load(String name, double bound) throws IOException {
        Path dir = dataDir().resolve("reference");
        List<String> lines = Files.readAllLines(dir.resolve(name + ".tokens.txt"));
        int[] prompt = ids(lines, "prompt:");
        int[] generated = ids(lines, "generated:");
        byte[] raw = Files.readAllBytes(dir.resolve(name + ".logits.f32"));
        int rows = prompt.length + generated.length - 1;
        int vocab = raw.length / 4 / rows;
        float[][] logits = new float[rows][vocab];
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        for (int r = 0; r < rows; r++) b.asFloatBuffer().position(r * vocab).get(logits[r]);
        return new ReferenceCase(name, dir.resolve(name + ".gguf"), prompt, generated, logits, bound);
    }

    private static int[] ids(List<String> lines, String prefix) {
        return lines.stream().filter(l -> l.startsWith(prefix)).findFirst()
                .map(l -> Arrays.stream(l.substring(prefix.length()).trim().split("\\s+")).mapToInt(Integer::parseInt).toArray())
                .orElseThrow(() -> new IllegalStateException("no '" + prefix + "' line"));
    }

    /** The tokens llama.cpp fed: the prompt, then every generated token but the last. */
    int[] fed() {
        int[] f = Arrays.copyOf(prompt, prompt.length + generated.length - 1);
        System.arraycopy(generated, 0, f, prompt.length, generated.length - 1);
        return f;
    }

    @Override public String toString() { return name; }
}
