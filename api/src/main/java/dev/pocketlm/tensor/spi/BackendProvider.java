package dev.pocketlm.tensor.spi;

import dev.pocketlm.tensor.Backend;

/** Found through {@link java.util.ServiceLoader}; one per backend kind. */
public interface BackendProvider {
    /** The name used in selection strings, e.g. {@code cpu}, {@code cuda}, {@code opencl}. */
    String name();

    /** Checks libraries and devices without side effects worth undoing. */
    Probe probe();

    /** Higher wins when nothing is named: CUDA 300, OpenCL GPU 200, CPU 100, OpenCL CPU 50. */
    int score();

    /**
     * Opens a device. {@code device} is what followed the colon in the selection string ("" when absent):
     * an index, a device name, or a backend-specific variant such as {@code reference}.
     */
    Backend open(String device);
}
