package dev.pocketlm.cli;

import dev.pocketlm.tensor.Backends;
import dev.pocketlm.tensor.spi.DeviceInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code pocket backends}: every provider, its probe result and devices, and what the configuration selects. */
@Command(name = "backends", description = "List backends, their devices, and which one is selected and why.")
final class BackendsCommand implements Callable<Integer> {

    @Option(names = "--backend", description = "Backend to select (overrides -Dpocket.backend, POCKET_BACKEND, pocket.properties).")
    String backend;

    @Override public Integer call() {
        for (Backends.Candidate c : Backends.candidates()) {
            System.out.printf("%-8s score %3d  %s%n", c.provider().name(), c.provider().score(),
                    c.probe().available() ? "available" : "unavailable: " + c.probe().reason());
            for (DeviceInfo d : c.probe().devices()) System.out.println("           " + d);
        }
        try {
            Backends.Selection s = Backends.select(backend);
            System.out.println("selected: " + s.spec() + " (" + s.reason() + ")");
            return 0;
        } catch (RuntimeException e) {
            System.out.println("selected: none: " + e.getMessage());
            return 1;
        }
    }
}
