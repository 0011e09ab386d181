package dev.pocketlm.tests;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ComparisonTest {

    @Test
    void nmseIsSquaredErrorOverSquaredNorm() {
        // (0^2 + 1^2) / (1^2 + 2^2)
        assertEquals(0.2, Comparison.nmse(new float[]{1, 2}, new float[]{1, 3}), 1e-12);
        assertEquals(4.0, Comparison.nmse(new float[]{0, 0}, new float[]{0, 2}), 1e-12, "all-zero expected: plain squared error");
    }

    @Test
    void verdictChecksNonFiniteThenGuardsThenBound() {
        float[] want = {1, 2, 3};
        assertTrue(Comparison.judge(want, new float[]{1, 2, 3}, List.of(), 1e-7).passed());
        assertTrue(Comparison.judge(want, new float[]{1, 2, Float.NaN}, List.of("guard"), 1e-7).detail().contains("non-finite"));
        assertEquals("guard", Comparison.judge(want, want.clone(), List.of("guard"), 1e-7).detail());
        assertFalse(Comparison.judge(want, new float[]{1, 2, 3.01f}, List.of(), 1e-7).passed());
        assertFalse(Comparison.judge(want, new float[]{1, 2}, List.of(), 1e-7).passed());
    }
}
