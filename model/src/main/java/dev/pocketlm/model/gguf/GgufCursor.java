package dev.pocketlm.model.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Little-endian reads from a mapped GGUF header, each checked against the end of the file so a truncated or corrupt
 * file fails with a message naming the file, the item being read ({@link #context}) and the offsets.
 */
final class GgufCursor {
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment file;
    private final String source;
    private long pos;
    /** What is being read, for error messages ("the header", "metadata key 'x'", "tensor info 3"). */
    String context = "the header";

    GgufCursor(MemorySegment file, String source) {
        this.file = file;
        this.source = source;
    }

    long position() { return pos; }

    long remaining() { return file.byteSize() - pos; }

    /** Fails unless {@code n} more bytes exist; returns the offset to read them at and advances past them. */
    long take(long n) {
        if (n < 0 || n > remaining()) {
            throw new GgufException(source + ": truncated file: reading " + context + " needs "
                    + (n < 0 ? Long.toUnsignedString(n) : n) + " bytes at offset " + pos + ", but the file ends at "
                    + file.byteSize());
        }
        long at = pos;
        pos += n;
        return at;
    }

    /** Fails unless {@code count} items of at least {@code minBytes} each can still fit: guards allocations. */
    void requireCount(long count, int minBytes, String what) {
        if (count < 0 || count > remaining() / minBytes) {
            throw new GgufException(source + ": " + context + " declares " + Long.toUnsignedString(count) + " " + what
                    + " but only " + remaining() + " bytes remain after offset " + pos + " (truncated or corrupt file)");
        }
    }

    GgufException fail(String message) {
        return new GgufException(source + ": " + message);
    }

    byte i8() { return file.get(ValueLayout.JAVA_BYTE, take(1)); }

    short i16() { return file.get(I16, take(2)); }

    int i32() { return file.get(I32, take(4)); }

    long i64() { return file.get(I64, take(8)); }

    float f32() { return file.get(F32, take(4)); }

    double f64() { return file.get(F64, take(8)); }

    boolean bool() { return i8() != 0; }

    String string() {
        long len = i64();
        long at = take(len);
        return new String(file.asSlice(at, len).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }

    byte[] bytes(int n) { return file.asSlice(take(n), n).toArray(ValueLayout.JAVA_BYTE); }

    short[] shorts(int n) { return array(new short[n], I16, n); }

    int[] ints(int n) { return array(new int[n], I32, n); }

    long[] longs(int n) { return array(new long[n], I64, n); }

    float[] floats(int n) { return array(new float[n], F32, n); }

    double[] doubles(int n) { return array(new double[n], F64, n); }

    /** Fills {@code array} (a primitive array of n elements of {@code layout}) from the next n values. */
    private <A> A array(A array, ValueLayout layout, int n) {
        MemorySegment.copy(file, layout, take(layout.byteSize() * n), array, 0, n);
        return array;
    }
}
