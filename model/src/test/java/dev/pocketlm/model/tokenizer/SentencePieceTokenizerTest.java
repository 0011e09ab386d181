package dev.pocketlm.model.tokenizer;

import dev.pocketlm.model.gguf.SharedData;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SentencePieceTokenizerTest {
    private final Tokenizer spm = TokenizerVectorsTest.tokenizer("llama-spm");

    @Test
    void specialIdsComeFromTheMetadata() {
        assertInstanceOf(SentencePieceTokenizer.class, spm);
        assertEquals(1, spm.bosId());
        assertEquals(2, spm.eosId());
        assertEquals(32000, spm.vocabSize());
        assertTrue(spm.addBos());
        assertEquals("<0x0A>", spm.token(13));
    }

    /** llama.cpp's prompt line for ref-a: "Once upon a time" with BOS. */
    @Test
    void encodesThePromptOfTheReferenceRun() throws IOException {
        String prompt = Files.readAllLines(SharedData.file("reference/ref-a-f32.tokens.txt")).getFirst();
        int[] expected = Arrays.stream(prompt.substring("prompt:".length()).trim().split(" ")).mapToInt(Integer::parseInt).toArray();
        assertArrayEquals(expected, spm.encode("Once upon a time", true));
        assertEquals("Once upon a time", spm.decode(expected));
    }

    @Test
    void continuationDecoderKeepsTheSpaceOfTheFirstPiece() {
        int[] ids = spm.encode("Once upon", false);
        Decoder fresh = spm.decoder(), continued = spm.decoder(false);
        assertEquals("Once", fresh.next(ids[0]));
        assertEquals(" Once", continued.next(ids[0]));
        assertEquals(" upon", fresh.next(ids[1]));
        assertArrayEquals(new byte[] {'\n'}, spm.decode(13), "byte token <0x0A>");
        assertArrayEquals(new byte[0], spm.decode(1), "BOS has no text");
    }

    @Test
    void specialTokenTextsAreParsedOnlyWhenAsked() {
        int[] parsed = spm.encode("<s>Hello</s>", false, true);
        int[] hello = spm.encode("Hello", false);
        assertEquals(1, parsed[0]);
        assertEquals(2, parsed[parsed.length - 1]);
        assertArrayEquals(hello, Arrays.copyOfRange(parsed, 1, parsed.length - 1), "text after a special token gets the space prefix");
        int[] plain = spm.encode("<s>Hello</s>", false);
        assertFalse(Arrays.stream(plain).anyMatch(id -> id == 1 || id == 2), Arrays.toString(plain));
        assertEquals("<s>Hello</s>", spm.decode(plain));
    }

    /** A character without its own token becomes UTF-8 byte tokens; the decoder holds them until the character is whole. */
    @Test
    void byteFallbackStreamsWholeCharacters() {
        String text = "a\uD801\uDC37b"; // U+10437, four UTF-8 bytes, not in the Llama vocabulary
        int[] ids = spm.encode(text, false);
        List<String> chunks = new ArrayList<>();
        Decoder d = spm.decoder();
        for (int id : ids) chunks.add(d.next(id));
        byte[] utf8 = "\uD801\uDC37".getBytes(StandardCharsets.UTF_8);
        List<Integer> byteTokens = new ArrayList<>();
        for (byte b : utf8) byteTokens.add(3 + (b & 0xff)); // <0x00> is token 3
        List<Integer> actual = Arrays.stream(ids).boxed().toList();
        assertEquals(byteTokens, actual.subList(actual.size() - 5, actual.size() - 1), Arrays.toString(ids));
        assertEquals(List.of("", "", "", "\uD801\uDC37"), chunks.subList(chunks.size() - 5, chunks.size() - 1));
        assertEquals(text, String.join("", chunks));
    }
}
