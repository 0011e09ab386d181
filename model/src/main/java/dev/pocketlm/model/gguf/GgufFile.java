package dev.pocketlm.model.gguf;

import dev.pocketlm.tensor.Shape;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A GGUF file (versions 2 and 3, little-endian), memory-mapped read-only: metadata and tensor infos are parsed up
 * front, tensor data stays in the mapping and is handed out as slices, never copied onto the Java heap. The mapping
 * lives until {@link #close()}; slices must not be used after it.
 */
public final class GgufFile implements AutoCloseable {
    /** The bytes "GGUF" read as a little-endian uint32. */
    static final int MAGIC = 0x46554747;
    static final int DEFAULT_ALIGNMENT = 32;
    static final String ALIGNMENT_KEY = "general.alignment";
    static final int MAX_DIMS = 4;
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final GgufMetadata metadata;
    private final Map<String, TensorInfo> tensors;
    private final int alignment;
    private final long dataOffset;

    private GgufFile(Path path, Arena arena, MemorySegment file, int version, GgufMetadata metadata,
                     Map<String, TensorInfo> tensors, int alignment, long dataOffset) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.version = version;
        this.metadata = metadata;
        this.tensors = tensors;
        this.alignment = alignment;
        this.dataOffset = dataOffset;
    }

    /** Maps and parses {@code path}; a malformed file fails with a {@link GgufException} naming the problem. */
    public static GgufFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return parse(path, arena, file);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static GgufFile parse(Path path, Arena arena, MemorySegment file) {
        String source = path.toString();
        GgufCursor in = new GgufCursor(file, source);
        in.context = "the magic number";
        int magic = in.i32();
        if (magic != MAGIC) {
            throw in.fail("not a GGUF file: expected magic 'GGUF' (47 47 55 46), found "
                    + hexBytes(magic));
        }
        in.context = "the version";
        int version = in.i32();
        if (version != 2 && version != 3) {
            String hint = Integer.reverseBytes(version) == 2 || Integer.reverseBytes(version) == 3
                    ? " (a big-endian file; only little-endian GGUF is supported)" : "";
            throw in.fail("unsupported GGUF version " + Integer.toUnsignedString(version)
                    + ", expected 2 or 3" + hint);
        }
        in.context = "the tensor count";
        long tensorCount = in.i64();
        in.context = "the metadata count";
        long kvCount = in.i64();
        in.context = "the header";
        in.requireCount(kvCount, 8 + 4 + 1, "metadata entries");

        Map<String, GgufValue> kv = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            in.context = "metadata entry " + i;
            String key = in.string();
            in.context = "metadata key '" + key + "'";
            GgufValue value = readValue(in, readType(in));
            if (kv.put(key, value) != null) throw in.fail("metadata key '" + key + "' appears twice");
        }
        GgufMetadata metadata = GgufMetadata.of(source, kv);
        int alignment = alignment(metadata);

        in.context = "the header";
        in.requireCount(tensorCount, 8 + 4 + 8 + 4 + 8, "tensor infos");
        List<TensorInfo> infos = new ArrayList<>((int) tensorCount);
        for (long i = 0; i < tensorCount; i++) {
            in.context = "tensor info " + i;
            infos.add(readTensorInfo(in, alignment));
        }
        long dataOffset = alignUp(in.position(), alignment);
        long dataBytes = Math.max(0, file.byteSize() - dataOffset);

        Map<String, TensorInfo> byName = new LinkedHashMap<>();
        for (TensorInfo t : infos) {
            if (byName.put(t.name(), t) != null) throw in.fail("tensor '" + t.name() + "' appears twice");
            long end = t.offset() + t.byteSize();
            if (end > dataBytes || end < 0) {
                throw in.fail("tensor '" + t.name() + "' (" + t.type() + " " + t.shape()
                        + ", " + t.byteSize() + " bytes at data offset " + t.offset() + ") ends at file offset "
                        + (dataOffset + end) + ", past the end of the file (" + file.byteSize() + " bytes)");
            }
        }
        return new GgufFile(path, arena, file, version, metadata, Collections.unmodifiableMap(byName),
                alignment, dataOffset);
    }

    /** {@code general.alignment}, or the default 32; it must be a power of two. */
    static int alignment(GgufMetadata metadata) {
        if (!metadata.contains(ALIGNMENT_KEY)) return DEFAULT_ALIGNMENT;
        long a = metadata.getLong(ALIGNMENT_KEY);
        if (a <= 0 || a > 1 << 30 || Long.bitCount(a) != 1) {
            throw new GgufException(metadata.source() + ": metadata key '" + ALIGNMENT_KEY + "' is " + a
                    + ", expected a power of two");
        }
        return (int) a;
    }

    private static GgufType readType(GgufCursor in) {
        int id = in.i32();
        GgufType t = GgufType.byId(Integer.toUnsignedLong(id));
        if (t == null) {
            throw in.fail(in.context + " has unknown value type id " + Integer.toUnsignedString(id)
                    + ", expected 0.." + (GgufType.values().length - 1));
        }
        return t;
    }

    private static GgufValue readValue(GgufCursor in, GgufType type) {
        return switch (type) {
            case UINT8, INT8 -> new GgufValue(type, in.i8());
            case UINT16, INT16 -> new GgufValue(type, in.i16());
            case UINT32, INT32 -> new GgufValue(type, in.i32());
            case UINT64, INT64 -> new GgufValue(type, in.i64());
            case FLOAT32 -> new GgufValue(type, in.f32());
            case FLOAT64 -> new GgufValue(type, in.f64());
            case BOOL -> new GgufValue(type, in.bool());
            case STRING -> new GgufValue(type, in.string());
            case ARRAY -> new GgufValue(type, readArray(in));
        };
    }

    private static GgufArray readArray(GgufCursor in) {
        GgufType elementType = readType(in);
        long count = in.i64();
        in.requireCount(count, elementType.minBytes(), elementType + " array elements");
        if (count > MAX_ARRAY) throw in.fail(in.context + " declares " + count + " array elements, more than a Java array holds");
        int n = (int) count;
        Object elements = switch (elementType) {
            case UINT8, INT8 -> in.bytes(n);
            case UINT16, INT16 -> in.shorts(n);
            case UINT32, INT32 -> in.ints(n);
            case UINT64, INT64 -> in.longs(n);
            case FLOAT32 -> in.floats(n);
            case FLOAT64 -> in.doubles(n);
            case BOOL -> {
                boolean[] b = new boolean[n];
                for (int i = 0; i < n; i++) b[i] = in.bool();
                yield b;
            }
            case STRING -> {
                String[] s = new String[n];
                for (int i = 0; i < n; i++) s[i] = in.string();
                yield s;
            }
            case ARRAY -> {
                GgufArray[] a = new GgufArray[n];
                for (int i = 0; i < n; i++) a[i] = readArray(in);
                yield a;
            }
        };
        return new GgufArray(elementType, elements);
    }

    private static TensorInfo readTensorInfo(GgufCursor in, int alignment) {
        String name = in.string();
        in.context = "tensor '" + name + "'";
        int nDims = in.i32();
        if (nDims < 1 || nDims > MAX_DIMS) {
            throw in.fail("tensor '" + name + "' has " + Integer.toUnsignedString(nDims)
                    + " dimensions, expected 1.." + MAX_DIMS);
        }
        int[] dims = new int[nDims];
        for (int i = 0; i < nDims; i++) {
            long ne = in.i64();
            if (ne < 0 || ne > Integer.MAX_VALUE) {
                throw in.fail("tensor '" + name + "' has ne[" + i + "] = " + Long.toUnsignedString(ne)
                        + ", expected 0.." + Integer.MAX_VALUE);
            }
            dims[nDims - 1 - i] = (int) ne;
        }
        int typeId = in.i32();
        GgmlType type = GgmlType.byId(Integer.toUnsignedLong(typeId));
        if (type == null) {
            throw in.fail("tensor '" + name + "' has unknown ggml type id "
                    + Integer.toUnsignedString(typeId) + ", expected one of 0.." + (GgmlType.values().length - 1));
        }
        if (!type.hasLayout()) {
            throw in.fail("tensor '" + name + "' has type " + type + " (id " + typeId
                    + "), which ggml has removed; re-convert the model");
        }
        Shape shape = new Shape(dims);
        if (shape.cols() % type.blockSize() != 0) {
            throw in.fail("tensor '" + name + "' of type " + type + " has rows of " + shape.cols()
                    + " elements, expected a multiple of the block size " + type.blockSize());
        }
        if (!fitsInLong(dims, type)) {
            throw in.fail("tensor '" + name + "' has shape " + shape + ", whose size in elements or bytes overflows 64 bits");
        }
        long offset = in.i64();
        if (offset < 0 || offset % alignment != 0) {
            throw in.fail("tensor '" + name + "' has data offset " + Long.toUnsignedString(offset)
                    + ", expected a multiple of the alignment " + alignment);
        }
        return new TensorInfo(name, type, shape, offset);
    }

    /** Whether the element count and byte size of a row-major shape both fit in a long. */
    private static boolean fitsInLong(int[] dims, GgmlType type) {
        try {
            long rows = 1;
            for (int i = 0; i < dims.length - 1; i++) rows = Math.multiplyExact(rows, dims[i]);
            Math.multiplyExact(rows, dims[dims.length - 1]);
            Math.multiplyExact(rows, type.rowBytes(dims[dims.length - 1]));
            return true;
        } catch (ArithmeticException e) {
            return false;
        }
    }

    static long alignUp(long x, int alignment) {
        return (x + alignment - 1) / alignment * alignment;
    }

    private static String hexBytes(int le) {
        return String.format("%02x %02x %02x %02x", le & 0xff, le >>> 8 & 0xff, le >>> 16 & 0xff, le >>> 24 & 0xff);
    }

    public Path path() { return path; }

    public int version() { return version; }

    public GgufMetadata metadata() { return metadata; }

    /** Tensor infos in file order. */
    public List<TensorInfo> tensors() { return List.copyOf(tensors.values()); }

    public Optional<TensorInfo> findTensor(String name) { return Optional.ofNullable(tensors.get(name)); }

    public TensorInfo tensor(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) throw new GgufException(path + ": tensor '" + name + "' is missing");
        return t;
    }

    /** The alignment of the tensor data section and of every tensor in it ({@code general.alignment}, default 32). */
    public int alignment() { return alignment; }

    /** File offset of the tensor data section. */
    public long dataOffset() { return dataOffset; }

    /** The tensor's bytes, a slice of the read-only mapping (valid until {@link #close()}). */
    public MemorySegment data(TensorInfo t) {
        if (!t.equals(tensors.get(t.name()))) throw new GgufException(path + ": tensor " + t + " is not a tensor of this file");
        return file.asSlice(dataOffset + t.offset(), t.byteSize());
    }

    @Override public void close() {
        arena.close();
    }

    @Override public String toString() {
        return "GgufFile[" + path + ", v" + version + ", " + metadata.asMap().size() + " keys, " + tensors.size() + " tensors]";
    }
}
