package dev.pocketlm.model.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Turns token ids, one at a time, into text without ever splitting a UTF-8 character: bytes of an incomplete
 * character are held back until the token that completes it. Not thread-safe; one per generated sequence.
 */
public final class Decoder {
    private final Tokenizer tokenizer;
    private boolean dropLeadingSpace;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    Decoder(Tokenizer tokenizer, boolean dropLeadingSpace) {
        this.tokenizer = tokenizer;
        this.dropLeadingSpace = dropLeadingSpace;
    }

    /** The whole characters completed by token {@code id} (possibly empty). */
    public String next(int id) {
        byte[] piece = tokenizer.decode(id);
        if (dropLeadingSpace && piece.length > 0) {
            if (piece[0] == ' ') piece = Arrays.copyOfRange(piece, 1, piece.length);
            dropLeadingSpace = false;
        }
        pending.writeBytes(piece);
        byte[] b = pending.toByteArray();
        int complete = completePrefix(b);
        pending.reset();
        pending.write(b, complete, b.length - complete);
        return new String(b, 0, complete, StandardCharsets.UTF_8);
    }

    /** Whatever bytes are still held back, invalid sequences as U+FFFD; the decoder is then empty. */
    public String finish() {
        String s = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        return s;
    }

    /** Length of the longest prefix of {@code b} that does not end inside an unfinished UTF-8 sequence. */
    static int completePrefix(byte[] b) {
        for (int i = b.length - 1; i >= Math.max(0, b.length - 4); i--) {
            int c = b[i] & 0xff;
            if ((c & 0xc0) == 0x80) continue;
            int need = c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf8 ? 4 : 1;
            return i + need > b.length ? i : b.length;
        }
        return b.length;
    }
}
