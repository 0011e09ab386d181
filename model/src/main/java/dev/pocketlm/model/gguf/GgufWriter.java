package dev.pocketlm.model.gguf;

import dev.pocketlm.tensor.Shape;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * Writes GGUF version 3 files: header, metadata, tensor infos, then each tensor's bytes at the next multiple of
 * {@code general.alignment} (default 32). The file is written beside the target under a temporary name and moved into
 * place atomically, so the target is either the old file or the complete new one.
 */
public final class GgufWriter {
    static final int VERSION = 3;
    /** Tensor bytes go out through a direct buffer: any segment (mapped, native, or a heap array of any type) copies into it. */
    private static final int STAGING = 4 << 20;

    /** One tensor to write: {@code data} holds exactly the bytes of {@code shape} in {@code type}'s layout. */
    public record TensorData(String name, GgmlType type, Shape shape, MemorySegment data) {
        public TensorData {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(shape, "shape");
            Objects.requireNonNull(data, "data");
            if (!type.hasLayout()) throw new GgufException("tensor '" + name + "': ggml type " + type + " was removed from ggml");
            if (shape.rank() > GgufFile.MAX_DIMS) {
                throw new GgufException("tensor '" + name + "' has " + shape.rank() + " dimensions, GGUF allows at most " + GgufFile.MAX_DIMS);
            }
            if (shape.cols() % type.blockSize() != 0) {
                throw new GgufException("tensor '" + name + "' of type " + type + " has rows of " + shape.cols()
                        + " elements, expected a multiple of the block size " + type.blockSize());
            }
            long expected = shape.rows() * type.rowBytes(shape.cols());
            if (data.byteSize() != expected) {
                throw new GgufException("tensor '" + name + "' (" + type + " " + shape + ") needs " + expected
                        + " bytes of data, got " + data.byteSize());
            }
        }
    }

    private GgufWriter() {}

    public static void write(Path target, GgufMetadata metadata, List<TensorData> tensors) throws IOException {
        int alignment = GgufFile.alignment(metadata);
        Set<String> names = new HashSet<>();
        for (TensorData t : tensors) {
            if (!names.add(t.name())) throw new GgufException(target + ": tensor '" + t.name() + "' is given twice");
        }
        byte[] header = header(metadata, tensors, alignment);

        Path dir = target.toAbsolutePath().getParent();
        // a fresh name in the target's directory, so the final move is atomic and the umask sets the permissions
        Path tmp = dir.resolve("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeFully(out, ByteBuffer.wrap(header));
                ByteBuffer staging = ByteBuffer.allocateDirect(STAGING);
                MemorySegment stagingSegment = MemorySegment.ofBuffer(staging);
                long pos = header.length;
                for (TensorData t : tensors) {
                    pos = pad(out, pos, alignment);
                    long size = t.data().byteSize();
                    for (long o = 0; o < size; o += STAGING) {
                        int n = (int) Math.min(STAGING, size - o);
                        MemorySegment.copy(t.data(), o, stagingSegment, 0, n);
                        writeFully(out, staging.clear().limit(n));
                    }
                    pos += size;
                }
                out.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Everything before the first tensor's data, padded to the alignment. */
    private static byte[] header(GgufMetadata metadata, List<TensorData> tensors, int alignment) {
        LittleEndianBytes h = new LittleEndianBytes();
        h.u32(GgufFile.MAGIC);
        h.u32(VERSION);
        h.u64(tensors.size());
        h.u64(metadata.asMap().size());
        for (Map.Entry<String, GgufValue> e : metadata.asMap().entrySet()) {
            h.string(e.getKey());
            h.u32(e.getValue().type().id());
            value(h, e.getValue().type(), e.getValue().value());
        }
        long offset = 0;
        for (TensorData t : tensors) {
            h.string(t.name());
            h.u32(t.shape().rank());
            for (int i = t.shape().rank() - 1; i >= 0; i--) h.u64(t.shape().dim(i));
            h.u32(t.type().id());
            offset = GgufFile.alignUp(offset, alignment);
            h.u64(offset);
            offset += t.data().byteSize();
        }
        while (h.size() % alignment != 0) h.write(0);
        return h.toByteArray();
    }

    private static void value(LittleEndianBytes h, GgufType type, Object v) {
        switch (type) {
            case UINT8, INT8 -> h.write((Byte) v);
            case UINT16, INT16 -> h.u16((Short) v);
            case UINT32, INT32 -> h.u32((Integer) v);
            case UINT64, INT64 -> h.u64((Long) v);
            case FLOAT32 -> h.u32(Float.floatToRawIntBits((Float) v));
            case FLOAT64 -> h.u64(Double.doubleToRawLongBits((Double) v));
            case BOOL -> h.write((Boolean) v ? 1 : 0);
            case STRING -> h.string((String) v);
            case ARRAY -> {
                GgufArray a = (GgufArray) v;
                h.u32(a.elementType().id());
                h.u64(a.length());
                for (int i = 0; i < a.length(); i++) value(h, a.elementType(), Array.get(a.elements(), i));
            }
        }
    }

    private static long pad(FileChannel out, long pos, int alignment) throws IOException {
        long aligned = GgufFile.alignUp(pos, alignment);
        if (aligned > pos) writeFully(out, ByteBuffer.allocate((int) (aligned - pos)));
        return aligned;
    }

    private static void writeFully(FileChannel out, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) out.write(b);
    }

    private static final class LittleEndianBytes extends ByteArrayOutputStream {
        void u16(int v) {
            write(v);
            write(v >>> 8);
        }

        void u32(int v) {
            u16(v);
            u16(v >>> 16);
        }

        void u64(long v) {
            u32((int) v);
            u32((int) (v >>> 32));
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            writeBytes(b);
        }
    }
}
