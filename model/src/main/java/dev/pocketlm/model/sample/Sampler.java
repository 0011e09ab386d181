package dev.pocketlm.model.sample;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.SplittableRandom;

/** Picks the next token from a row of logits: repetition penalty, temperature, top-k, min-p, top-p, then a seeded draw. */
public final class Sampler {
    /** Tokens ranked at first when top-k is off ({@link #drawFromAll}). */
    private static final int FIRST_RANKED = 64;
    /** Up to this many of the best are ranked through a heap, more by a full sort ({@link #mostLikely}). */
    private static final int HEAP_RANKED = 1024;
    private final SamplerSettings settings;
    private final SplittableRandom random;
    private final Deque<Integer> recent = new ArrayDeque<>();
    /** Scratch, grown to the vocabulary: each token's weight e^((logit - max) / T), and the ids min-p keeps. */
    private double[] weightOf = new double[0];
    private int[] candidates = new int[0];

    public Sampler(SamplerSettings settings) {
        this.settings = settings;
        this.random = new SplittableRandom(settings.seed());
    }

    /** Remembers a token (prompt or generated) for the repetition penalty. */
    public void accept(int token) {
        if (settings.repetitionWindow() == 0) return;
        recent.addLast(token);
        if (recent.size() > settings.repetitionWindow()) recent.removeFirst();
    }

    /** Chooses a token; {@code logits} is modified in place. */
    public int sample(float[] logits) {
        applyRepetitionPenalty(logits);
        if (settings.temperature() == 0) return argmax(logits);
        if (weightOf.length < logits.length) {
            weightOf = new double[logits.length];
            candidates = new int[logits.length];
        }
        if (settings.topK() > 0 && settings.topK() < logits.length) {
            int[] order = mostLikely(logits, settings.topK());
            double max = logits[order[0]], total = 0;
            for (int id : order) total += weightOf[id] = weight(logits[id], max);
            return draw(order, total, true);
        }
        return drawFromAll(logits);
    }

    /**
     * {@link #sample} with no top-k: the mass top-p measures against is the whole vocabulary's, and only the tokens
     * min-p keeps are ranked, the best 64 first, all of them where top-p's mass lies beyond those: for 32,000 tokens
     * 0.2-0.5 ms a token, where ranking every id through a heap took 6.5-6.6 ms ({@code SamplerBenchmark}, T 0.8,
     * top-p 0.95, min-p 0.05).
     */
    private int drawFromAll(float[] logits) {
        float max = logits[0];
        for (float v : logits) if (v > max || v != v) max = v; // the best ranked value: NaN ranks first, as in before()
        double minP = settings.minP(), total = 0;
        int count = 0;
        for (int id = 0; id < logits.length; id++) {
            double w = weightOf[id] = weight(logits[id], max);
            total += w;
            if (!(w < minP)) candidates[count++] = id; // min-p keeps a prefix of the ranking: weight at least minP
        }
        int[] best = mostLikely(logits, candidates, count, Math.min(FIRST_RANKED, count));
        int token = draw(best, total, best.length == count);
        return token >= 0 ? token : draw(mostLikely(logits, candidates, count, count), total, true);
    }

    /**
     * Draws from the prefix of {@code order} (ranked, most likely first) that min-p and top-p keep, by the weights in
     * {@link #weightOf}, top-p's mass measured against {@code total}. Returns -1, drawing nothing, where {@code order} is
     * not the whole ranking ({@code complete} false) and top-p's mass lies beyond it.
     */
    private int draw(int[] order, double total, boolean complete) {
        double cum = 0, mass = 0;
        int kept = 0;
        boolean cut = false;
        while (!cut && kept < order.length) {
            double w = weightOf[order[kept]];
            // min-p: drop tokens less likely than minP times the most likely one (whose weight is 1)
            if (kept > 0 && w < settings.minP()) {
                cut = true;
            } else {
                kept++;
                mass += w;
                cum += w / total;
                cut = cum >= settings.topP(); // top-p: the smallest prefix whose mass reaches topP
            }
        }
        if (!cut && !complete) return -1;
        double r = random.nextDouble() * mass;
        for (int i = 0; i < kept; i++) {
            r -= weightOf[order[i]];
            if (r <= 0) return order[i];
        }
        return order[kept - 1];
    }

    private double weight(float logit, double max) {
        return Math.exp((logit - max) / settings.temperature());
    }

