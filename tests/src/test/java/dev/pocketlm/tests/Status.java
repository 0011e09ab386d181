package dev.pocketlm.tests;

/** The outcome of one case on one backend, as shown in the support matrix. */
public enum Status {
    PASS("pass"),
    FAIL("FAIL"),
    /** The backend threw UnsupportedOperationException (allowed only for backends other than the CPU ones). */
    UNSUPPORTED("unsupported"),
    /** The backend is absent on this machine. */
    SKIPPED("skipped");

    private final String label;

    Status(String label) { this.label = label; }

    public String label() { return label; }
}
