package dev.pocketlm.model.tokenizer;

import dev.pocketlm.model.gguf.GgufFile;
import dev.pocketlm.model.gguf.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * llama.cpp's tokenizer test vectors: {@code X.gguf.inp} holds inputs separated by lines {@code __ggml_vocab_test__},
 * {@code X.gguf.out} the ids llama.cpp produced for each (no BOS), one line per input.
 */
class TokenizerVectorsTest {
    private static final String SEPARATOR = "\n__ggml_vocab_test__\n";
    private static final Map<String, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();

    static Tokenizer tokenizer(String vocab) {
        return TOKENIZERS.computeIfAbsent(vocab, v -> {
            try (GgufFile f = GgufFile.open(SharedData.file("tokenizer/ggml-vocab-" + v + ".gguf"))) {
                return Tokenizer.fromGguf(f);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> all = new ArrayList<>();
        for (String vocab : List.of("llama-spm", "gpt-2")) {
            Path inp = SharedData.file("tokenizer/ggml-vocab-" + vocab + ".gguf.inp");
            Path out = SharedData.file("tokenizer/ggml-vocab-" + vocab + ".gguf.out");
            String text = Files.readString(inp, StandardCharsets.UTF_8);
            if (!text.endsWith(SEPARATOR)) throw new IllegalStateException(inp + " does not end with the separator line");
            String[] inputs = text.substring(0, text.length() - SEPARATOR.length()).split(SEPARATOR, -1);
            List<String> expected = Files.readAllLines(out, StandardCharsets.UTF_8);
            if (inputs.length != expected.size()) {
                throw new IllegalStateException(inp + " has " + inputs.length + " inputs but " + out + " has " + expected.size() + " lines");
            }
            for (int i = 0; i < inputs.length; i++) all.add(Arguments.of(vocab, i, inputs[i], expected.get(i).strip()));
        }
        return all.stream();
    }

    private static String ids(int[] ids) {
        return Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(" "));
    }

    private static String show(String s) {
        return s.replace("\n", "\\n").replace("\t", "\\t");
    }

    @ParameterizedTest(name = "{0} #{1}")
    @MethodSource("cases")
    void encodesExactlyAsLlamaCpp(String vocab, int index, String input, String expected) {
        String actual = ids(tokenizer(vocab).encode(input, false));
        assertEquals(expected, actual, () -> vocab + " case " + index + "\n  input:    [" + show(input) + "]\n  expected: "
                + expected + "\n  actual:   " + actual);
    }

    @ParameterizedTest(name = "{0} #{1}")
    @MethodSource("cases")
    void decodesBackToTheInput(String vocab, int index, String input, String expected) {
        Tokenizer t = tokenizer(vocab);
        assertEquals(input, t.decode(t.encode(input, false)), vocab + " case " + index);
        if (t.bosId() != Tokenizer.NO_TOKEN) assertEquals(input, t.decode(t.encode(input, true)), vocab + " case " + index + " with BOS");
    }

    /** Every chunk the decoder emits is whole characters: it survives a UTF-8 round trip and holds no U+FFFD. */
    @ParameterizedTest(name = "{0} #{1}")
    @MethodSource("cases")
    void streamingDecoderEmitsWholeCharacters(String vocab, int index, String input, String expected) {
        Tokenizer t = tokenizer(vocab);
        Decoder d = t.decoder();
        StringBuilder text = new StringBuilder();
        for (int id : t.encode(input, false)) {
            String chunk = d.next(id);
            assertEquals(chunk, new String(chunk.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8),
                    "a chunk splits a character after token " + id);
            assertFalse(chunk.contains("\uFFFD"), "chunk '" + chunk + "' after token " + id);
            text.append(chunk);
        }
        assertEquals("", d.finish());
        assertEquals(input, text.toString(), vocab + " case " + index);
    }
}
