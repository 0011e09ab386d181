package dev.pocketlm.tensor;

import dev.pocketlm.tensor.spi.DeviceInfo;
import dev.pocketlm.tensor.spi.Storage;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * One opened device: memory, transfers and the op set ({@link Kernels}).
 * Backends implement the abstract methods; tensors are made through the default methods here.
 */
public interface Backend extends AutoCloseable {

    /** The selection string that opens this device again, e.g. {@code cpu}, {@code opencl:0}. */
    String name();

    DeviceInfo device();

    Kernels kernels();

    Storage allocateStorage(long bytes);

    /** Host to device: copies {@code src.byteSize()} bytes to {@code dst} at {@code dstOffset}. */
    void write(Storage dst, long dstOffset, MemorySegment src);

    /** Device to host: fills {@code dst} from {@code src} at {@code srcOffset}. */
    void read(Storage src, long srcOffset, MemorySegment dst);

    /**
     * Storage over host memory the caller keeps alive (a mapped file). Backends that compute on host memory
     * return it without a copy; others copy it to the device.
     */
    default Storage wrapHost(MemorySegment hostBytes) {
        Storage s = allocateStorage(hostBytes.byteSize());
        write(s, 0, hostBytes);
        return s;
    }

    /** Waits until all queued work has finished. */
    void synchronize();

    /**
     * Measures the read bandwidth, in bytes per second, of the memory this backend's tensors live in: a buffer far
     * larger than the caches streamed by every core the backend computes with. The ceiling for a matvec, which reads
     * each weight once. Empty when the backend has no probe. Takes a fraction of a second.
     */
    default OptionalDouble measureReadBandwidth() { return OptionalDouble.empty(); }

    /**
     * Nanoseconds this backend's host threads have spent in parallel jobs so far, each from its hand-out to its last
     * thread's end: a counter whose difference over a run splits the run's time into the jobs and the serial work
     * between them. Empty where the backend runs no such jobs.
     */
    default OptionalLong parallelNanos() { return OptionalLong.empty(); }

    @Override void close();

    // ---- tensor factories ----

    /** An uninitialized contiguous tensor (registered with the open {@link Scope}, if any). */
    default Tensor empty(DType dtype, Shape shape) {
        return Tensor.owning(this, allocateStorage(Math.max(1, dtype.bytes(shape.size()))), dtype, shape);
    }

    default Tensor empty(DType dtype, int... dims) { return empty(dtype, Shape.of(dims)); }

    default Tensor zeros(DType dtype, int... dims) {
        return filled(dtype, 0f, dims);
    }

    default Tensor filled(DType dtype, float value, int... dims) {
        Tensor t = empty(dtype, dims);
        kernels().fill(t, value);
        return t;
    }

    /** A tensor holding {@code bytes}, which are in {@code dtype}'s layout. */
    default Tensor upload(DType dtype, Shape shape, MemorySegment bytes) {
        long need = dtype.bytes(shape.size());
        if (bytes.byteSize() != need) {
            throw new IllegalArgumentException("upload: " + shape + " " + dtype + " needs " + need + " bytes, got " + bytes.byteSize());
        }
        Tensor t = empty(dtype, shape);
        write(t.storage(), 0, bytes);
        return t;
    }

    /** Like {@link #upload} but may alias the host memory (see {@link #wrapHost}); the caller keeps it alive. */
    default Tensor map(DType dtype, Shape shape, MemorySegment bytes) {
        long need = dtype.bytes(shape.size());
        if (bytes.byteSize() != need) {
            throw new IllegalArgumentException("map: " + shape + " " + dtype + " needs " + need + " bytes, got " + bytes.byteSize());
        }
        return Tensor.owning(this, wrapHost(bytes), dtype, shape);
    }

    /** An F32 tensor with these values. */
    default Tensor fromFloats(float[] values, int... dims) {
        return fromFloats(DType.F32, values, dims);
    }

    /** A tensor of a floating dtype holding {@code values}, encoded (rounded or quantized) by the reference codec. */
    default Tensor fromFloats(DType dtype, float[] values, int... dims) {
        Shape shape = Shape.of(dims);
        if (shape.size() != values.length) {
            throw new IllegalArgumentException("fromFloats: " + values.length + " values for shape " + shape);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = arena.allocate(Math.max(1, dtype.bytes(values.length)));
            dtype.codec().encode(values, 0, bytes, 0, values.length);
            return upload(dtype, shape, bytes.asSlice(0, dtype.bytes(values.length)));
        }
    }

    default Tensor fromInts(int[] values, int... dims) {
        Shape shape = Shape.of(dims);
        if (shape.size() != values.length) {
            throw new IllegalArgumentException("fromInts: " + values.length + " values for shape " + shape);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = arena.allocate(Math.max(4, 4L * values.length));
            MemorySegment.copy(values, 0, bytes, ValueLayout.JAVA_INT_UNALIGNED, 0, values.length);
            return upload(DType.I32, shape, bytes.asSlice(0, 4L * values.length));
        }
    }

    /** Opens a scope: tensors allocated on this thread until it closes are freed when it closes. */
    default Scope scope() { return Scope.open(); }
}
