package dev.pocketlm.cpu;

/**
 * cos and sin of the rotary angles p * freqBase^(-2i / nRot), i < nRot / 2, for the last position asked on this
 * thread: every layer of a generated token rotates q and k at one position, so 43 of TinyLlama's 44 calls per token
 * reuse the first one's (each took about 2.5 us of pow, cos and sin). Angles in double, as the reference computes them.
 */
final class RopeAngles {
    private static final ThreadLocal<RopeAngles> MINE = ThreadLocal.withInitial(RopeAngles::new);

    private int position, nRot = -1;
    private float freqBase;
    private float[] cos = new float[0], sin = new float[0];
    /** Per pair lane of GGML's normal mode: cos i twice, and -sin i, sin i (see {@link #cosPairs}). */
    private float[] cosPairs = new float[0], sinPairs = new float[0];

    private RopeAngles() {}

    /** This thread's angles for {@code position} (negated for the inverse rotation), computed unless they are the last ones. */
    static RopeAngles at(int position, int nRot, float freqBase) {
        RopeAngles a = MINE.get();
        if (a.position != position || a.nRot != nRot || Float.compare(a.freqBase, freqBase) != 0) a.compute(position, nRot, freqBase);
        return a;
    }

    private void compute(int position, int nRot, float freqBase) {
        int half = nRot / 2;
        if (cos.length < half) {
            cos = new float[half];
            sin = new float[half];
            cosPairs = new float[2 * half];
            sinPairs = new float[2 * half];
        }
        for (int i = 0; i < half; i++) {
            double angle = position * Math.pow(freqBase, -2.0 * i / nRot);
            cos[i] = (float) Math.cos(angle);
            sin[i] = (float) Math.sin(angle);
            cosPairs[2 * i] = cosPairs[2 * i + 1] = cos[i];
            sinPairs[2 * i] = -sin[i];
            sinPairs[2 * i + 1] = sin[i];
        }
        this.position = position;
        this.nRot = nRot;
        this.freqBase = freqBase;
    }

    float[] cos() { return cos; }

    float[] sin() { return sin; }

    /**
     * cos i at lanes 2i and 2i + 1: with {@link #sinPairs} (-sin i, sin i), a pair (a, b) rotates as (a, b) cos +
     * (b, a) (-sin, sin), whole vectors at a time.
     */
    float[] cosPairs() { return cosPairs; }

    float[] sinPairs() { return sinPairs; }
}
