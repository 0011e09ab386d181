package dev.pocketlm.model.tokenizer;

import dev.pocketlm.model.gguf.GgufException;
import dev.pocketlm.model.gguf.GgufMetadata;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * Byte-level BPE as llama.cpp's llm_tokenizer_bpe does it for GPT-2 ({@code tokenizer.ggml.model = "gpt2"}): the
 * text is split by the GPT-2 pre-tokenizer regex, each piece's UTF-8 bytes are mapped to characters
 * ({@link Gpt2Bytes}), then adjacent symbols are merged lowest merge rank first (leftmost on ties).
 */
public final class Gpt2Tokenizer extends VocabularyTokenizer {
    static final String MODEL = "gpt2";
    static final String MERGES = "tokenizer.ggml.merges";
    static final String PRE = "tokenizer.ggml.pre";
    static final String PRE_GPT2 = "gpt-2";
    /** \s is Unicode White_Space, as in llama.cpp's unicode tables. */
    private static final Pattern GPT2_SPLIT = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    /** Merge text "left right" to its rank (its index in tokenizer.ggml.merges; the first of duplicates). */
    private final Map<String, Integer> ranks;

    private Gpt2Tokenizer(Vocabulary vocab, String[] merges) {
        super(vocab);
        ranks = new HashMap<>(merges.length * 2);
        for (int i = 0; i < merges.length; i++) ranks.putIfAbsent(merges[i], i);
    }

    static Gpt2Tokenizer fromMetadata(GgufMetadata m) {
        String pre = m.getString(PRE, PRE_GPT2);
        if (!pre.equals(PRE_GPT2)) {
            throw new GgufException(m.source() + ": metadata key '" + PRE + "' is '" + pre
                    + "', expected '" + PRE_GPT2 + "' (the only byte-level BPE pre-tokenizer supported)");
        }
        return new Gpt2Tokenizer(Vocabulary.fromMetadata(m, false), m.getStrings(MERGES));
    }

    @Override public int[] encode(String text, boolean addBos, boolean parseSpecial) {
        IntStream.Builder out = IntStream.builder();
        if (addBos) out.add(vocab.requireBos());
        for (Vocabulary.Fragment f : vocab.partition(text, parseSpecial)) {
            switch (f) {
                case Vocabulary.Text(String t) -> {
                    Matcher words = GPT2_SPLIT.matcher(t);
                    while (words.find()) tokenize(Gpt2Bytes.encode(words.group().getBytes(StandardCharsets.UTF_8)), out);
                }
                case Vocabulary.Special(int id) -> out.add(id);
            }
        }
        return out.build().toArray();
    }

    /** Merges by merge rank, lowest first; a final symbol that is not a token falls back to its single characters. */
    private void tokenize(String word, IntStream.Builder out) {
        SymbolMerger.PairPriority byRank = (l, r) -> {
            Integer rank = ranks.get(l + " " + r);
            return rank == null ? Double.NaN : rank;
        };
        for (String symbol : SymbolMerger.merge(word, byRank)) {
            int id = vocab.id(symbol);
            if (id != NO_TOKEN) {
                out.add(id);
                continue;
            }
            for (int c = 0; c < symbol.length(); c++) {
                int single = vocab.id(symbol.substring(c, c + 1));
                if (single != NO_TOKEN) out.add(single);
            }
        }
    }

    @Override public byte[] decode(int id) {
        vocab.checkId(id);
        String t = vocab.tokens[id];
        return switch (vocab.types[id]) {
            case NORMAL -> unmapBytes(t);
            case USER_DEFINED -> t.getBytes(StandardCharsets.UTF_8);
            case CONTROL, UNKNOWN, UNUSED, UNDEFINED, BYTE -> new byte[0];
        };
    }

    /** The bytes a token's mapped characters stand for; a character outside the map stands for its own UTF-8. */
    private static byte[] unmapBytes(String t) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(t.length());
        for (int i = 0; i < t.length(); ) {
            int cp = t.codePointAt(i);
            int mapped = cp <= Character.MAX_VALUE ? Gpt2Bytes.byteOf((char) cp) : -1;
            if (mapped >= 0) b.write(mapped);
            else b.writeBytes(Character.toString(cp).getBytes(StandardCharsets.UTF_8));
            i += Character.charCount(cp);
        }
        return b.toByteArray();
    }

    @Override public boolean addsSpacePrefix() { return false; }
}
