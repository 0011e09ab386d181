package dev.pocketlm.tensor;

import dev.pocketlm.tensor.spi.BackendProvider;
import dev.pocketlm.tensor.spi.Probe;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.ServiceLoader;

/**
 * Finds backend providers and chooses one. Precedence: explicit argument, system property
 * {@code pocket.backend}, environment {@code POCKET_BACKEND}, {@code pocket.properties} (working directory,
 * then ~/.config/pocket/), then the highest-scoring available provider. A named backend that cannot start
 * fails with its reason; it never falls back.
 */
public final class Backends {
    public static final String PROPERTY = "pocket.backend";
    public static final String ENV = "POCKET_BACKEND";

    private Backends() {}

    /** A provider with its probe result, probed once. */
    public record Candidate(BackendProvider provider, Probe probe) {}

    /** The outcome of selection: which backend, which device string, and why. */
    public record Selection(BackendProvider provider, String device, String reason) {
        public String spec() { return device.isEmpty() ? provider.name() : provider.name() + ":" + device; }

        public Backend open() { return provider.open(device); }
    }

    /** Every provider on the class path, probed, highest score first. */
    public static List<Candidate> candidates() {
        List<Candidate> out = new ArrayList<>();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            Probe probe;
            try {
                probe = p.probe();
            } catch (RuntimeException | LinkageError e) {
                probe = Probe.unavailable("probe failed: " + e);
            }
            out.add(new Candidate(p, probe));
        }
        out.sort(Comparator.comparingInt((Candidate c) -> -c.provider().score()));
        return out;
    }

    /** Selects and opens a backend; {@code explicit} may be null. */
    public static Backend open(String explicit) {
        return select(explicit).open();
    }

    /** Selects without opening: the configured name (checked) or the best available provider. */
    public static Selection select(String explicit) {
        List<Candidate> all = candidates();
        String[] configured = configured(explicit);
        if (configured != null) {
            String spec = configured[0].trim();
            int colon = spec.indexOf(':');
            String name = colon < 0 ? spec : spec.substring(0, colon);
            String device = colon < 0 ? "" : spec.substring(colon + 1);
            for (Candidate c : all) {
                if (c.provider().name().equalsIgnoreCase(name)) {
                    if (!c.probe().available()) {
                        throw new IllegalStateException("backend '" + spec + "' (from " + configured[1] + ") cannot start: " + c.probe().reason());
                    }
                    return new Selection(c.provider(), device, "named by " + configured[1]);
                }
            }
            throw new IllegalArgumentException("unknown backend '" + name + "' (from " + configured[1] + "); known: "
                    + String.join(", ", all.stream().map(c -> c.provider().name()).toList()));
        }
        for (Candidate c : all) {
            if (c.probe().available()) {
                return new Selection(c.provider(), "", "best available (score " + c.provider().score() + ")");
            }
        }
        throw new IllegalStateException("no backend is available; providers found: "
                + String.join("; ", all.stream().map(c -> c.provider().name() + ": " + c.probe().reason()).toList()));
    }

    /** The configured backend string and where it came from, or null when nothing names one. */
    static String[] configured(String explicit) {
        if (explicit != null && !explicit.isBlank()) return new String[]{explicit, "the --backend argument"};
        String prop = System.getProperty(PROPERTY);
        if (prop != null && !prop.isBlank()) return new String[]{prop, "system property " + PROPERTY};
        String env = System.getenv(ENV);
        if (env != null && !env.isBlank()) return new String[]{env, "environment variable " + ENV};
        for (Path file : List.of(Path.of("pocket.properties"),
                Path.of(System.getProperty("user.home"), ".config", "pocket", "pocket.properties"))) {
            if (Files.isRegularFile(file)) {
                Properties p = new Properties();
                try (InputStream in = Files.newInputStream(file)) {
                    p.load(in);
                } catch (IOException e) {
                    throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
                }
                String v = p.getProperty("backend");
                if (v != null && !v.isBlank()) return new String[]{v, file.toAbsolutePath() + " (key 'backend')"};
            }
        }
        return null;
    }
}
