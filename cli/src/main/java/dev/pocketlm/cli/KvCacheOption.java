package dev.pocketlm.cli;

import dev.pocketlm.tensor.DType;
import picocli.CommandLine.Option;

/** The --kv-type option shared by commands that generate. */
final class KvCacheOption {
    @Option(names = "--kv-type", defaultValue = "f32", description = "KV cache type: f32 or f16 (default ${DEFAULT-VALUE}).")
    String kvType;

    /** The cache's dtype; a clear error for anything but f32 and f16. */
    DType dtype() {
        DType kv = WeightTypes.parse(kvType);
        if (kv != DType.F32 && kv != DType.F16) throw new IllegalArgumentException("--kv-type must be f32 or f16, got " + kvType);
        return kv;
    }
}
