package dev.pocketlm.model.tokenizer;

import org.junit.jupiter.api.Test;

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

    /** An unfinished character left at the end comes out of finish() as U+FFFD, once. */
    @Test
    void finishFlushesAnUnfinishedCharacter() {
        Tokenizer spm = TokenizerVectorsTest.tokenizer("llama-spm");
        Decoder d = spm.decoder(false);
        assertEquals("", d.next(3 + 0xf0)); // <0xF0>: the first of four bytes
        assertEquals("", d.next(3 + 0x9f));
        assertEquals("\uFFFD", d.finish());
        assertEquals("", d.finish());
        assertEquals(" a", d.next(spm.encode("a", false)[0]), "the decoder is usable again");
    }
}
