package dev.pocketlm.cli;

import dev.pocketlm.tensor.DType;

import java.util.Locale;

/** The weight types a user may name on the command line. */
final class WeightTypes {
    private WeightTypes() {}

    static DType parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "f16" -> DType.F16;
            case "bf16" -> DType.BF16;
            case "q8_0" -> DType.Q8_0;
            case "q4_0" -> DType.Q4_0;
            default -> throw new IllegalArgumentException("unknown weight type '" + s + "'; use f32, f16, bf16, q8_0 or q4_0");
        };
    }
}
