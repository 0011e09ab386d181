package dev.pocketlm.model.io;

import dev.pocketlm.model.llama.Llama;
import dev.pocketlm.model.tokenizer.Tokenizer;

import java.util.List;

/**
 * A model ready to run: the transformer on its backend, its tokenizer, and the open file(s) whose mapped memory
 * the backend may still borrow (closed last).
 */
public record LoadedModel(String origin, Llama model, Tokenizer tokenizer, List<AutoCloseable> files) implements AutoCloseable {

    @Override public void close() {
        model.close();
        for (AutoCloseable f : files) {
            try {
                f.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing " + origin + ": " + e.getMessage(), e);
            }
        }
    }
}