    /** The {@code keep} most likely token ids of the whole vocabulary, most likely first (ties: the lower id first). */
    static int[] mostLikely(float[] logits, int keep) {
        return mostLikely(logits, null, logits.length, keep);
    }

    /**
     * The {@code keep} most likely of the {@code count} token ids in {@code ids} (ascending; null: 0 to count - 1), most
     * likely first (ties: the lower id first): a few through a heap ({@link #heapRanked}), many by sorting them all
     * ({@link #sortRanked}): over 32,000 ids a heap of 256 took 0.1 ms, of 1024 about what the sort took (0.5 ms), of
     * 4096 three times that.
     */
    static int[] mostLikely(float[] logits, int[] ids, int count, int keep) {
        return keep <= HEAP_RANKED ? heapRanked(logits, ids, count, keep) : sortRanked(logits, ids, count, keep);
    }

    /**
     * {@link #mostLikely} through a heap of the best so far whose least likely value is held in a local, so that most
     * ids cost one comparison: the command's defaults (top-k 40) over 32,000 ids took 28-32 us a token, 42-43 with the
     * heap's least read back for each id, and 4 ms sorting every id (boxed).
     */
    private static int[] heapRanked(float[] logits, int[] ids, int count, int keep) {
        int[] heap = new int[keep]; // heap[0]: the least likely kept
        int size = 0;
        float least = Float.NaN; // logits[heap[0]]
        for (int i = 0; i < count; i++) {
            int id = ids == null ? i : ids[i];
            if (size < keep) {
                heap[size] = id;
                siftUp(heap, size++, logits);
                least = logits[heap[0]];
            } else if (!(logits[id] < least) && before(id, heap[0], logits)) { // below least: never before (NaN, ties, -0 go on)
                heap[0] = id;
                siftDown(heap, size, logits);
                least = logits[heap[0]];
            }
        }
        int[] order = new int[keep];
        for (int i = keep - 1; i >= 0; i--) {
            order[i] = heap[0];
            heap[0] = heap[i];
            siftDown(heap, i, logits);
        }
        return order;
    }

    /** {@link #mostLikely} as one sort of packed keys ({@link #rankKey}): 0.3-0.5 ms for 32,000 ids. */
    private static int[] sortRanked(float[] logits, int[] ids, int count, int keep) {
        long[] keys = new long[count];
        for (int i = 0; i < count; i++) {
            int id = ids == null ? i : ids[i];
            keys[i] = rankKey(logits[id], id);
        }
        Arrays.sort(keys);
        int[] order = new int[keep];
        for (int i = 0; i < keep; i++) order[i] = (int) keys[i];
        return order;
    }

    /** A key whose ascending order is {@link #before}'s: the logit's Float.compare order reversed, then the id. */
    private static long rankKey(float logit, int id) {
        int bits = Float.floatToIntBits(logit); // one NaN, above +Inf, as Float.compare ranks it
        int ordered = bits ^ ((bits >> 31) & 0x7fffffff); // signed int order = Float.compare order, -0 below +0
        return (long) ~ordered << 32 | id;
    }

    /** Whether token a ranks before token b: more likely, or as likely with a lower id. */
    private static boolean before(int a, int b, float[] logits) {
        int c = Float.compare(logits[a], logits[b]);
        return c > 0 || c == 0 && a < b;
    }

    private static void siftUp(int[] heap, int i, float[] logits) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (!before(heap[parent], heap[i], logits)) return;
            swap(heap, parent, i);
            i = parent;
        }
    }

    private static void siftDown(int[] heap, int size, float[] logits) {
        int i = 0;
        while (true) {
            int worst = i, left = 2 * i + 1, right = left + 1;
            if (left < size && before(heap[worst], heap[left], logits)) worst = left;
            if (right < size && before(heap[worst], heap[right], logits)) worst = right;
            if (worst == i) return;
            swap(heap, worst, i);
            i = worst;
        }
    }

    private static void swap(int[] heap, int i, int j) {
        int t = heap[i];
        heap[i] = heap[j];
        heap[j] = t;
    }

    private void applyRepetitionPenalty(float[] logits) {
        float penalty = settings.repetitionPenalty();
        if (penalty == 1f) return;
        for (int id : recent.stream().distinct().toList()) {
            logits[id] = logits[id] > 0 ? logits[id] / penalty : logits[id] * penalty;
        }
    }

    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }
}
