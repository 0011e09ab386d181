package dev.pocketlm.tests;

import dev.pocketlm.tensor.Backends;

import java.util.ArrayList;
import java.util.List;

/** Backend specs for end-to-end tests: the reference oracle first, then every available provider; absent ones are printed. */
public final class AvailableBackends {
    private AvailableBackends() {}

    public static List<String> specs() {
        List<String> specs = new ArrayList<>(List.of("cpu:reference"));
        for (Backends.Candidate c : Backends.candidates()) {
            if (c.probe().available()) specs.add(c.provider().name());
            else System.out.println("skipping backend " + c.provider().name() + ": " + c.probe().reason());
        }
        return specs;
    }
}
