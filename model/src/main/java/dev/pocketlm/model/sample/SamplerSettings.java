package dev.pocketlm.model.sample;

/**
 * How the next token is chosen. Temperature 0 is greedy (argmax). top-k 0, top-p 1 and min-p 0 disable those
 * filters; a repetition penalty of 1 disables it.
 */
public record SamplerSettings(float temperature, int topK, float topP, float minP, float repetitionPenalty,
                              int repetitionWindow, long seed) {

    public SamplerSettings {
        require(temperature >= 0, "temperature must be >= 0, got " + temperature);
        require(topK >= 0, "top-k must be >= 0, got " + topK);
        require(topP > 0 && topP <= 1, "top-p must be in (0, 1], got " + topP);
        require(minP >= 0 && minP < 1, "min-p must be in [0, 1), got " + minP);
        require(repetitionPenalty > 0, "repetition penalty must be > 0, got " + repetitionPenalty);
        require(repetitionWindow >= 0, "repetition window must be >= 0, got " + repetitionWindow);
    }

    private static void require(boolean ok, String what) {
        if (!ok) throw new IllegalArgumentException(what);
    }

    public static SamplerSettings greedy() { return new SamplerSettings(0, 0, 1, 0, 1, 64, 0); }
}
