package dev.pocketlm.tests;

/** The outcome of one case on one backend, declared best to worst: a matrix cell shows its cases' worst. */
public enum Status {
    PASS("pass"),
    /** The backend is absent on this machine. */
    SKIPPED("skipped"),
    /** The backend threw UnsupportedOperationException (allowed only for backends other than the CPU ones). */
    UNSUPPORTED("unsupported"),
    FAIL("FAIL");

    private final String label;

    Status(String label) { this.label = label; }

    public String label() { return label; }
}
