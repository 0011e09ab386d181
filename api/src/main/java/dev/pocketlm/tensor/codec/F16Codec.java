package dev.pocketlm.tensor.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

public final class F16Codec implements RowCodec {
    static final F16Codec INSTANCE = new F16Codec();

    private F16Codec() {}

    @Override public void encode(float[] src, int srcOff, MemorySegment dst, long dstOff, int n) {
        for (int i = 0; i < n; i++) dst.set(ValueLayout.JAVA_SHORT_UNALIGNED, dstOff + 2L * i, Half.floatToF16(src[srcOff + i]));
    }

    @Override public void decode(MemorySegment src, long srcOff, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) dst[dstOff + i] = Half.f16ToFloat(src.get(ValueLayout.JAVA_SHORT_UNALIGNED, srcOff + 2L * i));
    }
}
