package dev.pocketlm.cli;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line progress bar on stderr: bar, step, loss, tokens/s, ETA; redrawn in place on a terminal. */
final class ProgressBar {
    private static final int WIDTH = 24;
    private final String label;
    private final PrintStream err = System.err;
    private final boolean terminal = System.console() != null;
    private long lastDraw;

    ProgressBar(String label) {
        this.label = label;
    }

    /** Redraws at most 10 times a second (always at the end); {@code detail} follows the counters. */
    void update(long done, long total, double seconds, double tokensPerSecond, String detail) {
        long now = System.nanoTime();
        boolean end = done >= total;
        if (!end && now - lastDraw < 100_000_000L) return;
        lastDraw = now;
        int filled = (int) (WIDTH * Math.min(1.0, (double) done / Math.max(1, total)));
        double eta = done == 0 ? 0 : seconds / done * (total - done);
        String line = String.format(Locale.ROOT, "%s [%s%s] %d/%d %s | %,.0f tok/s | %s %s", label, "#".repeat(filled),
                " ".repeat(WIDTH - filled), done, total, detail, tokensPerSecond, end ? "took" : "ETA", duration(end ? seconds : eta));
        if (terminal) err.print("\r" + line + "\u001b[K" + (end ? "\n" : ""));
        else if (end || detail.contains("val")) err.println(line);
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s / 60 % 60) : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
