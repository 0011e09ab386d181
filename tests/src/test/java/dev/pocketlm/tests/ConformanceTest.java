package dev.pocketlm.tests;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Backends;
import dev.pocketlm.tests.BackendUnderTest.Absent;
import dev.pocketlm.tests.BackendUnderTest.Broken;
import dev.pocketlm.tests.BackendUnderTest.Present;
import dev.pocketlm.tests.Comparison.Verdict;
import dev.pocketlm.tests.Execution.Crashed;
import dev.pocketlm.tests.Execution.Ran;
import dev.pocketlm.tests.Execution.Unsupported;
import dev.pocketlm.tests.SupportMatrix.Outcome;
import dev.pocketlm.tests.SupportMatrix.Suite;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * The cross-backend conformance suite: every case of {@link CaseCatalog} on every available backend against
 * {@code cpu:reference}, the reference itself against {@link DoubleOracle}, and the finite-difference checks of
 * {@link GradientRules} on every backend. Writes {@code target/conformance.md}.
 */
class ConformanceTest {
    private static final String REFERENCE = "cpu:reference";
    private static final Path REPORT = Path.of("target", "conformance.md");
    private static final long SEED = HostData.baseSeed();
    /** Salts so the oracle and gradient inputs differ from the conformance cases of the same index. */
    private static final long ORACLE_SALT = 0x6F7261636C65L, GRADIENT_SALT = 0x67726164L;

    private static Backend reference;
    private static List<BackendUnderTest> backends;
    private static List<ConformanceCase> cases;
    private static float[][] referenceOutputs;
    private static List<Outcome> referenceOutcomes;
    private static SupportMatrix matrix;

    @BeforeAll
    static void discover() {
        reference = Backends.select(REFERENCE).open();
        backends = BackendUnderTest.discover().stream()
                .sorted(Comparator.comparing((BackendUnderTest b) -> !b.spec().equals("cpu"))).toList();
        cases = CaseCatalog.all();
        referenceOutputs = new float[cases.size()][];
        matrix = new SupportMatrix(SEED);
        matrix.addColumn(REFERENCE, reference.device().toString());
        for (BackendUnderTest b : backends) {
            switch (b) {
                case Present p -> matrix.addColumn(p.spec(), p.backend().device().toString());
                case Absent a -> {
                    matrix.addAbsent(a.spec(), a.reason());
                    System.out.println("[conformance] skipping absent backend " + a.spec() + ": " + a.reason());
                }
                case Broken x -> matrix.addColumn(x.spec(), x.error());
            }
        }
        System.out.println("[conformance] seed " + SEED + ", " + cases.size() + " cases, oracle " + REFERENCE);
    }

    @AfterAll
    static void report() {
        matrix.write(REPORT);
        System.out.println(matrix.markdown());
        System.out.println("[conformance] report written to " + REPORT.toAbsolutePath());
        for (BackendUnderTest b : backends) if (b instanceof Present p) p.backend().close();
        reference.close();
    }

    // ---- every case on every backend ----

    @TestFactory
    Stream<DynamicTest> conformance() {
        Stream<DynamicTest> oracleRuns = Stream.of(dynamicTest(REFERENCE + " runs every case", ConformanceTest::runReference));
        return Stream.concat(oracleRuns, backends.stream().map(b -> dynamicTest(b.spec() + " matches " + REFERENCE, () -> {
            switch (b) {
                case Present p -> compare(p);
                case Absent a -> abort(a.spec() + " is absent: " + a.reason());
                case Broken x -> {
                    matrix.record(new Outcome(Suite.OPS, "open backend", "-", "", x.spec(), Status.FAIL, x.error()));
                    fail(x.spec() + ": " + x.error());
                }
            }
        })));
    }

    /** The reference must run every case with finite output inside its guards. */
    private static void runReference() {
        long start = System.nanoTime();
        List<Outcome> outcomes = referenceRuns();
        assertNoFailures(REFERENCE, outcomes, start);
    }

