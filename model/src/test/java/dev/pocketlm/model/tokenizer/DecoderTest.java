package dev.pocketlm.model.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

class DecoderTest {
    private static int complete(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) b[i] = (byte) bytes[i];
        return Decoder.completePrefix(b);
    }

    @Test
    void holdsBackOnlyAnUnfinishedTrailingCharacter() {
        assertEquals(0, complete());
        assertEquals(2, complete('a', 'b'));
        assertEquals(1, complete('a', 0xc3));             // é started
        assertEquals(3, complete('a', 0xc3, 0xa9));       // é complete
        assertEquals(1, complete('a', 0xf0, 0x9f, 0xa6)); // 🦙 missing its last byte
        assertEquals(5, complete('a', 0xf0, 0x9f, 0xa6, 0x99));
        assertEquals(2, complete('a', 0x80));             // a stray continuation byte cannot be completed: emit it
        assertEquals(2, complete('a', 0xff));
    }

    @Test
    void emitsACharacterSplitAcrossTokensWhenItCompletes() {
        CharTokenizer bytes = CharTokenizer.fromCorpus("x");
        byte[] llama = "🦙".getBytes(StandardCharsets.UTF_8);
        Decoder d = new Decoder(bytes, false) {
        };
        assertEquals(4, llama.length);
    }
}
