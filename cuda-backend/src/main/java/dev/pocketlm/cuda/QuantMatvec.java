package dev.pocketlm.cuda;

import java.util.Locale;

/** Which kernel does Q8_0 / Q4_0 matvec (1..8 activation rows). */
enum QuantMatvec {
    /** matvec_q8_0 / matvec_q4_0 of the shared kernels: F32 activations, exact up to summation order. */
    SHARED,
    /** matvec_dp4a.cu: int8-quantized activations, __dp4a, one warp per row (faster, llama.cpp's accuracy). */
    DP4A;

    static final String PROPERTY = "pocket.cuda.matvec";

    /** From system property {@value #PROPERTY} ({@code shared} or {@code dp4a}); SHARED until DP4A is checked on a GPU. */
    static QuantMatvec configured() {
        String v = System.getProperty(PROPERTY, "shared");
        try {
            return valueOf(v.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("system property " + PROPERTY + " is '" + v + "'; expected shared or dp4a");
        }
    }
}
