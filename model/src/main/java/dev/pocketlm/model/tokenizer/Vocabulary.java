package dev.pocketlm.model.tokenizer;

import dev.pocketlm.model.gguf.GgufException;
import dev.pocketlm.model.gguf.GgufMetadata;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF vocabulary ({@code tokenizer.ggml.*}): token texts, types, scores, the special ids, and the splitting of
 * input text around special tokens that precedes SentencePiece or BPE (llama.cpp's tokenizer_st_partition).
 */
final class Vocabulary {
    static final String TOKENS = "tokenizer.ggml.tokens";
    static final String SCORES = "tokenizer.ggml.scores";
    static final String TOKEN_TYPE = "tokenizer.ggml.token_type";
    static final String BOS = "tokenizer.ggml.bos_token_id";
    static final String EOS = "tokenizer.ggml.eos_token_id";
    static final String UNK = "tokenizer.ggml.unknown_token_id";
    static final String ADD_BOS = "tokenizer.ggml.add_bos_token";

    /** Input text split around special tokens: plain text to tokenize, or one special token. */
    sealed interface Fragment {}

    record Text(String text) implements Fragment {}

    record Special(int id) implements Fragment {}

    final String source;
    final String[] tokens;
    final TokenType[] types;
    final float[] scores;
    final int bos;
    final int eos;
    final int unk;
    final boolean addBos;
    private final Map<String, Integer> ids;
    /** Control, user-defined and unknown tokens with non-empty text, longest first. */
    private final int[] specials;

    private Vocabulary(GgufMetadata m, boolean addBosDefault) {
        source = m.source();
        tokens = m.getStrings(TOKENS);
        int n = tokens.length;
        scores = m.contains(SCORES) ? m.getFloats(SCORES) : new float[n];
        types = new TokenType[n];
        if (m.contains(TOKEN_TYPE)) {
            int[] t = m.getInts(TOKEN_TYPE);
            checkLength(TOKEN_TYPE, t.length);
            for (int i = 0; i < n; i++) types[i] = TokenType.byId(t[i]);
        } else {
            Arrays.fill(types, TokenType.NORMAL);
        }
        checkLength(SCORES, scores.length);
        ids = new HashMap<>(n * 2);
        for (int i = 0; i < n; i++) ids.put(tokens[i], i);
        bos = optionalId(m, BOS);
        eos = optionalId(m, EOS);
        unk = optionalId(m, UNK);
        addBos = m.getBoolean(ADD_BOS, addBosDefault);
        if (addBos && bos == Tokenizer.NO_TOKEN) {
            throw new GgufException(source + ": " + ADD_BOS + " is true but " + BOS + " is missing");
        }
        List<Integer> sp = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean special = types[i] == TokenType.CONTROL || types[i] == TokenType.USER_DEFINED || types[i] == TokenType.UNKNOWN;
            if (special && !tokens[i].isEmpty()) sp.add(i);
        }
        sp.sort(Comparator.comparingInt((Integer i) -> tokens[i].length()).reversed());
        specials = sp.stream().mapToInt(Integer::intValue).toArray();
    }

    static Vocabulary fromMetadata(GgufMetadata m, boolean addBosDefault) {
        return new Vocabulary(m, addBosDefault);
    }

    int size() { return tokens.length; }

    /** The id of the token with exactly this text (the last such token, as llama.cpp's map keeps), or -1. */
    int id(String text) {
        Integer id = ids.get(text);
        return id == null ? Tokenizer.NO_TOKEN : id;
    }

    /**
     * Splits {@code text} around special tokens, longest first: user-defined tokens always, control and unknown tokens
     * only when {@code parseSpecial}.
     */
    List<Fragment> partition(String text, boolean parseSpecial) {
        List<Fragment> out = List.of(new Text(text));
        for (int id : specials) {
            if (!parseSpecial && types[id] != TokenType.USER_DEFINED) continue;
            String s = tokens[id];
            List<Fragment> next = new ArrayList<>();
            for (Fragment f : out) {
                if (!(f instanceof Text(String t))) {
                    next.add(f);
                    continue;
                }
                int from = 0;
                for (int at = t.indexOf(s); at >= 0; at = t.indexOf(s, from)) {
                    if (at > from) next.add(new Text(t.substring(from, at)));
                    next.add(new Special(id));
                    from = at + s.length();
                }
                if (from < t.length()) next.add(new Text(t.substring(from)));
            }
            out = next;
        }
        return out;
    }

    int requireBos() {
        if (bos == Tokenizer.NO_TOKEN) throw new IllegalStateException(source + ": the vocabulary has no BOS token (" + BOS + ")");
        return bos;
    }

    void checkId(int id) {
        if (id < 0 || id >= tokens.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + tokens.length + " tokens (" + source + ")");
        }
    }

    private void checkLength(String key, int length) {
        if (length != tokens.length) {
            throw new GgufException(source + ": metadata key '" + key + "' has " + length + " entries, expected "
                    + tokens.length + " (one per token of " + TOKENS + ")");
        }
    }

    private int optionalId(GgufMetadata m, String key) {
        if (!m.contains(key)) return Tokenizer.NO_TOKEN;
        int id = m.getInt(key);
        if (id < 0 || id >= tokens.length) {
            throw new GgufException(source + ": metadata key '" + key + "' is " + id + ", expected a token id in 0.." + (tokens.length - 1));
        }
        return id;
    }
}
