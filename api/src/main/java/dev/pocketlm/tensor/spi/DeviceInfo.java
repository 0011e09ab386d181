package dev.pocketlm.tensor.spi;

/** One device of a backend, as reported by its probe. */
public record DeviceInfo(int index, String name, long memoryBytes, String details) {
    @Override public String toString() {
        return index + ": " + name + " (" + (memoryBytes >> 20) + " MiB" + (details.isEmpty() ? "" : ", " + details) + ")";
    }
}
