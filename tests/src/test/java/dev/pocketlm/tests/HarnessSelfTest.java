package dev.pocketlm.tests;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Backends;
import dev.pocketlm.tensor.RopeMode;
import dev.pocketlm.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The suite must fail on broken kernels: each test breaks one kernel of the reference and expects a FAIL. */
class HarnessSelfTest {
    private static final long SEED = 20261129L;
    private static Backend reference;

    @BeforeAll
    static void open() { reference = Backends.select("cpu:reference").open(); }

    @AfterAll
    static void close() { reference.close(); }

    /** Runs the first catalog case of {@code op} on the reference and on {@code broken}; returns the verdict. */
    private static Comparison.Verdict conformance(String op, Backend broken) {
        ConformanceCase c = CaseCatalog.all().stream().filter(k -> k.op().equals(op)).findFirst().orElseThrow();
        Execution.Ran want = (Execution.Ran) Execution.run(reference, c.setup().apply(new SplittableRandom(SEED)));
        Execution.Ran got = (Execution.Ran) Execution.run(broken, c.setup().apply(new SplittableRandom(SEED)));
        return Comparison.judge(want.output(), got.output(), got.guardViolations(), c.bound());
    }

    private static Comparison.Verdict gradient(String rule, Backend broken) {
        GradientCheck.Rule r = GradientRules.all(new SplittableRandom(SEED)).stream()
                .filter(k -> k.name().equals(rule)).findFirst().orElseThrow();
        return GradientCheck.check(broken, r, new SplittableRandom(SEED));
    }

    private static void negate(Backend real, Tensor t) { real.kernels().scale(t, -1f, t); }

    @Test
    void wrongValuesFail() {
        Comparison.Verdict v = conformance("silu", new SabotagedBackend(reference, "silu", (real, a) -> negate(real, (Tensor) a[1])));
        assertFalse(v.passed());
        assertEquals(4.0, v.error(), 1e-3, "a negated output has nmse 4");
    }

    @Test
    void nonFiniteOutputFails() {
        Backend broken = new SabotagedBackend(reference, "add", (real, a) -> {
            Tensor out = (Tensor) a[2];
            real.write(out.storage(), out.byteOffset(), MemorySegment.ofArray(new float[]{Float.NaN}));
        });
        Comparison.Verdict v = conformance("add", broken);
        assertFalse(v.passed());
        assertTrue(v.detail().contains("non-finite"), v.detail());
    }

    @Test
    void writingPastTheOutputFails() {
        Backend broken = new SabotagedBackend(reference, "fill", (real, a) -> {
            Tensor out = (Tensor) a[0];
            real.write(out.storage(), out.byteOffset() + out.byteSize(), MemorySegment.ofArray(new byte[]{1}));
        });
        Comparison.Verdict v = conformance("fill", broken);
        assertFalse(v.passed());
        assertTrue(v.detail().contains("guard byte 1 after"), v.detail());
    }

    @Test
    void writingBeforeTheOutputFails() {
        Backend broken = new SabotagedBackend(reference, "scale", (real, a) -> {
            Tensor out = (Tensor) a[2];
            real.write(out.storage(), out.byteOffset() - 4, MemorySegment.ofArray(new float[]{0f}));
        });
        Comparison.Verdict v = conformance("scale", broken);
        assertFalse(v.passed());
        assertTrue(v.detail().contains("before"), v.detail());
    }

    @Test
    void gradientSignErrorFails() {
        Backend broken = new SabotagedBackend(reference, "siluBackward", (real, a) -> negate(real, (Tensor) a[2]));
        Comparison.Verdict v = gradient("silu", broken);
        assertFalse(v.passed());
        assertEquals(2.0, v.error(), 0.05, "a sign error gives relative error 2");
    }

    @Test
    void gradientFactorErrorFails() {
        Backend broken = new SabotagedBackend(reference, "softmaxBackward",
                (real, a) -> real.kernels().scale((Tensor) a[3], 0.9f, (Tensor) a[3]));
        Comparison.Verdict v = gradient("softmax causal", broken);
        assertFalse(v.passed(), "a gradient 10% off must fail: " + v.error());
    }

    @Test
    void ropeBackwardWithoutInverseFails() {
        Backend broken = new SabotagedBackend(reference, "rope", (real, a) -> {
            if ((Boolean) a[5]) {
                real.kernels().rope((Tensor) a[0], (Tensor) a[1], (Integer) a[2], (Float) a[3],
                        (RopeMode) a[4], false, (Tensor) a[6]);
            }
        });
        assertFalse(gradient("rope NORMAL", broken).passed());
    }
}
