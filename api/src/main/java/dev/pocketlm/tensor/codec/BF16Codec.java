package dev.pocketlm.tensor.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

public final class BF16Codec implements RowCodec {
    static final BF16Codec INSTANCE = new BF16Codec();

    private BF16Codec() {}

    @Override public void encode(float[] src, int srcOff, MemorySegment dst, long dstOff, int n) {
        for (int i = 0; i < n; i++) dst.set(ValueLayout.JAVA_SHORT_UNALIGNED, dstOff + 2L * i, Half.floatToBf16(src[srcOff + i]));
    }

    @Override public void decode(MemorySegment src, long srcOff, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) dst[dstOff + i] = Half.bf16ToFloat(src.get(ValueLayout.JAVA_SHORT_UNALIGNED, srcOff + 2L * i));
    }
}
