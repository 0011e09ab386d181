package dev.pocketlm.tests;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Backends;

import java.util.ArrayList;
import java.util.List;

/** A backend the suite compares against the reference: opened, absent here, or probed available but failing to open. */
public sealed interface BackendUnderTest {
    /** The spec shown as the support matrix column, e.g. {@code cpu}, {@code opencl}. */
    String spec();

    record Present(String spec, Backend backend) implements BackendUnderTest {}

    record Absent(String spec, String reason) implements BackendUnderTest {}

    record Broken(String spec, String error) implements BackendUnderTest {}

    /**
     * Every provider found by {@link Backends#candidates()}, opened on its default device ("" - for {@code cpu}
     * that is the fast path; the scalar reference {@code cpu:reference} is the oracle, opened separately).
     */
    static List<BackendUnderTest> discover() {
        List<BackendUnderTest> out = new ArrayList<>();
        for (Backends.Candidate c : Backends.candidates()) {
            String name = c.provider().name();
            if (!c.probe().available()) {
                out.add(new Absent(name, c.probe().reason()));
                continue;
            }
            try {
                out.add(new Present(name, c.provider().open("")));
            } catch (RuntimeException | LinkageError e) {
                out.add(new Broken(name, "probe said available but open(\"\") failed: " + e));
            }
        }
        return out;
    }
}
