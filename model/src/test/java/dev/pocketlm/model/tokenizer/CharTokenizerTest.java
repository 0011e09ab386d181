package dev.pocketlm.model.tokenizer;

import dev.pocketlm.model.gguf.GgufFile;
import dev.pocketlm.model.gguf.GgufMetadata;
import dev.pocketlm.model.gguf.GgufValue;
import dev.pocketlm.model.gguf.GgufWriter;
import dev.pocketlm.model.gguf.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CharTokenizerTest {
    @TempDir Path dir;

    @Test
    void vocabularyIsTheSortedDistinctCharacters() {
        CharTokenizer t = CharTokenizer.fromCorpus("hello");
        assertEquals(4, t.vocabSize());
        assertEquals(List.of("e", "h", "l", "o"), List.of(t.token(0), t.token(1), t.token(2), t.token(3)));
        assertArrayEquals(new int[] {1, 0, 2, 2, 3}, t.encode("hello", false));
        assertEquals("lole", t.decode(new int[] {2, 3, 2, 0}));
        assertEquals(Tokenizer.NO_TOKEN, t.bosId());
    }

    /** char-rnn / nanoGPT's tinyshakespeare vocabulary has 65 characters, "\n" first. */
    @Test
    void tinyShakespeareHas65Characters() throws IOException {
        String corpus = Files.readString(SharedData.file("text/tinyshakespeare.txt"));
        CharTokenizer t = CharTokenizer.fromCorpus(corpus);
        assertEquals(65, t.vocabSize());
        assertEquals("\n", t.token(0));
        assertEquals(" ", t.token(1));
        String line = corpus.substring(0, 200);
        assertEquals(line, t.decode(t.encode(line, false)));
    }

    @Test
    void roundTripsThroughGgufMetadata() throws IOException {
        CharTokenizer t = CharTokenizer.fromCorpus("abc xyz\nλ🦙");
        Path file = dir.resolve("char.gguf");
        GgufMetadata meta = t.addTo(GgufMetadata.builder().put("general.architecture", GgufValue.string("llama"))).build();
        GgufWriter.write(file, meta, List.of());
        try (GgufFile f = GgufFile.open(file)) {
            Tokenizer back = Tokenizer.fromGguf(f);
            assertInstanceOf(CharTokenizer.class, back);
            assertEquals(t.vocabSize(), back.vocabSize());
            assertArrayEquals(t.encode("zyx🦙 λ", false), back.encode("zyx🦙 λ", false));
            assertEquals("🦙", back.decode(new int[] {back.vocabSize() - 1}));
        }
    }

    @Test
    void rejectsUnknownCharactersAndBos() {
        CharTokenizer t = CharTokenizer.fromCorpus("ab");
        assertEquals("character 'c' (U+0063) at code point 2 is not in the vocabulary of 2 characters",
                assertThrows(IllegalArgumentException.class, () -> t.encode("abc", false)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> t.encode("ab", true));
        assertThrows(IllegalArgumentException.class, () -> t.decode(2));
    }
}
