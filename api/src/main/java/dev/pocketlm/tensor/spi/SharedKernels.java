package dev.pocketlm.tensor.spi;

import dev.pocketlm.tensor.DType;

/** What the device backends (CUDA, OpenCL) agree on with the kernel sources they share, {@code kernels/*.kern}. */
public final class SharedKernels {
    private SharedKernels() {}

    /** The {@code DTYPE_*} code of common.kern for a tensor's dtype; {@code backend} names the caller in the error. */
    public static int dtypeCode(DType t, String backend) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 1;
            case BF16 -> 2;
            case I32 -> 3;
            case Q8_0 -> 4;
            case Q4_0 -> 5;
            case I8 -> throw new UnsupportedOperationException(backend + ": no shared kernel reads I8 tensors");
        };
    }
}
