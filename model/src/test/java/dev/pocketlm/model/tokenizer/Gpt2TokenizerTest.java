package dev.pocketlm.model.tokenizer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class Gpt2TokenizerTest {
    private final Tokenizer gpt2 = TokenizerVectorsTest.tokenizer("gpt-2");

    @Test
    void metadataAndWellKnownIds() {
        assertInstanceOf(Gpt2Tokenizer.class, gpt2);
        assertEquals(50257, gpt2.vocabSize());
        assertEquals(50256, gpt2.bosId());
        assertEquals(50256, gpt2.eosId());
        assertFalse(gpt2.addBos());
        assertArrayEquals(new int[] {15496, 995}, gpt2.encode("Hello world", false)); // OpenAI's GPT-2 ids
        assertEquals("Ġworld", gpt2.token(995));
        assertArrayEquals(" world".getBytes(), gpt2.decode(995));
    }

    @Test
    void endOfTextIsAControlTokenWhenParsed() {
        assertArrayEquals(new int[] {15496, 50256, 995}, gpt2.encode("Hello<|endoftext|> world", false, true));
        assertEquals("Hello world", gpt2.decode(new int[] {15496, 50256, 995}), "control tokens decode to nothing");
        int[] plain = gpt2.encode("<|endoftext|>", false);
        assertEquals("<|endoftext|>", gpt2.decode(plain));
        assertNotEquals(1, plain.length, "without parsing, the text is not the control token");
    }

    @Test
    void bytesMapAsGpt2Does() {
        assertEquals('Ġ', Gpt2Bytes.encode(new byte[] {' '}).charAt(0));
        assertEquals('Ċ', Gpt2Bytes.encode(new byte[] {'\n'}).charAt(0));
        assertEquals('A', Gpt2Bytes.encode(new byte[] {'A'}).charAt(0));
        assertEquals('Ń', Gpt2Bytes.encode(new byte[] {(byte) 0xad}).charAt(0)); // soft hyphen: the last remapped byte
        for (int b = 0; b < 256; b++) assertEquals(b, Gpt2Bytes.byteOf(Gpt2Bytes.encode(new byte[] {(byte) b}).charAt(0)));
    }
}
