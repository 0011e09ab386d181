package dev.pocketlm.model.tokenizer;

import dev.pocketlm.model.gguf.GgufArray;
import dev.pocketlm.model.gguf.GgufException;
import dev.pocketlm.model.gguf.GgufMetadata;
import dev.pocketlm.model.gguf.GgufValue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Character-level tokenization for small models trained from scratch: one token per distinct code point of the
 * training corpus, ids in code point order. Stored in GGUF as {@code tokenizer.ggml.model = "char"} with the
 * characters as {@code tokenizer.ggml.tokens}. It has no BOS or EOS token.
 */
public final class CharTokenizer implements Tokenizer {
    static final String MODEL = "char";

    private final String[] tokens;
    private final Map<Integer, Integer> ids = new HashMap<>();

    private CharTokenizer(String[] tokens, String source) {
        this.tokens = tokens;
        for (int i = 0; i < tokens.length; i++) {
            String t = tokens[i];
            if (t.isEmpty() || t.codePointCount(0, t.length()) != 1) {
                throw new GgufException(source + ": character token " + i + " is '" + t + "', expected exactly one character");
            }
            if (ids.put(t.codePointAt(0), i) != null) {
                throw new GgufException(source + ": character token " + i + " '" + t + "' appears twice");
            }
        }
    }

    /** The vocabulary of {@code corpus}: its distinct code points, sorted. */
    public static CharTokenizer fromCorpus(String corpus) {
        String[] tokens = corpus.codePoints().distinct().sorted().mapToObj(Character::toString).toArray(String[]::new);
        if (tokens.length == 0) throw new IllegalArgumentException("cannot build a character vocabulary from an empty corpus");
        return new CharTokenizer(tokens, "corpus");
    }

    static CharTokenizer fromMetadata(GgufMetadata m) {
        return new CharTokenizer(m.getStrings(Vocabulary.TOKENS), m.source());
    }

    /** Adds this vocabulary to GGUF metadata, from which {@link Tokenizer#fromMetadata} rebuilds it. */
    public GgufMetadata.Builder addTo(GgufMetadata.Builder metadata) {
        return metadata.put(MODEL_KEY, GgufValue.string(MODEL))
                .put(Vocabulary.TOKENS, GgufValue.array(GgufArray.ofStrings(tokens)));
    }

    /** {@code parseSpecial} has no effect: there are no special tokens. */
    @Override public int[] encode(String text, boolean addBos, boolean parseSpecial) {
        if (addBos) throw new IllegalArgumentException("a character vocabulary has no BOS token");
        int[] cps = text.codePoints().toArray();
        int[] out = new int[cps.length];
        for (int i = 0; i < cps.length; i++) {
            Integer id = ids.get(cps[i]);
            if (id == null) {
                throw new IllegalArgumentException("character '" + Character.toString(cps[i]) + "' (U+"
                        + String.format("%04X", cps[i]) + ") at code point " + i + " is not in the vocabulary of "
                        + tokens.length + " characters");
            }
            out[i] = id;
        }
        return out;
    }

    @Override public byte[] decode(int id) {
        if (id < 0 || id >= tokens.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + tokens.length + " characters");
        }
        return tokens[id].getBytes(StandardCharsets.UTF_8);
    }

    @Override public boolean addsSpacePrefix() { return false; }

    @Override public int bosId() { return NO_TOKEN; }

    @Override public int eosId() { return NO_TOKEN; }

    @Override public boolean addBos() { return false; }

    @Override public int vocabSize() { return tokens.length; }

    @Override public String token(int id) {
        return new String(decode(id), StandardCharsets.UTF_8);
    }
}
