package dev.pocketlm.cpu;

import dev.pocketlm.tensor.DType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Rows of a weight stored in its own dtype (F32, F16, BF16, blockQ8_0, blockQ4_0): dot products with F32 activations
 * and decoding to F32, vectorized. Quantized blocks are dequantized in registers (bytes widened to floats, one FMA
 * per weight, the block scale applied once per block). The alternative, quantizing the activation to 8 bits once
 * and multiplying in 16-bit lanes, measured no faster (Q8_0, 32000 x 2048, one thread: 13.9 GB/s against 13.6 for
 * the one-block-per-step float loop, which two blocks per step then made about 30% faster): the Vector API has no
 * 8-bit dot-product instruction, so widening the products costs what widening the weights saves, and it would
 * round the activations. Read-only Q4_0 weights do take that route, repacked ({@link PackedRows}).
 */
final class WeightRows {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    /** Quantized kernels load L bytes at a time, which needs a vector shape of L * 8 bits (L >= 8). */
    static final boolean QUANTIZED = L >= 8;
    private static final VectorSpecies<Byte> BYTES = QUANTIZED ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : null;
    private static final VectorSpecies<Short> SHORTS = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, F.vectorShape());
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final int BLOCK = 32, Q8_0_BYTES = 34, Q4_0_BYTES = 18;

    private WeightRows() {}

    /** Whether rows of this dtype have a vector kernel on this machine. */
    static boolean supports(DType t) {
        return switch (t) {
            case F32, F16, BF16 -> true;
            case Q8_0, Q4_0 -> QUANTIZED;
            default -> false;
        };
    }

    /**
     * sum_i w[i] x[xOff + i] for the {@code k} elements of type {@code t} at byte {@code off} of w; Q4_0 also
     * reads the {@link #blockSums} of that x at xBlockSums[sumOff...].
     */
    static float dot(DType t, MemorySegment w, long off, float[] x, int xOff, float[] xBlockSums, int sumOff, int k) {
        return switch (t) {
            case F32 -> dotF32(w, off, x, xOff, k);
            case F16 -> dotF16(w, off, x, xOff, k);
            case BF16 -> dotBF16(w, off, x, xOff, k);
            case Q8_0 -> dotQ8_0(w, off, x, xOff, k);
            case Q4_0 -> dotQ4_0(w, off, x, xOff, xBlockSums, sumOff, k);
            default -> throw new IllegalArgumentException("no vector row kernel for " + t);
        };
    }

    /**
     * Loads every whole cache line of the {@code rowBytes} bytes at each of four rows of w (a row may repeat), a line
     * of each in turn: one core from DRAM, TinyLlama-shaped Q4_0 quads, 25-29 GB/s, against 11 loading a byte a line
     * and each row's run of lines in turn. Returns the lines' bits ORed, for the caller to keep: a read ahead.
     */
    static int touchLines(MemorySegment w, long rowBytes, long rowA, long rowB, long rowC, long rowD) {
        IntVector seenA = IntVector.zero(INTS), seenB = seenA, seenC = seenA, seenD = seenA;
        for (long line = 0; line + INTS.vectorByteSize() <= rowBytes; line += 64) {
            seenA = seenA.or(IntVector.fromMemorySegment(INTS, w, rowA + line, LE));
            seenB = seenB.or(IntVector.fromMemorySegment(INTS, w, rowB + line, LE));
            seenC = seenC.or(IntVector.fromMemorySegment(INTS, w, rowC + line, LE));
            seenD = seenD.or(IntVector.fromMemorySegment(INTS, w, rowD + line, LE));
        }
        return seenA.or(seenB).or(seenC.or(seenD)).reduceLanes(VectorOperators.OR);
    }

    /** Decodes {@code k} elements of type {@code t} at byte {@code off} of w into dst[dstOff...]. */
    static void decode(DType t, MemorySegment w, long off, float[] dst, int dstOff, int k) {
        switch (t) {
            case F32 -> MemorySegment.copy(w, FLOAT, off, dst, dstOff, k);
            case F16, BF16 -> {
                int i = 0;
                for (; i <= k - L; i += L) load16(t, w, off + 2L * i).intoArray(dst, dstOff + i);
                for (; i < k; i++) dst[dstOff + i] = scalar16(t, w.get(SHORT, off + 2L * i));
            }
            case Q8_0 -> {
                for (int b = 0; b < k / BLOCK; b++, off += Q8_0_BYTES) {
                    float d = Float.float16ToFloat(w.get(SHORT, off));
                    for (int j = 0; j < BLOCK; j += L) q8(w, off + 2 + j).mul(d).intoArray(dst, dstOff + b * BLOCK + j);
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < k / BLOCK; b++, off += Q4_0_BYTES) {
                    float d = Float.float16ToFloat(w.get(SHORT, off));
                    for (int j = 0; j < BLOCK / 2; j += L) {
                        ByteVector q = ByteVector.fromMemorySegment(BYTES, w, off + 2 + j, LE);
                        lowNibbles(q).mul(d).intoArray(dst, dstOff + b * BLOCK + j);
                        highNibbles(q).mul(d).intoArray(dst, dstOff + b * BLOCK + BLOCK / 2 + j);
                    }
                }
            }
            default -> throw new IllegalArgumentException("no vector row kernel for " + t);
        }
    }

    static float dotF32(MemorySegment w, long off, float[] x, int xOff, int k) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i <= k - 4 * L; i += 4 * L) {
            long o = off + 4L * i;
            a0 = FloatVector.fromMemorySegment(F, w, o, LE).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = FloatVector.fromMemorySegment(F, w, o + 4L * L, LE).fma(FloatVector.fromArray(F, x, xOff + i + L), a1);
            a2 = FloatVector.fromMemorySegment(F, w, o + 8L * L, LE).fma(FloatVector.fromArray(F, x, xOff + i + 2 * L), a2);
            a3 = FloatVector.fromMemorySegment(F, w, o + 12L * L, LE).fma(FloatVector.fromArray(F, x, xOff + i + 3 * L), a3);
        }
        for (; i <= k - L; i += L) {
            a0 = FloatVector.fromMemorySegment(F, w, off + 4L * i, LE).fma(FloatVector.fromArray(F, x, xOff + i), a0);
        }
        float s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; i < k; i++) s += w.get(FLOAT, off + 4L * i) * x[xOff + i];
        return s;
    }

    /**
     * How F16 values widen: {@code ANY} value; {@code FINITE} ones, known to hold no Inf or NaN
     * ({@link #hasInfOrNaN16}), skip their blend; {@code PRESCALED} finite ones meet activations multiplied by 2^112
     * ({@link #prescaleForF16}) and skip the multiply as well ({@link #dotF16PrescaledPair}).
     */
    enum Half { ANY, FINITE, PRESCALED }

    /** 2^112: a finite half shifted into a float's exponent and mantissa is the value times its inverse. */
    private static final float HALF_SCALE = 0x1p112f;

    static float dotF16(MemorySegment w, long off, float[] x, int xOff, int k) { return dot16(DType.F16, Half.ANY, w, off, x, xOff, k); }

    /** {@link #dotF16} for values known to hold no Inf or NaN ({@link #hasInfOrNaN16}): the conversion skips their blend. */
    static float dotF16Finite(MemorySegment w, long off, float[] x, int xOff, int k) { return dot16(DType.F16, Half.FINITE, w, off, x, xOff, k); }

    /**
     * Two rows of F16 values known to be finite, at bytes offA and offB of w, dotted with x[xOff, xOff + k)
     * {@link #prescaleForF16 prescaled} by 2^112, into dots[0] and dots[1].
     * <ul>
     * <li>Prescaled: a finite half shifted into a float's exponent and mantissa is the value times 2^-112, so the
     *     products are exact without the multiply (one core, 2048 columns: from L2 37 -> 54 GB/s, from DRAM 30 -> 34,
     *     and 26 -> 33 where 0.3% of the weights are subnormal halves, whose multiply took a denormal-operand penalty).</li>
     * <li>Two rows side by side: two DRAM streams per core, which memory serves faster than one (TinyLlama F16
     *     matvecs, 2 threads, alternating in one process: 88 -> 94% of a read of the memory), as in
     *     {@link PackedRows}.</li>
     * <li>Its own method with the dtype and {@link Half} constant: a generic two-row kernel passed C2's inlining
     *     budget in the model, and its vector helpers, compiled apart, boxed every vector (4-5 instead of 20-25
     *     tokens/s).</li>
     * </ul>
     */
    static void dotF16PrescaledPair(MemorySegment w, long offA, long offB, float[] x, int xOff, int k, float[] dots) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0;
        int i = 0;
        for (; i <= k - 2 * L; i += 2 * L) {
            FloatVector x0 = FloatVector.fromArray(F, x, xOff + i), x1 = FloatVector.fromArray(F, x, xOff + i + L);
            a0 = load16(DType.F16, Half.PRESCALED, w, offA + 2L * i).fma(x0, a0);
            b0 = load16(DType.F16, Half.PRESCALED, w, offB + 2L * i).fma(x0, b0);
            a1 = load16(DType.F16, Half.PRESCALED, w, offA + 2L * (i + L)).fma(x1, a1);
            b1 = load16(DType.F16, Half.PRESCALED, w, offB + 2L * (i + L)).fma(x1, b1);
        }
        float dotA = a0.add(a1).reduceLanes(VectorOperators.ADD), dotB = b0.add(b1).reduceLanes(VectorOperators.ADD);
        for (; i < k; i++) {
            dotA += prescaledHalf(w.get(SHORT, offA + 2L * i)) * x[xOff + i];
            dotB += prescaledHalf(w.get(SHORT, offB + 2L * i)) * x[xOff + i];
        }
        dots[0] = dotA;
        dots[1] = dotB;
    }

    /** A finite half as a float times 2^-112 (see {@link #f16ToF32}). */
    private static float prescaledHalf(short h) { return Float.intBitsToFloat(h << 13 & 0x8fffffff); }

    static float dotBF16(MemorySegment w, long off, float[] x, int xOff, int k) { return dot16(DType.BF16, Half.ANY, w, off, x, xOff, k); }

    private static float dot16(DType t, Half half, MemorySegment w, long off, float[] x, int xOff, int k) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int i = 0;
        for (; i <= k - 2 * L; i += 2 * L) {
            a0 = load16(t, half, w, off + 2L * i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = load16(t, half, w, off + 2L * (i + L)).fma(FloatVector.fromArray(F, x, xOff + i + L), a1);
        }
        for (; i <= k - L; i += L) a0 = load16(t, half, w, off + 2L * i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; i < k; i++) s += scalar16(t, w.get(SHORT, off + 2L * i)) * x[xOff + i];
        return s;
    }

    /**
     * Multiplies x[0, count) by 2^112 in place for {@link #dotF16PrescaledPair} and returns true, unless a finite value
     * of magnitude 2^16 or more would overflow: then x is left as it was and the result is false.
     */
    static boolean prescaleForF16(float[] x, int count) {
        int i = 0;
        for (; i <= count - L; i += L) {
            FloatVector a = FloatVector.fromArray(F, x, i).abs();
            if (a.compare(VectorOperators.GE, 0x1p16f).and(a.compare(VectorOperators.LT, Float.POSITIVE_INFINITY)).anyTrue()) return false;
        }
        for (; i < count; i++) {
            if (Math.abs(x[i]) >= 0x1p16f && Float.isFinite(x[i])) return false;
        }
        for (i = 0; i <= count - L; i += L) FloatVector.fromArray(F, x, i).mul(HALF_SCALE).intoArray(x, i);
        for (; i < count; i++) x[i] *= HALF_SCALE;
        return true;
    }

    /** blockQ8_0 row: per block, sum(q * x) in lanes, then times the block scale d; two blocks per step as in Q4_0. */
    static float dotQ8_0(MemorySegment w, long off, float[] x, int xOff, int k) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        int blocks = k / BLOCK, b = 0;
        for (; b + 1 < blocks; b += 2, off += 2 * Q8_0_BYTES) {
            int xb = xOff + b * BLOCK;
            FloatVector sum0 = q8(w, off + 2).mul(FloatVector.fromArray(F, x, xb));
            FloatVector sum1 = q8(w, off + Q8_0_BYTES + 2).mul(FloatVector.fromArray(F, x, xb + BLOCK));
            for (int j = L; j < BLOCK; j += L) {
                sum0 = q8(w, off + 2 + j).fma(FloatVector.fromArray(F, x, xb + j), sum0);
                sum1 = q8(w, off + Q8_0_BYTES + 2 + j).fma(FloatVector.fromArray(F, x, xb + BLOCK + j), sum1);
            }
            acc0 = sum0.fma(FloatVector.broadcast(F, Float.float16ToFloat(w.get(SHORT, off))), acc0);
            acc1 = sum1.fma(FloatVector.broadcast(F, Float.float16ToFloat(w.get(SHORT, off + Q8_0_BYTES))), acc1);
        }
        for (; b < blocks; b++, off += Q8_0_BYTES) {
            int xb = xOff + b * BLOCK;
            FloatVector sum = q8(w, off + 2).mul(FloatVector.fromArray(F, x, xb));
            for (int j = L; j < BLOCK; j += L) sum = q8(w, off + 2 + j).fma(FloatVector.fromArray(F, x, xb + j), sum);
            acc0 = sum.fma(FloatVector.broadcast(F, Float.float16ToFloat(w.get(SHORT, off))), acc0);
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    /**
     * blockQ4_0 row: byte j holds element j (low nibble) and j + 16 (high nibble), both stored plus 8. The nibbles
     * are multiplied as stored, 0..15, and the offset comes off per block as 8 d sum(x), from {@link #blockSums}.
     */
    static float dotQ4_0(MemorySegment w, long off, float[] x, int xOff, float[] xBlockSums, int sumOff, int k) {
        // two blocks per step on separate accumulators: one chain would wait out the FMA latency every block
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        float offset0 = 0, offset1 = 0;
        int blocks = k / BLOCK, b = 0;
        for (; b + 1 < blocks; b += 2, off += 2 * Q4_0_BYTES) {
            int xb = xOff + b * BLOCK;
            FloatVector sum0 = FloatVector.zero(F), sum1 = sum0;
            for (int j = 0; j < BLOCK / 2; j += L) {
                IntVector q0 = (IntVector) ByteVector.fromMemorySegment(BYTES, w, off + 2 + j, LE).convertShape(VectorOperators.B2I, INTS, 0);
                IntVector q1 = (IntVector) ByteVector.fromMemorySegment(BYTES, w, off + Q4_0_BYTES + 2 + j, LE).convertShape(VectorOperators.B2I, INTS, 0);
                sum0 = ((FloatVector) q0.and(0x0f).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xb + j), sum0);
                sum1 = ((FloatVector) q1.and(0x0f).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xb + BLOCK + j), sum1);
                sum0 = ((FloatVector) q0.lanewise(VectorOperators.ASHR, 4).and(0x0f).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xb + BLOCK / 2 + j), sum0);
                sum1 = ((FloatVector) q1.lanewise(VectorOperators.ASHR, 4).and(0x0f).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xb + BLOCK + BLOCK / 2 + j), sum1);
            }
            float d0 = Float.float16ToFloat(w.get(SHORT, off)), d1 = Float.float16ToFloat(w.get(SHORT, off + Q4_0_BYTES));
            acc0 = sum0.fma(FloatVector.broadcast(F, d0), acc0);
            acc1 = sum1.fma(FloatVector.broadcast(F, d1), acc1);
            offset0 = Math.fma(d0, xBlockSums[sumOff + b], offset0);
            offset1 = Math.fma(d1, xBlockSums[sumOff + b + 1], offset1);
        }
        for (; b < blocks; b++, off += Q4_0_BYTES) {
            int xb = xOff + b * BLOCK;
            FloatVector sum = FloatVector.zero(F);
            for (int j = 0; j < BLOCK / 2; j += L) {
                IntVector q = (IntVector) ByteVector.fromMemorySegment(BYTES, w, off + 2 + j, LE).convertShape(VectorOperators.B2I, INTS, 0);
                sum = ((FloatVector) q.and(0x0f).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xb + j), sum);
                sum = ((FloatVector) q.lanewise(VectorOperators.ASHR, 4).and(0x0f).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xb + BLOCK / 2 + j), sum);
            }
            float d = Float.float16ToFloat(w.get(SHORT, off));
            acc0 = sum.fma(FloatVector.broadcast(F, d), acc0);
            offset0 = Math.fma(d, xBlockSums[sumOff + b], offset0);
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD) - 8 * (offset0 + offset1);
    }

    /** sums[sumOff + b] = the sum of block b (32 elements) of x[xOff, xOff + k): the Q4_0 offset term. */
    static void blockSums(float[] x, int xOff, int k, float[] sums, int sumOff) {
        for (int b = 0; b < k / BLOCK; b++) {
            FloatVector s = FloatVector.fromArray(F, x, xOff + b * BLOCK);
            for (int j = L; j < BLOCK; j += L) s = s.add(FloatVector.fromArray(F, x, xOff + b * BLOCK + j));
            sums[sumOff + b] = s.reduceLanes(VectorOperators.ADD);
        }
    }

    /** L signed bytes at {@code off}, widened to floats. */
    private static FloatVector q8(MemorySegment w, long off) {
        return (FloatVector) ByteVector.fromMemorySegment(BYTES, w, off, LE).convertShape(VectorOperators.B2F, F, 0);
    }

    private static FloatVector lowNibbles(ByteVector q) {
        return (FloatVector) q.and((byte) 0x0f).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0);
    }

    private static FloatVector highNibbles(ByteVector q) {
        return (FloatVector) q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0);
    }

    /** L F16 or BF16 values at byte {@code off}, widened to floats. */
    static FloatVector load16(DType t, MemorySegment w, long off) { return load16(t, Half.ANY, w, off); }

    /** L F16 values at byte {@code off} of w known to be finite (no Inf or NaN), as floats. */
    static FloatVector loadF16Finite(MemorySegment w, long off) { return load16(DType.F16, Half.FINITE, w, off); }

    private static FloatVector load16(DType t, Half half, MemorySegment w, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(SHORTS, w, off, LE).convertShape(VectorOperators.S2I, INTS, 0);
        return t == DType.F16 ? f16ToF32(h, half) : h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /**
     * IEEE half to float on sign-extended lanes: the 15 magnitude bits shifted into a float's exponent and mantissa
     * and multiplied by 2^112 (which also scales subnormals exactly); Inf and NaN get the all-ones exponent unless
     * the values are known finite. The multiply is an FMA with -0: a subnormal half shifted is a subnormal float, and
     * a plain multiply of one takes a denormal-operand penalty here (AMD Zen 5) that the FMA does not. Q8_0 matrices
     * initialized at std 0.02 / sqrt(44), whose block scales are mostly subnormal halves: 152 -> 132 us a TinyLlama
     * attn_output matvec, level with attn_q at std 0.02. Finite halves shifted left by 13 have the sign at bit 31 and copies of it
     * (the sign extension) at bits 30-28, cleared by one AND: three operations instead of five (2048 F16 columns
     * from L2, one core: 58-60 GB/s against 40), two when the activations carry the 2^112.
     */
    private static FloatVector f16ToF32(IntVector h, Half half) {
        if (half != Half.ANY) {
            FloatVector scaledDown = h.lanewise(VectorOperators.LSHL, 13).and(0x8fffffff).reinterpretAsFloats();
            return half == Half.PRESCALED ? scaledDown : scaledDown.fma(HALF_SCALE, -0f);
        }
        IntVector magnitude = h.and(0x7fff);
        IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
        IntVector bits = shifted.reinterpretAsFloats().fma(HALF_SCALE, -0f).reinterpretAsInts();
        VectorMask<Integer> special = magnitude.compare(VectorOperators.GE, 0x7c00);
        bits = bits.blend(shifted.or(0x7f800000), special);
        return bits.or(h.and(0x80000000)).reinterpretAsFloats();
    }

    /** Whether any of the {@code count} F16 values at byte {@code off} of w is Inf or NaN (the all-ones exponent). */
    static boolean hasInfOrNaN16(MemorySegment w, long off, long count) {
        long i = 0;
        for (; i <= count - SHORTS.length(); i += SHORTS.length()) {
            ShortVector h = ShortVector.fromMemorySegment(SHORTS, w, off + 2 * i, LE).and((short) 0x7c00);
            if (h.compare(VectorOperators.EQ, (short) 0x7c00).anyTrue()) return true;
        }
        for (; i < count; i++) {
            if ((w.get(SHORT, off + 2 * i) & 0x7c00) == 0x7c00) return true;
        }
        return false;
    }

    /**
     * n F16 or BF16 values at byte {@code off} of src as floats at byte {@code dstOff} of dst, in one loop over the run
     * (a head-major KV head's rows are one). F16 halves are converted as finite ones, their largest magnitude kept; a
     * run that held an Inf or NaN is converted again exactly. One core, 8,192 halves from L1: 0.044 ns a half, against
     * 0.16-0.19 row by row through {@link #load16}, whose compare and blend cost five times its three operations.
     */
    static void decodeRun16(DType t, MemorySegment src, long off, long n, MemorySegment dst, long dstOff) {
        long i = 0;
        boolean exact = t != DType.F16;
        if (!exact) {
            IntVector largest = IntVector.zero(INTS);
            for (; i <= n - L; i += L) {
                IntVector h = (IntVector) ShortVector.fromMemorySegment(SHORTS, src, off + 2 * i, LE).convertShape(VectorOperators.S2I, INTS, 0);
                largest = h.and(0x7fff).max(largest);
                f16ToF32(h, Half.FINITE).intoMemorySegment(dst, dstOff + 4 * i, LE);
            }
            exact = largest.reduceLanes(VectorOperators.MAX) >= 0x7c00;
        }
        if (exact) {
            for (i = 0; i <= n - L; i += L) load16(t, src, off + 2 * i).intoMemorySegment(dst, dstOff + 4 * i, LE);
        }
        for (; i < n; i++) dst.set(FLOAT, dstOff + 4 * i, scalar16(t, src.get(SHORT, off + 2 * i)));
    }

    /** One F16 or BF16 value as a float. */
    static float scalar16(DType t, short h) {
        return t == DType.F16 ? Float.float16ToFloat(h) : Float.intBitsToFloat(h << 16);
    }
}
