package dev.pocketlm.model.gguf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The key-value metadata of a GGUF file, in file order, with typed getters. Every error names the source (the file),
 * the key, and the expected versus found type.
 */
public final class GgufMetadata {
    private final String source;
    private final Map<String, GgufValue> values;

    private GgufMetadata(String source, Map<String, GgufValue> values) {
        this.source = source;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    static GgufMetadata of(String source, Map<String, GgufValue> values) {
        return new GgufMetadata(source, values);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Where this metadata came from (the file path), as errors name it. */
    public String source() { return source; }

    public Map<String, GgufValue> asMap() { return values; }

    public boolean contains(String key) { return values.containsKey(key); }

    public Optional<GgufValue> find(String key) { return Optional.ofNullable(values.get(key)); }

    public GgufValue get(String key) {
        GgufValue v = values.get(key);
        if (v == null) throw new GgufException(source + ": metadata key '" + key + "' is missing");
        return v;
    }

    public String getString(String key) {
        return (String) expect(key, GgufType.STRING).value();
    }

    public String getString(String key, String fallback) {
        return contains(key) ? getString(key) : fallback;
    }

    public boolean getBoolean(String key) {
        return (Boolean) expect(key, GgufType.BOOL).value();
    }

    public boolean getBoolean(String key, boolean fallback) {
        return contains(key) ? getBoolean(key) : fallback;
    }

    /** An integer of any GGUF integer type whose value fits in a Java long (UINT64 above 2^63-1 does not). */
    public long getLong(String key) {
        GgufValue v = get(key);
        if (!v.type().isInteger()) throw wrongType(key, "an integer type", v.type());
        long x = v.asLong();
        if (v.type() == GgufType.UINT64 && x < 0) {
            throw new GgufException(source + ": metadata key '" + key + "' holds " + Long.toUnsignedString(x)
                    + ", which does not fit in a signed 64-bit integer");
        }
        return x;
    }

    public long getLong(String key, long fallback) {
        return contains(key) ? getLong(key) : fallback;
    }

    /** An integer of any GGUF integer type whose value fits in a Java int. */
    public int getInt(String key) {
        long x = getLong(key);
        if (x != (int) x) {
            throw new GgufException(source + ": metadata key '" + key + "' holds " + x + ", which does not fit in a 32-bit int");
        }
        return (int) x;
    }

    public int getInt(String key, int fallback) {
        return contains(key) ? getInt(key) : fallback;
    }

    /** A FLOAT32 value, or a FLOAT64 rounded to float. */
    public float getFloat(String key) {
        GgufValue v = get(key);
        return switch (v.type()) {
            case FLOAT32 -> (Float) v.value();
            case FLOAT64 -> (float) (double) (Double) v.value();
            default -> throw wrongType(key, "FLOAT32 or FLOAT64", v.type());
        };
    }

    public float getFloat(String key, float fallback) {
        return contains(key) ? getFloat(key) : fallback;
    }

    public GgufArray getArray(String key) {
        return (GgufArray) expect(key, GgufType.ARRAY).value();
    }

    public String[] getStrings(String key) {
        return ((String[]) arrayOf(key, GgufType.STRING).elements()).clone();
    }

    /** A FLOAT32 array, or a FLOAT64 array rounded to float. */
    public float[] getFloats(String key) {
        GgufArray a = getArray(key);
        return switch (a.elementType()) {
            case FLOAT32 -> ((float[]) a.elements()).clone();
            case FLOAT64 -> {
                double[] d = (double[]) a.elements();
                float[] f = new float[d.length];
                for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
                yield f;
            }
            default -> throw wrongType(key, "ARRAY of FLOAT32 or FLOAT64", "ARRAY of " + a.elementType());
        };
    }

    /** An array of any integer type whose every element fits in a Java int. */
    public int[] getInts(String key) {
        GgufArray a = getArray(key);
        if (!a.elementType().isInteger()) throw wrongType(key, "ARRAY of an integer type", "ARRAY of " + a.elementType());
        int[] out = new int[a.length()];
        for (int i = 0; i < out.length; i++) {
            long x = a.get(i).asLong();
            if (x != (int) x || (a.elementType() == GgufType.UINT64 && x < 0)) {
                throw new GgufException(source + ": metadata key '" + key + "' element " + i + " holds "
                        + (a.elementType() == GgufType.UINT64 ? Long.toUnsignedString(x) : x) + ", which does not fit in a 32-bit int");
            }
            out[i] = (int) x;
        }
        return out;
    }

    private GgufValue expect(String key, GgufType type) {
        GgufValue v = get(key);
        if (v.type() != type) throw wrongType(key, type.toString(), v.type());
        return v;
    }

    private GgufArray arrayOf(String key, GgufType elementType) {
        GgufArray a = getArray(key);
        if (a.elementType() != elementType) throw wrongType(key, "ARRAY of " + elementType, "ARRAY of " + a.elementType());
        return a;
    }

    private GgufException wrongType(String key, String expected, Object found) {
        return new GgufException(source + ": metadata key '" + key + "' is " + found + ", expected " + expected);
    }

    @Override public String toString() {
        return "GgufMetadata[" + source + ", " + values.size() + " keys]";
    }

    /** Collects metadata for {@link GgufWriter}, keeping insertion order; a repeated key replaces the earlier value. */
    public static final class Builder {
        private final Map<String, GgufValue> values = new LinkedHashMap<>();

        private Builder() {}

        public Builder put(String key, GgufValue value) {
            values.put(key, value);
            return this;
        }

        public Builder putAll(GgufMetadata other) {
            values.putAll(other.values);
            return this;
        }

        public Builder remove(String key) {
            values.remove(key);
            return this;
        }

        public GgufMetadata build() {
            return new GgufMetadata("<new metadata>", values);
        }
    }
}
