package dev.pocketlm.tests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Collects outcomes (op x dtype rows, one column per backend) and writes the markdown report: backends with their
 * devices or absence reasons, the matrix, then every failure and unsupported case in detail.
 */
public final class SupportMatrix {

    /** The three parts of the suite, each its own table in the report. */
    public enum Suite {
        OPS("Ops against cpu:reference"),
        ORACLE("cpu:reference against double precision"),
        GRADIENTS("Finite-difference gradient checks through Ops + Tape");

        private final String title;

        Suite(String title) { this.title = title; }
    }

    /** One case on one backend. */
    public record Outcome(Suite suite, String op, String dtype, String shapes, String backend, Status status, String detail) {}

    private record Column(String spec, String note) {}

    private record RowKey(Suite suite, String op, String dtype) {}

    private final long seed;
    private final List<Column> columns = new ArrayList<>();
    private final Map<String, String> absent = new LinkedHashMap<>();
    private final List<Outcome> outcomes = new ArrayList<>();

    public SupportMatrix(long seed) { this.seed = seed; }

    public synchronized void addColumn(String spec, String note) { columns.add(new Column(spec, note)); }

    /** A backend absent on this machine: every cell of its column reads "skipped". */
    public synchronized void addAbsent(String spec, String reason) {
        columns.add(new Column(spec, "absent: " + reason));
        absent.put(spec, reason);
    }

    public synchronized void record(Outcome o) { outcomes.add(o); }

    public synchronized List<Outcome> outcomes() { return List.copyOf(outcomes); }

    /** The worst status among the cell's cases, or null when none ran there. */
    private Status cell(RowKey row, String backend) {
        if (absent.containsKey(backend)) return Status.SKIPPED;
        Status worst = null;
        for (Outcome o : outcomes) {
            if (!o.backend().equals(backend) || !new RowKey(o.suite(), o.op(), o.dtype()).equals(row)) continue;
            if (worst == null || o.status().compareTo(worst) > 0) worst = o.status();
        }
        return worst;
    }

    public synchronized String markdown() {
        StringBuilder md = new StringBuilder("# Pocket conformance report\n\n");
        md.append("Seed ").append(seed).append(" (reproduce with `-Dpocket.seed=").append(seed).append("`). ")
                .append("A cell shows the worst outcome of its shapes; \"-\" means not run there.\n\n");
        md.append("## Backends\n\n| backend | device or reason |\n| --- | --- |\n");
        for (Column c : columns) md.append("| ").append(c.spec()).append(" | ").append(c.note()).append(" |\n");

        for (Suite suite : Suite.values()) appendMatrix(md, suite);
        appendDetails(md, "Failures", Status.FAIL);
        appendDetails(md, "Unsupported", Status.UNSUPPORTED);
        return md.toString();
    }

    private void appendMatrix(StringBuilder md, Suite suite) {
        List<RowKey> rows = new ArrayList<>();
        for (Outcome o : outcomes) {
            RowKey k = new RowKey(o.suite(), o.op(), o.dtype());
            if (o.suite() == suite && !rows.contains(k)) rows.add(k);
        }
        if (rows.isEmpty()) return;
        md.append("\n## ").append(suite.title).append("\n\n| op | dtype |");
        for (Column c : columns) md.append(' ').append(c.spec()).append(" |");
        md.append("\n| --- | --- |").append(" --- |".repeat(columns.size())).append('\n');
        for (RowKey row : rows) {
            md.append("| ").append(row.op()).append(" | ").append(row.dtype()).append(" |");
            for (Column c : columns) {
                Status s = cell(row, c.spec());
                md.append(' ').append(s == null ? "-" : s.label()).append(" |");
            }
            md.append('\n');
        }
    }

    private void appendDetails(StringBuilder md, String title, Status status) {
        List<Outcome> hits = outcomes.stream().filter(o -> o.status() == status).toList();
        md.append("\n## ").append(title).append(" (").append(hits.size()).append(")\n\n");
        for (Outcome o : hits) {
            md.append("- ").append(o.backend()).append(" (").append(o.suite().title).append("): ").append(o.op()).append(' ').append(o.dtype()).append(' ')
                    .append(o.shapes()).append(" - ").append(o.detail()).append('\n');
        }
    }

    public void write(Path file) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, markdown());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the conformance report " + file, e);
        }
    }
}
