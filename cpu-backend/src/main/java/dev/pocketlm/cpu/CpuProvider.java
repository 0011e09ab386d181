package dev.pocketlm.cpu;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.spi.BackendProvider;
import dev.pocketlm.tensor.spi.DeviceInfo;
import dev.pocketlm.tensor.spi.Probe;

import java.util.List;

/** {@code cpu} (the fast path) and {@code cpu:reference} (the scalar oracle). */
public final class CpuProvider implements BackendProvider {
    public static final String REFERENCE = "reference";

    @Override public String name() { return "cpu"; }

    @Override public Probe probe() { return Probe.available(List.of(device())); }

    @Override public int score() { return 100; }

    @Override public Backend open(String device) {
        return switch (device) {
            case REFERENCE -> new CpuBackend("cpu:" + REFERENCE, device(), new ReferenceKernels());
            case "", "0" -> new CpuBackend("cpu", device(), new VectorKernels());
            default -> throw new IllegalArgumentException("cpu: unknown device '" + device + "'; use 'cpu' or 'cpu:" + REFERENCE + "'");
        };
    }

    static DeviceInfo device() {
        Runtime rt = Runtime.getRuntime();
        return new DeviceInfo(0, System.getProperty("os.arch") + " host, " + rt.availableProcessors() + " threads",
                rt.maxMemory(), "Java " + Runtime.version());
    }
}
