package dev.pocketlm.tensor.spi;

import java.util.List;

/** Whether a backend can run here: its devices, or the precise reason it cannot. */
public record Probe(boolean available, String reason, List<DeviceInfo> devices) {
    public Probe {
        devices = List.copyOf(devices);
    }

    public static Probe available(List<DeviceInfo> devices) { return new Probe(true, "", devices); }

    public static Probe unavailable(String reason) { return new Probe(false, reason, List.of()); }
}
