package dev.pocketlm.tests;

import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * One row of the conformance table: an op on a dtype at some shapes, the normalized-MSE bound its output must
 * meet against the reference, and how to draw its inputs (the same draw runs on every backend).
 */
public record ConformanceCase(String op, String dtype, String shapes, double bound,
                              Function<SplittableRandom, Problem> setup) {

    /** Bound for elementwise and exact ops (copies, row gathers, fills), softmax, losses and backward kernels. */
    public static final double ELEMENTWISE = 1e-7;
    /** Bound for matmul and attention: long dot products may be summed in any order or with F16 staging. */
    public static final double MATMUL = 5e-4;
    /** Bound for a whole transformer block: the matmul error of seven linears passes through norms and softmax. */
    public static final double BLOCK = 2e-3;

    public String label() { return op + " " + dtype + " " + shapes; }
}
