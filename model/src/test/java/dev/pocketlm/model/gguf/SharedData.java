package dev.pocketlm.model.gguf;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the shared real data: {@code ${pocket.root}/../shared/data}, else {@code ../shared/data}. */
public final class SharedData {
    private SharedData() {}

    public static Path file(String relative) {
        String root = System.getProperty("pocket.root");
        Path dir = root != null ? Path.of(root).resolve("../shared/data") : Path.of("../shared/data");
        Path p = dir.resolve(relative).normalize();
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("shared test data " + relative + " not found at " + p.toAbsolutePath()
                    + " (pocket.root=" + root + ")");
        }
        return p;
    }
}
