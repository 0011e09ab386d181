package dev.pocketlm.tensor.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

public final class F32Codec implements RowCodec {
    static final F32Codec INSTANCE = new F32Codec();

    private F32Codec() {}

    @Override public void encode(float[] src, int srcOff, MemorySegment dst, long dstOff, int n) {
        MemorySegment.copy(src, srcOff, dst, ValueLayout.JAVA_FLOAT_UNALIGNED, dstOff, n);
    }

    @Override public void decode(MemorySegment src, long srcOff, float[] dst, int dstOff, int n) {
        MemorySegment.copy(src, ValueLayout.JAVA_FLOAT_UNALIGNED, srcOff, dst, dstOff, n);
    }
}
