package dev.pocketlm.model.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The merge loop shared by SentencePiece and BPE (llama.cpp's llm_tokenizer_spm / _bpe sessions): the text starts as
 * one symbol per code point; the adjacent pair with the lowest priority merges first, leftmost on ties; each merge
 * re-queues the new symbol's pairs with its neighbours; queued pairs made stale by an earlier merge are skipped.
 */
final class SymbolMerger {
    /** The priority of merging two adjacent symbols (lower merges first), or NaN when they do not merge. */
    @FunctionalInterface
    interface PairPriority {
        double of(String left, String right);
    }

    private record Pair(int left, int right, double priority, int size) {}

    private static final Comparator<Pair> FIRST = Comparator.comparingDouble(Pair::priority).thenComparingInt(Pair::left);

    private SymbolMerger() {}

    /** The symbols {@code text} merges into, in order; symbol i spans chars [start[i], start[i] + len[i]). */
    static List<String> merge(String text, PairPriority priority) {
        int n = text.codePointCount(0, text.length());
        int[] start = new int[n];
        int[] len = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0, at = 0; i < n; i++) {
            start[i] = at;
            len[i] = Character.charCount(text.codePointAt(at));
            at += len[i];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Pair> queue = new PriorityQueue<>(FIRST);
        for (int i = 1; i < n; i++) offer(queue, priority, text, start, len, i - 1, i);
        while (!queue.isEmpty()) {
            Pair p = queue.poll();
            if (len[p.left()] == 0 || len[p.right()] == 0 || len[p.left()] + len[p.right()] != p.size()) continue;
            len[p.left()] += len[p.right()];
            len[p.right()] = 0;
            next[p.left()] = next[p.right()];
            if (next[p.right()] >= 0) prev[next[p.right()]] = p.left();
            offer(queue, priority, text, start, len, prev[p.left()], p.left());
            offer(queue, priority, text, start, len, p.left(), next[p.left()]);
        }
        List<String> symbols = new ArrayList<>();
        for (int i = 0; i >= 0 && n > 0; i = next[i]) symbols.add(text.substring(start[i], start[i] + len[i]));
        return symbols;
    }

    private static void offer(PriorityQueue<Pair> queue, PairPriority priority, String text, int[] start, int[] len,
                              int left, int right) {
        if (left < 0 || right < 0) return;
        double p = priority.of(text.substring(start[left], start[left] + len[left]),
                text.substring(start[right], start[right] + len[right]));
        if (!Double.isNaN(p)) queue.add(new Pair(left, right, p, len[left] + len[right]));
    }
}
