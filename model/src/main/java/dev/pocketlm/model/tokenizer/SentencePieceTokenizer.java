package dev.pocketlm.model.tokenizer;

import dev.pocketlm.model.gguf.GgufException;
import dev.pocketlm.model.gguf.GgufMetadata;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.stream.IntStream;

/**
 * SentencePiece tokenization as llama.cpp's llm_tokenizer_spm does it ({@code tokenizer.ggml.model = "llama"}):
 * a space is prefixed, spaces become U+2581, then adjacent symbols (starting from single characters) are merged
 * highest-scoring pair first (leftmost on ties) while the merged text is a token; characters left without a token
 * fall back to {@code <0xNN>} byte tokens.
 */
public final class SentencePieceTokenizer extends VocabularyTokenizer {
    static final String MODEL = "llama";
    static final String ADD_SPACE_PREFIX = "tokenizer.ggml.add_space_prefix";
    private static final char SPACE_MARK = '\u2581';

    private final boolean addSpacePrefix;
    /** Token of each byte value ({@code <0xNN>}, else the one-byte text), or NO_TOKEN. */
    private final int[] byteTokens = new int[256];

    private SentencePieceTokenizer(Vocabulary vocab, boolean addSpacePrefix) {
        super(vocab);
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

    /** Merges by token score, highest first: a pair merges only when its text is a token. */
    private void tokenize(String s, IntStream.Builder out) {
        SymbolMerger.PairPriority byScore = (l, r) -> {
            int id = vocab.id(l + r);
            return id == NO_TOKEN ? Double.NaN : -vocab.scores[id];
        };
        for (String symbol : SymbolMerger.merge(s, byScore)) emit(symbol, out);
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
}
