package dev.pocketlm.model.gguf;

import dev.pocketlm.tensor.DType;

import java.util.Optional;

/**
 * ggml tensor type ids as stored in GGUF tensor infos, with each type's block layout (elements per block, bytes per
 * block). Ids that ggml has since removed are listed so errors can name them; they have no layout.
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),
    Q4_1(3, 32, 20),
    Q4_2(4, 0, 0),
    Q4_3(5, 0, 0),
    Q5_0(6, 32, 22),
    Q5_1(7, 32, 24),
    Q8_0(8, 32, 34),
    Q8_1(9, 32, 36),
    Q2_K(10, 256, 84),
    Q3_K(11, 256, 110),
    /** fp16 d, fp16 dmin, 12 bytes of packed 6-bit scales and mins, 128 bytes of 4-bit quants. */
    Q4_K(12, 256, 144),
    Q5_K(13, 256, 176),
    /** 128 bytes low 4 bits, 64 bytes high 2 bits, 16 int8 scales, fp16 d. */
    Q6_K(14, 256, 210),
    Q8_K(15, 256, 292),
    IQ2_XXS(16, 256, 66),
    IQ2_XS(17, 256, 74),
    IQ3_XXS(18, 256, 98),
    IQ1_S(19, 256, 50),
    IQ4_NL(20, 32, 18),
    IQ3_S(21, 256, 110),
    IQ2_S(22, 256, 82),
    IQ4_XS(23, 256, 136),
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    IQ1_M(29, 256, 56),
    BF16(30, 1, 2),
    Q4_0_4_4(31, 0, 0),
    Q4_0_4_8(32, 0, 0),
    Q4_0_8_8(33, 0, 0),
    TQ1_0(34, 256, 54),
    TQ2_0(35, 256, 66),
    IQ4_NL_4_4(36, 0, 0),
    IQ4_NL_4_8(37, 0, 0),
    IQ4_NL_8_8(38, 0, 0),
    MXFP4(39, 32, 17);

    private static final GgmlType[] BY_ID = values();

    private final int id;
    private final int blockSize;
    private final int blockBytes;

    GgmlType(int id, int blockSize, int blockBytes) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    public int id() { return id; }

    public int blockSize() { return blockSize; }

    public int blockBytes() { return blockBytes; }

    /** False for ids ggml removed (their files can no longer be read by anyone). */
    public boolean hasLayout() { return blockSize > 0; }

    /** Bytes taken by a row of {@code n} elements; n must be a whole number of blocks. */
    public long rowBytes(long n) {
        if (!hasLayout()) throw new IllegalStateException("ggml type " + this + " was removed from ggml and has no layout");
        if (n % blockSize != 0) {
            throw new IllegalArgumentException(this + " stores rows in blocks of " + blockSize + "; " + n + " is not a multiple");
        }
        return n / blockSize * blockBytes;
    }

    /** The tensor API's type with the same byte layout, if there is one. */
    public Optional<DType> dtype() {
        return Optional.ofNullable(switch (this) {
            case F32 -> DType.F32;
            case F16 -> DType.F16;
            case BF16 -> DType.BF16;
            case I32 -> DType.I32;
            case I8 -> DType.I8;
            case Q8_0 -> DType.Q8_0;
            case Q4_0 -> DType.Q4_0;
            default -> null;
        });
    }

    public static GgmlType of(DType t) {
        return switch (t) {
            case F32 -> F32;
            case F16 -> F16;
            case BF16 -> BF16;
            case I32 -> I32;
            case I8 -> I8;
            case Q8_0 -> Q8_0;
            case Q4_0 -> Q4_0;
        };
    }

    /** The type with this id, or null when ggml never had one. */
    public static GgmlType byId(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }
}
