package dev.pocketlm.model.tokenizer;

import dev.pocketlm.model.gguf.GgufException;
import dev.pocketlm.model.gguf.GgufMetadata;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * Byte-level BPE as llama.cpp's llm_tokenizer_bpe does it for GPT-2 ({@code tokenizer.ggml.model = "gpt2"}): the
 * text is split by the GPT-2 pre-tokenizer regex, each piece's UTF-8 bytes are mapped to characters
 * ({@link Gpt2Bytes}), then adjacent symbols are merged lowest merge rank first (leftmost on ties).
 */
public final class Gpt2Tokenizer implements Tokenizer {
    static final String MODEL = "gpt2";
    static final String MERGES = "tokenizer.ggml.merges";
    static final String PRE = "tokenizer.ggml.pre";
    static final String PRE_GPT2 = "gpt-2";
    /** \s is Unicode White_Space, as in llama.cpp's unicode tables. */
    private static final Pattern GPT2_SPLIT = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private record Bigram(int left, int right, int rank, int size) {}

    private static final Comparator<Bigram> LOWEST_RANK_FIRST =
            Comparator.comparingInt(Bigram::rank).thenComparingInt(Bigram::left);

    private final Vocabulary vocab;
    /** Merge text "left right" to its rank (its index in tokenizer.ggml.merges; the first of duplicates). */
    private final Map<String, Integer> ranks;

    private Gpt2Tokenizer(Vocabulary vocab, String[] merges) {
        this.vocab = vocab;
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

    /** Symbols start as single characters of the mapped word (one per byte), linked as a list. */
    private void tokenize(String word, IntStream.Builder out) {
        int n = word.length();
        int[] len = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            len[i] = 1;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>(LOWEST_RANK_FIRST);
        for (int i = 1; i < n; i++) offer(queue, word, len, i - 1, i);
        while (!queue.isEmpty()) {
            Bigram b = queue.poll();
            if (len[b.left()] == 0 || len[b.right()] == 0 || len[b.left()] + len[b.right()] != b.size()) continue;
            len[b.left()] += len[b.right()];
            len[b.right()] = 0;
            next[b.left()] = next[b.right()];
            if (next[b.right()] >= 0) prev[next[b.right()]] = b.left();
            offer(queue, word, len, prev[b.left()], b.left());
            offer(queue, word, len, b.left(), next[b.left()]);
        }
        for (int i = 0; i >= 0 && n > 0; i = next[i]) {
            String symbol = word.substring(i, i + len[i]);
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

    /** Symbol i spans word[i, i + len[i]): a symbol's text starts at its own index. */
    private void offer(PriorityQueue<Bigram> queue, String word, int[] len, int left, int right) {
        if (left < 0 || right < 0) return;
        Integer rank = ranks.get(word.substring(left, left + len[left]) + " " + word.substring(right, right + len[right]));
        if (rank != null) queue.add(new Bigram(left, right, rank, len[left] + len[right]));
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

    @Override public int bosId() { return vocab.bos; }

    @Override public int eosId() { return vocab.eos; }

    @Override public boolean addBos() { return vocab.addBos; }

    @Override public int vocabSize() { return vocab.size(); }

    @Override public String token(int id) {
        vocab.checkId(id);
        return vocab.tokens[id];
    }
}
