package dev.pocketlm.model.sample;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplerTest {
    static final float[] LOGITS = {1f, 3f, 2.5f, -1f, 0f};

    static int[] draws(SamplerSettings s, int n) {
        Sampler sampler = new Sampler(s);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = sampler.sample(LOGITS.clone());
        return out;
    }

    @Test
    void temperatureZeroIsArgmax() {
        for (int t : draws(SamplerSettings.greedy(), 5)) assertEquals(1, t);
    }

    @Test
    void aSeedMakesARunReproducible() {
        SamplerSettings s = new SamplerSettings(1f, 0, 1f, 0f, 1f, 0, 99);
        assertEquals(Arrays.toString(draws(s, 50)), Arrays.toString(draws(s, 50)));
    }

    /** Oracle: every id sorted by logit, most likely first, ties by id (a stable sort of the ids). */
    @Test
    void mostLikelyIsTheHeadOfTheFullRanking() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(5);
        float[] logits = new float[3000];
        for (int i = 0; i < logits.length; i++) logits[i] = random.nextInt(-300, 300) / 10f; // many ties, both signs
        logits[7] = -0f;
        logits[8] = 0f;
        Integer[] ranked = new Integer[logits.length];
        for (int i = 0; i < ranked.length; i++) ranked[i] = i;
        Arrays.sort(ranked, (a, b) -> Float.compare(logits[b], logits[a]));
        for (int keep : new int[]{1, 2, 40, 1024, 1025, 2999, 3000}) { // a heap up to 1024, a sort beyond
            int[] expected = Arrays.stream(ranked).limit(keep).mapToInt(Integer::intValue).toArray();
            assertEquals(Arrays.toString(expected), Arrays.toString(Sampler.mostLikely(logits, keep)), "keep " + keep);
        }
        // +0 ranks before -0, even where -0 is the least kept so far
        assertEquals("[0, 2]", Arrays.toString(Sampler.mostLikely(new float[]{1f, -0f, 0f, -1f}, 2)));
        // of a subset: every other id, the signed zeros among them
        int[] ids = java.util.stream.IntStream.range(0, logits.length).filter(id -> id % 2 == 0 || id == 7).toArray();
        Set<Integer> subset = new HashSet<>();
        for (int id : ids) subset.add(id);
        for (int keep : new int[]{1, 40, ids.length}) { // ids.length > 1024: sorted
            int[] expected = Arrays.stream(ranked).filter(subset::contains).limit(keep).mapToInt(Integer::intValue).toArray();
            assertEquals(Arrays.toString(expected), Arrays.toString(Sampler.mostLikely(logits, ids, ids.length, keep)), "subset, keep " + keep);
        }
    }

    /**
     * Oracle: the sampler's rules written plainly (every id ranked by a sort; top-k, min-p and top-p as prefixes of
     * that ranking, top-p's mass against the top-k tokens' total; then the draw), with the sampler's own random
     * stream. The sampler ranks only what it needs; it must draw the same tokens.
     */
    @Test
    void drawsTheTokensOfThePlainRanking() {
        java.util.SplittableRandom values = new java.util.SplittableRandom(21);
        for (int n : new int[]{50, 3000}) {
            for (float temperature : new float[]{0.7f, 1.5f}) {
                for (int topK : new int[]{0, 5, 40, n + 10}) {
                    for (float topP : new float[]{0.5f, 0.95f, 1f}) {
                        for (float minP : new float[]{0f, 0.05f}) {
                            SamplerSettings settings = new SamplerSettings(temperature, topK, topP, minP, 1f, 0, n + topK);
                            Sampler sampler = new Sampler(settings);
                            java.util.SplittableRandom oracleRandom = new java.util.SplittableRandom(settings.seed());
                            for (int draw = 0; draw < 40; draw++) {
                                float[] logits = new float[n];
                                for (int i = 0; i < n; i++) logits[i] = values.nextInt(-300, 300) / 40f; // ties
                                logits[values.nextInt(n)] = -0f;
                                int expected = plainDraw(logits, settings, oracleRandom);
                                assertEquals(expected, sampler.sample(logits.clone()), settings + ", draw " + draw);
                            }
                        }
                    }
                }
            }
        }
    }

    private static int plainDraw(float[] logits, SamplerSettings s, java.util.SplittableRandom random) {
        Integer[] ranked = new Integer[logits.length];
        for (int i = 0; i < ranked.length; i++) ranked[i] = i;
        Arrays.sort(ranked, (a, b) -> Float.compare(logits[b], logits[a]));
        int keep = s.topK() > 0 ? Math.min(s.topK(), logits.length) : logits.length;
        double max = logits[ranked[0]], total = 0;
        double[] p = new double[keep];
        for (int i = 0; i < keep; i++) total += p[i] = Math.exp((logits[ranked[i]] - max) / s.temperature());
        int kept = keep;
        for (int i = 1; i < keep; i++) {
            if (p[i] < s.minP()) {
                kept = i;
                break;
            }
        }
        double cum = 0, mass = 0;
        for (int i = 0; i < kept; i++) {
            cum += p[i] / total;
            if (cum >= s.topP()) {
                kept = i + 1;
                break;
            }
        }
        for (int i = 0; i < kept; i++) mass += p[i];
        double r = random.nextDouble() * mass;
        for (int i = 0; i < kept; i++) {
            r -= p[i];
            if (r <= 0) return ranked[i];
        }
        return ranked[kept - 1];
    }

    @Test
    void topKKeepsOnlyTheKMostLikely() {
        Set<Integer> seen = new HashSet<>();
        for (int t : draws(new SamplerSettings(5f, 2, 1f, 0f, 1f, 0, 1), 400)) seen.add(t);
        assertEquals(Set.of(1, 2), seen);
    }

    @Test
    void minPDropsTokensFarBelowTheBest() {
        // At T=1 the probabilities relative to token 1 are e^-2 (0.135), e^-0.5 (0.61), e^-4, e^-3: min-p 0.2 keeps {1, 2}.
        Set<Integer> seen = new HashSet<>();
        for (int t : draws(new SamplerSettings(1f, 0, 1f, 0.2f, 1f, 0, 3), 400)) seen.add(t);
        assertEquals(Set.of(1, 2), seen);
    }

    @Test
    void topPKeepsTheSmallestPrefixReachingP() {
        // Softmax of LOGITS: token 1 has about 0.50 of the mass, tokens 1 and 2 together about 0.80.
        Set<Integer> seen = new HashSet<>();
        for (int t : draws(new SamplerSettings(1f, 0, 0.45f, 0f, 1f, 0, 5), 200)) seen.add(t);
        assertEquals(Set.of(1), seen);
    }

    @Test
    void frequenciesFollowTheSoftmax() {
        int n = 20000;
        int ones = 0;
        for (int t : draws(new SamplerSettings(1f, 0, 1f, 0f, 1f, 0, 11), n)) if (t == 1) ones++;
        double expected = Math.exp(3) / (Math.exp(1) + Math.exp(3) + Math.exp(2.5) + Math.exp(-1) + Math.exp(0));
        assertEquals(expected, (double) ones / n, 0.02);
    }

    @Test
    void repetitionPenaltyLowersRecentTokens() {
        Sampler s = new Sampler(new SamplerSettings(0f, 0, 1f, 0f, 4f, 8, 0));
        s.accept(1);
        assertEquals(2, s.sample(LOGITS.clone()), "3/4 < 2.5, so token 2 wins once token 1 is penalized");
    }

    @Test
    void badSettingsAreRejectedWithTheirName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SamplerSettings(-1f, 0, 1f, 0f, 1f, 0, 0));
        assertTrue(e.getMessage().contains("temperature"), e.getMessage());
    }
}
