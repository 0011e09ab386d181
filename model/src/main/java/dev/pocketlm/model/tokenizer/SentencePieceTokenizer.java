package dev.pocketlm.model.tokenizer;

import dev.pocketlm.model.gguf.GgufException;
import dev.pocketlm.model.gguf.GgufMetadata;

import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.PriorityQueue;
import java.util.stream.IntStream;

/**
 * SentencePiece tokenization as llama.cpp's llm_tokenizer_spm does it ({@code tokenizer.ggml.model = "llama"}):
 * a space is prefixed, spaces become U+2581, then adjacent symbols (starting from single characters) are merged
 * highest-scoring pair first (leftmost on ties) while the merged text is a token; characters left without a token
 * fall back to {@code <0xNN>} byte tokens.
 */
public final class SentencePieceTokenizer implements Tokenizer {
    static final String MODEL = "llama";
    static final String ADD_SPACE_PREFIX = "tokenizer.ggml.add_space_prefix";
    private static final char SPACE_MARK = '\u2581';

    private record Bigram(int left, int right, float score, int size) {}

    private static final Comparator<Bigram> BEST_FIRST =
            Comparator.comparingDouble((Bigram b) -> -b.score()).thenComparingInt(Bigram::left);

    private final Vocabulary vocab;
    private final boolean addSpacePrefix;
    /** Token of each byte value ({@code <0xNN>}, else the one-byte text), or NO_TOKEN. */
    private final int[] byteTokens = new int[256];

    private SentencePieceTokenizer(Vocabulary vocab, boolean addSpacePrefix) {
        this.vocab = vocab;
        this.addSpacePrefix = addSpacePrefix;
        for (int b = 0; b < 256; b++) {
            int id = vocab.id(byteTokenText(b));
            if (id == NO_TOKEN && b < 0x80) id = vocab.id(String.valueOf((char) b));
            byteTokens[b] = id;
        }
        for (int i = 0; i < vocab.size(); i++) {
            if (vocab.types[i] == TokenType.BYTE && !vocab.tokens[i].equals(byteTokenText(byteValue(vocab.tokens[i])))) {
                throw new GgufException(vocab.source + ": token " + i + " '" + vocab.tokens[i]
                        + "' has type BYTE, expected text of the form <0xNN>");
            }
        }
    }

    private static String byteTokenText(int b) {
        return String.format("<0x%02X>", b);
    }

    /** The byte of a {@code <0xNN>} token text, or -1 when the text has another form. */
    private static int byteValue(String t) {
        boolean form = t.length() == 6 && t.startsWith("<0x") && t.endsWith(">")
                && HexFormat.isHexDigit(t.charAt(3)) && HexFormat.isHexDigit(t.charAt(4));
        return form ? HexFormat.fromHexDigits(t, 3, 5) : -1;
    }

    static SentencePieceTokenizer fromMetadata(GgufMetadata m) {
        return new SentencePieceTokenizer(Vocabulary.fromMetadata(m, true), m.getBoolean(ADD_SPACE_PREFIX, true));
    }

    @Override public int[] encode(String text, boolean addBos, boolean parseSpecial) {
        IntStream.Builder out = IntStream.builder();
        if (addBos) out.add(vocab.requireBos());
        if (text.isEmpty()) return out.build().toArray();
        boolean afterSpecial = true;
        for (Vocabulary.Fragment f : vocab.partition(text, parseSpecial)) {
            switch (f) {
                case Vocabulary.Text(String t) -> {
                    String s = addSpacePrefix && afterSpecial ? " " + t : t;
                    tokenize(s.replace(' ', SPACE_MARK), out);
                    afterSpecial = false;
                }
                case Vocabulary.Special(int id) -> {
                    out.add(id);
                    afterSpecial = true;
                }
            }
        }
        return out.build().toArray();
    }

    /** Symbols are char ranges of {@code s} linked as a list; a merge grows the left symbol and unlinks the right. */
    private void tokenize(String s, IntStream.Builder out) {
        int n = s.codePointCount(0, s.length());
        int[] start = new int[n];
        int[] len = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0, at = 0; i < n; i++) {
            start[i] = at;
            len[i] = Character.charCount(s.codePointAt(at));
            at += len[i];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>(BEST_FIRST);
        for (int i = 1; i < n; i++) offer(queue, s, start, len, i - 1, i);
        while (!queue.isEmpty()) {
            Bigram b = queue.poll();
            if (len[b.left()] == 0 || len[b.right()] == 0 || len[b.left()] + len[b.right()] != b.size()) continue;
            len[b.left()] += len[b.right()];
            len[b.right()] = 0;
            next[b.left()] = next[b.right()];
            if (next[b.right()] >= 0) prev[next[b.right()]] = b.left();
            offer(queue, s, start, len, prev[b.left()], b.left());
            offer(queue, s, start, len, b.left(), next[b.left()]);
        }
        for (int i = 0; i >= 0 && n > 0; i = next[i]) emit(s.substring(start[i], start[i] + len[i]), out);
    }

    private void offer(PriorityQueue<Bigram> queue, String s, int[] start, int[] len, int left, int right) {
        if (left < 0 || right < 0) return;
        int size = len[left] + len[right];
        int id = vocab.id(s.substring(start[left], start[left] + size));
        if (id != NO_TOKEN) queue.add(new Bigram(left, right, vocab.scores[id], size));
    }

    private void emit(String symbol, IntStream.Builder out) {
        int id = vocab.id(symbol);
        if (id != NO_TOKEN) {
            out.add(id);
            return;
        }
        for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) {
            int t = byteTokens[b & 0xff] != NO_TOKEN ? byteTokens[b & 0xff] : vocab.unk;
            if (t == NO_TOKEN) {
                throw new IllegalArgumentException(vocab.source + ": byte 0x" + HexFormat.of().toHexDigits(b)
                        + " of '" + symbol + "' has no token (no <0xNN> byte token and no unknown token)");
            }
            out.add(t);
        }
    }

    @Override public byte[] decode(int id) {
        vocab.checkId(id);
        String t = vocab.tokens[id];
        return switch (vocab.types[id]) {
            case NORMAL -> t.replace(SPACE_MARK, ' ').getBytes(StandardCharsets.UTF_8);
            case USER_DEFINED -> t.getBytes(StandardCharsets.UTF_8);
            case BYTE -> new byte[] {(byte) byteValue(t)};
            case CONTROL, UNKNOWN, UNUSED, UNDEFINED -> new byte[0];
        };
    }

    @Override public boolean addsSpacePrefix() { return addSpacePrefix; }

    @Override public int bosId() { return vocab.bos; }

    @Override public int eosId() { return vocab.eos; }

    @Override public boolean addBos() { return vocab.addBos; }

    @Override public int vocabSize() { return vocab.size(); }

    @Override public String token(int id) {
        vocab.checkId(id);
        return vocab.tokens[id];
    }
}
