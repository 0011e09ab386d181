package dev.pocketlm.model.tokenizer;

import java.util.Arrays;

/**
 * GPT-2's reversible map from bytes to printable characters (bytes_to_unicode): printable Latin-1 bytes map to
 * themselves, the other 68 bytes to U+0100 onwards in byte order, so byte-level BPE tokens are plain strings.
 */
final class Gpt2Bytes {
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[0x100 + 68];

    static {
        Arrays.fill(CHAR_TO_BYTE, -1);
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = b >= '!' && b <= '~' || b >= 0xa1 && b <= 0xac || b >= 0xae && b <= 0xff;
            char c = (char) (printable ? b : 0x100 + extra++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private Gpt2Bytes() {}

    /** Each byte as its mapped character. */
    static String encode(byte[] utf8) {
        char[] c = new char[utf8.length];
        for (int i = 0; i < c.length; i++) c[i] = BYTE_TO_CHAR[utf8[i] & 0xff];
        return new String(c);
    }

    /** The byte a mapped character stands for, or -1 when {@code c} is not a mapped character. */
    static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }
}
