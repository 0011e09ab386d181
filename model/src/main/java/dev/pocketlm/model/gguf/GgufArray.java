package dev.pocketlm.model.gguf;

import java.lang.reflect.Array;
import java.util.Arrays;
import java.util.Objects;

/**
 * A metadata array: its element type and a Java array of the elements, held like {@link GgufValue}'s scalars but
 * unboxed: byte[] (UINT8, INT8), short[] (UINT16, INT16), int[] (UINT32, INT32), long[] (UINT64, INT64),
 * float[], double[], boolean[], String[], or GgufArray[] for nested arrays.
 */
public record GgufArray(GgufType elementType, Object elements) {

    public GgufArray {
        Objects.requireNonNull(elementType, "elementType");
        Objects.requireNonNull(elements, "elements");
        Class<?> expected = javaArrayClass(elementType);
        if (expected != elements.getClass()) {
            throw new IllegalArgumentException("a GGUF array of " + elementType + " is held as "
                    + expected.getSimpleName() + ", not " + elements.getClass().getSimpleName());
        }
    }

    public static GgufArray ofStrings(String... v) { return new GgufArray(GgufType.STRING, v.clone()); }

    public static GgufArray ofFloats(float... v) { return new GgufArray(GgufType.FLOAT32, v.clone()); }

    public static GgufArray ofInts(int... v) { return new GgufArray(GgufType.INT32, v.clone()); }

    public int length() { return Array.getLength(elements); }

    /** Element {@code i} as a value of the element type. */
    public GgufValue get(int i) {
        Object e = Array.get(elements, i);
        return new GgufValue(elementType, e);
    }

    static Class<?> javaArrayClass(GgufType type) {
        return switch (type) {
            case UINT8, INT8 -> byte[].class;
            case UINT16, INT16 -> short[].class;
            case UINT32, INT32 -> int[].class;
            case UINT64, INT64 -> long[].class;
            case FLOAT32 -> float[].class;
            case FLOAT64 -> double[].class;
            case BOOL -> boolean[].class;
            case STRING -> String[].class;
            case ARRAY -> GgufArray[].class;
        };
    }

    @Override public boolean equals(Object o) {
        return o instanceof GgufArray a && elementType == a.elementType
                && Arrays.deepEquals(new Object[] {elements}, new Object[] {a.elements});
    }

    @Override public int hashCode() {
        return 31 * elementType.hashCode() + Arrays.deepHashCode(new Object[] {elements});
    }

    @Override public String toString() {
        return elementType + "[" + length() + "]";
    }
}
