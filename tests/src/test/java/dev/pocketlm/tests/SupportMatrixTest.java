package dev.pocketlm.tests;

import dev.pocketlm.tests.SupportMatrix.Outcome;
import dev.pocketlm.tests.SupportMatrix.Suite;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

class SupportMatrixTest {

    @Test
    void cellShowsTheWorstOutcomeAndAbsentColumnsAreSkipped() {
        SupportMatrix m = new SupportMatrix(5);
        m.addColumn("cpu", "host");
        m.addAbsent("cuda", "libcuda.so.1 not found");
        m.record(new Outcome(Suite.OPS, "add", "F32", "[2]", "cpu", Status.PASS, ""));
        m.record(new Outcome(Suite.OPS, "add", "F32", "[3]", "cpu", Status.FAIL, "nmse 1 > bound"));
        m.record(new Outcome(Suite.OPS, "mul", "F32", "[2]", "cpu", Status.UNSUPPORTED, "mul: F32 on cpu"));
        m.record(new Outcome(Suite.GRADIENTS, "silu", "F32", "[3]", "cpu", Status.PASS, ""));
        String md = m.markdown();
        assertTrue(md.contains("| cuda | absent: libcuda.so.1 not found |"), md);
        assertTrue(md.contains("| add | F32 | FAIL | skipped |"), md);
        assertTrue(md.contains("| mul | F32 | unsupported | skipped |"), md);
        assertTrue(md.contains("| silu | F32 | pass | skipped |"), md);
        assertTrue(md.contains("- cpu (Ops against cpu:reference): add F32 [3] - nmse 1 > bound"), md);
        assertTrue(md.contains("## Unsupported (1)"), md);
        assertTrue(md.contains("-Dpocket.seed=5"), md);
    }
}