    /** Runs the reference on every case once, keeping the outputs that are fit to compare against. */
    private static synchronized List<Outcome> referenceRuns() {
        if (referenceOutcomes != null) return referenceOutcomes;
        List<Outcome> outcomes = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            ConformanceCase c = cases.get(i);
            Execution run = Execution.run(reference, c.setup().apply(new SplittableRandom(HostData.caseSeed(SEED, i))));
            Outcome o = switch (run) {
                case Ran r when Comparison.firstNonFinite(r.output()) >= 0 ->
                        outcome(c, REFERENCE, Status.FAIL, "non-finite reference output at " + Comparison.firstNonFinite(r.output()));
                case Ran r when !r.guardViolations().isEmpty() ->
                        outcome(c, REFERENCE, Status.FAIL, String.join("; ", r.guardViolations()));
                case Ran r -> {
                    referenceOutputs[i] = r.output();
                    yield outcome(c, REFERENCE, Status.PASS, "");
                }
                case Unsupported u -> outcome(c, REFERENCE, Status.FAIL, "the reference must implement every case: " + u.message());
                case Crashed x -> outcome(c, REFERENCE, Status.FAIL, x.message());
            };
            matrix.record(o);
            outcomes.add(o);
        }
        referenceOutcomes = outcomes;
        return outcomes;
    }

    private static void compare(Present p) {
        referenceRuns();
        List<Outcome> mine = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < cases.size(); i++) {
            ConformanceCase c = cases.get(i);
            Outcome o;
            if (referenceOutputs[i] == null) {
                o = outcome(c, p.spec(), Status.SKIPPED, "the reference failed this case");
            } else {
                Execution run = Execution.run(p.backend(), c.setup().apply(new SplittableRandom(HostData.caseSeed(SEED, i))));
                o = judge(Suite.OPS, c.op(), c.dtype(), c.shapes(), p.spec(), referenceOutputs[i], run, c.bound());
            }
            matrix.record(o);
            mine.add(o);
        }
        assertNoFailures(p.spec(), mine, start);
    }

    private static Outcome judge(Suite suite, String op, String dtype, String shapes, String backend, float[] expected,
                                 Execution run, double bound) {
        return switch (run) {
            case Ran r -> {
                Verdict v = Comparison.judge(expected, r.output(), r.guardViolations(), bound);
                yield new Outcome(suite, op, dtype, shapes, backend, v.passed() ? Status.PASS : Status.FAIL, v.detail());
            }
            case Unsupported u -> new Outcome(suite, op, dtype, shapes, backend, Status.UNSUPPORTED, u.message());
            case Crashed x -> new Outcome(suite, op, dtype, shapes, backend, Status.FAIL, x.message());
        };
    }

    private static Outcome outcome(ConformanceCase c, String backend, Status status, String detail) {
        return new Outcome(Suite.OPS, c.op(), c.dtype(), c.shapes(), backend, status, detail);
    }

    // ---- the oracle against double precision ----

    @Test
    void referenceMatchesDoublePrecision() {
        List<Outcome> mine = new ArrayList<>();
        long start = System.nanoTime();
        List<DoubleOracle.Check> checks = DoubleOracle.checks();
        for (int i = 0; i < checks.size(); i++) {
            DoubleOracle.Check check = checks.get(i);
            DoubleOracle.Expected expected = check.setup().apply(new SplittableRandom(HostData.caseSeed(SEED ^ ORACLE_SALT, i)));
            Outcome o = judge(Suite.ORACLE, check.op(), check.dtype(), check.shapes(), REFERENCE, expected.asFloats(),
                    Execution.run(reference, expected.problem()), DoubleOracle.BOUND);
            matrix.record(o);
            mine.add(o);
        }
        assertNoFailures(REFERENCE + " vs double", mine, start);
    }

    // ---- gradients ----

    @TestFactory
    Stream<DynamicTest> gradients() {
        List<GradientCheck.Rule> rules = GradientRules.all(new SplittableRandom(SEED ^ GRADIENT_SALT));
        Stream<DynamicTest> onReference = Stream.of(dynamicTest("gradients on " + REFERENCE, () -> checkGradients(REFERENCE, reference, rules)));
        return Stream.concat(onReference, backends.stream().map(b -> dynamicTest("gradients on " + b.spec(), () -> {
            switch (b) {
                case Present p -> checkGradients(p.spec(), p.backend(), rules);
                case Absent a -> abort(a.spec() + " is absent: " + a.reason());
                case Broken x -> fail(x.spec() + ": " + x.error());
            }
        })));
    }

    private static void checkGradients(String spec, Backend be, List<GradientCheck.Rule> rules) {
        List<Outcome> mine = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < rules.size(); i++) {
            GradientCheck.Rule rule = rules.get(i);
            Status status;
            String detail;
            try {
                Verdict v = GradientCheck.check(be, rule, new SplittableRandom(HostData.caseSeed(SEED ^ GRADIENT_SALT, i)));
                status = v.passed() ? Status.PASS : Status.FAIL;
                detail = v.detail();
            } catch (UnsupportedOperationException e) {
                status = Status.UNSUPPORTED;
                detail = String.valueOf(e.getMessage());
            } catch (RuntimeException | LinkageError e) {
                status = Status.FAIL;
                detail = e.toString();
            }
            Outcome o = new Outcome(Suite.GRADIENTS, rule.name(), "F32", rule.shapes(), spec, status, detail);
            matrix.record(o);
            mine.add(o);
        }
        assertNoFailures("gradients on " + spec, mine, start);
    }

    // ---- verdicts ----

    /** Fails on any FAIL, and on unsupported cases of the CPU backends (which must implement everything). */
    private static void assertNoFailures(String what, List<Outcome> outcomes, long startNanos) {
        List<Outcome> bad = outcomes.stream().filter(o -> o.status() == Status.FAIL
                || (o.status() == Status.UNSUPPORTED && (o.backend().equals("cpu") || o.backend().equals(REFERENCE)))).toList();
        long unsupported = outcomes.stream().filter(o -> o.status() == Status.UNSUPPORTED).count();
        System.out.printf("[conformance] %s: %d cases, %d bad, %d unsupported, %.1f s%n", what, outcomes.size(), bad.size(),
                unsupported, (System.nanoTime() - startNanos) / 1e9);
        StringBuilder msg = new StringBuilder();
        for (Outcome o : bad) {
            msg.append("\n  ").append(o.status().label()).append(' ').append(o.op()).append(' ').append(o.dtype())
                    .append(' ').append(o.shapes()).append(": ").append(o.detail());
        }
        assertTrue(bad.isEmpty(), () -> what + ": " + bad.size() + " of " + outcomes.size() + " cases failed (seed " + SEED
                + ", rerun with -Dpocket.seed=" + SEED + "):" + msg);
    }
}
