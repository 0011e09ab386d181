package dev.pocketlm.model.gguf;

import java.util.Objects;

/**
 * One metadata value: its GGUF type and its Java value. Integers keep their stored bits in the Java type of their
 * width (Byte, Short, Integer, Long; unsigned types are read back with {@link #asLong()}), floats are Float/Double,
 * BOOL is Boolean, STRING is String and ARRAY is {@link GgufArray}.
 */
public record GgufValue(GgufType type, Object value) {

    public GgufValue {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
        Class<?> expected = javaClass(type);
        if (!expected.isInstance(value)) {
            throw new IllegalArgumentException("a GGUF " + type + " value is held as " + expected.getSimpleName()
                    + ", not " + value.getClass().getSimpleName());
        }
    }

    public static GgufValue uint8(int v) { return new GgufValue(GgufType.UINT8, (byte) checkRange(v, 0, 0xff)); }

    public static GgufValue int8(int v) { return new GgufValue(GgufType.INT8, (byte) checkRange(v, Byte.MIN_VALUE, Byte.MAX_VALUE)); }

    public static GgufValue uint16(int v) { return new GgufValue(GgufType.UINT16, (short) checkRange(v, 0, 0xffff)); }

    public static GgufValue int16(int v) { return new GgufValue(GgufType.INT16, (short) checkRange(v, Short.MIN_VALUE, Short.MAX_VALUE)); }

    public static GgufValue uint32(long v) { return new GgufValue(GgufType.UINT32, (int) checkRange(v, 0, 0xffffffffL)); }

    public static GgufValue int32(int v) { return new GgufValue(GgufType.INT32, v); }

    /** An unsigned 64-bit value; {@code v} holds its bits (values above Long.MAX_VALUE are negative here). */
    public static GgufValue uint64(long v) { return new GgufValue(GgufType.UINT64, v); }

    public static GgufValue int64(long v) { return new GgufValue(GgufType.INT64, v); }

    public static GgufValue float32(float v) { return new GgufValue(GgufType.FLOAT32, v); }

    public static GgufValue float64(double v) { return new GgufValue(GgufType.FLOAT64, v); }

    public static GgufValue bool(boolean v) { return new GgufValue(GgufType.BOOL, v); }

    public static GgufValue string(String v) { return new GgufValue(GgufType.STRING, v); }

    public static GgufValue array(GgufArray v) { return new GgufValue(GgufType.ARRAY, v); }

    /** The value of an integer type, unsigned types zero-extended (UINT64 keeps its bits). */
    public long asLong() {
        return switch (type) {
            case UINT8 -> (Byte) value & 0xffL;
            case INT8 -> (Byte) value;
            case UINT16 -> (Short) value & 0xffffL;
            case INT16 -> (Short) value;
            case UINT32 -> (Integer) value & 0xffffffffL;
            case INT32 -> (Integer) value;
            case UINT64, INT64 -> (Long) value;
            default -> throw new IllegalStateException(type + " is not an integer type");
        };
    }

    /** Java class holding a value of each type. */
    static Class<?> javaClass(GgufType type) {
        return switch (type) {
            case UINT8, INT8 -> Byte.class;
            case UINT16, INT16 -> Short.class;
            case UINT32, INT32 -> Integer.class;
            case UINT64, INT64 -> Long.class;
            case FLOAT32 -> Float.class;
            case FLOAT64 -> Double.class;
            case BOOL -> Boolean.class;
            case STRING -> String.class;
            case ARRAY -> GgufArray.class;
        };
    }

    private static long checkRange(long v, long min, long max) {
        if (v < min || v > max) throw new IllegalArgumentException(v + " is outside [" + min + ", " + max + "]");
        return v;
    }

    @Override public String toString() {
        return type + ":" + value;
    }
}
