package dev.pocketlm.opencl;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Kernels;
import dev.pocketlm.tensor.spi.DeviceInfo;
import dev.pocketlm.tensor.spi.Storage;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_program;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** One OpenCL device: a context, an in-order queue, the kernel program, and the buffers allocated on it. */
public final class OpenClBackend implements Backend {
    /** Host transfers go in slices of at most this many bytes (staged through native memory for heap segments). */
    private static final long TRANSFER_CHUNK = 64L << 20;

    private final OpenClDevice device;
    private final DeviceInfo info;
    private final cl_context context;
    private final cl_command_queue queue;
    private final cl_program program;
    private final Map<String, cl_kernel> kernelObjects = new HashMap<>();
    private final Set<OpenClStorage> live = ConcurrentHashMap.newKeySet();
    private final OpenClKernels kernels;
    private volatile boolean closed;

    OpenClBackend(OpenClDevice device) {
        long[] maxGroup = new long[1];
        CL.clGetDeviceInfo(device.id(), CL.CL_DEVICE_MAX_WORK_GROUP_SIZE, Sizeof.size_t, Pointer.to(maxGroup), null);
        if (maxGroup[0] < Grid.LOCAL) {
            throw new IllegalStateException("OpenCL device " + device.name() + " runs at most " + maxGroup[0]
                    + " work-items per group; the kernels need " + Grid.LOCAL);
        }
        this.device = device;
        this.info = new DeviceInfo(device.index(), device.name(), device.globalMemory(), device.details());
        cl_context_properties props = new cl_context_properties();
        props.addProperty(CL.CL_CONTEXT_PLATFORM, device.platform());
        this.context = CL.clCreateContext(props, 1, new cl_device_id[]{device.id()}, null, null, null);
        this.queue = CL.clCreateCommandQueue(context, device.id(), 0, null);
        this.program = ProgramBuilder.build(context, device, KernelSource.load());
        this.kernels = new OpenClKernels(this);
    }

    @Override public String name() { return "opencl:" + device.index(); }

    @Override public DeviceInfo device() { return info; }

    @Override public Kernels kernels() { return kernels; }

    boolean isGpu() { return device.gpu(); }

    @Override public Storage allocateStorage(long bytes) {
        checkOpen();
        cl_mem mem = CL.clCreateBuffer(context, CL.CL_MEM_READ_WRITE, Math.max(1, bytes), null, null);
        OpenClStorage s = new OpenClStorage(mem, bytes, live::remove);
        live.add(s);
        return s;
    }

    @Override public void write(Storage dst, long dstOffset, MemorySegment src) {
        cl_mem mem = storage(dst).mem();
        transfer(src, (chunk, at) -> CL.clEnqueueWriteBuffer(queue, mem, CL.CL_TRUE, dstOffset + at, chunk.byteSize(),
                Pointer.to(chunk.asByteBuffer()), 0, null, null), true);
    }

    @Override public void read(Storage src, long srcOffset, MemorySegment dst) {
        cl_mem mem = storage(src).mem();
        transfer(dst, (chunk, at) -> CL.clEnqueueReadBuffer(queue, mem, CL.CL_TRUE, srcOffset + at, chunk.byteSize(),
                Pointer.to(chunk.asByteBuffer()), 0, null, null), false);
    }

    private interface ChunkTransfer {
        void run(MemorySegment nativeChunk, long offset);
    }

    /** Moves a host segment in slices; heap segments go through a native staging slice (JOCL wants direct memory). */
    private void transfer(MemorySegment host, ChunkTransfer op, boolean toDevice) {
        checkOpen();
        long size = host.byteSize();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment staging = host.isNative() ? null : arena.allocate(Math.min(size, TRANSFER_CHUNK));
            for (long at = 0; at < size; at += TRANSFER_CHUNK) {
                long n = Math.min(TRANSFER_CHUNK, size - at);
                MemorySegment slice = host.asSlice(at, n);
                if (staging == null) {
                    op.run(slice, at);
                } else if (toDevice) {
                    MemorySegment.copy(slice, 0, staging, 0, n);
                    op.run(staging.asSlice(0, n), at);
                } else {
                    op.run(staging.asSlice(0, n), at);
                    MemorySegment.copy(staging, 0, slice, 0, n);
                }
            }
        }
    }

    /** Device-side copy of bytes between buffers (queued, in order). */
    void copyBytes(cl_mem src, long srcOffset, cl_mem dst, long dstOffset, long bytes) {
        if (bytes > 0) CL.clEnqueueCopyBuffer(queue, src, dst, srcOffset, dstOffset, bytes, 0, null, null);
    }

    /**
     * Queues kernel {@code name} with arguments in order: {@code cl_mem}, {@code Integer} (int), {@code Long}
     * (long) or {@code Float} (float).
     */
    synchronized void launch(String name, Grid grid, Object... args) {
        checkOpen();
        if (grid.isEmpty()) return;
        cl_kernel k = kernelObjects.computeIfAbsent(name, n -> CL.clCreateKernel(program, n, null));
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case cl_mem m -> CL.clSetKernelArg(k, i, Sizeof.cl_mem, Pointer.to(m));
                case Integer v -> CL.clSetKernelArg(k, i, Sizeof.cl_int, Pointer.to(new int[]{v}));
                case Long v -> CL.clSetKernelArg(k, i, Sizeof.cl_long, Pointer.to(new long[]{v}));
                case Float v -> CL.clSetKernelArg(k, i, Sizeof.cl_float, Pointer.to(new float[]{v}));
                default -> throw new IllegalArgumentException(name + ": argument " + i + " has unsupported type "
                        + args[i].getClass().getName());
            }
        }
        CL.clEnqueueNDRangeKernel(queue, k, 2, null, grid.global(), grid.local(), 0, null, null);
    }

    static OpenClStorage storage(Storage s) {
        if (s instanceof OpenClStorage cl) return cl;
        throw new IllegalArgumentException("storage " + s + " does not belong to an OpenCL backend");
    }

    @Override public void synchronize() {
        checkOpen();
        CL.clFinish(queue);
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException(name() + " is closed");
    }

    @Override public synchronized void close() {
        if (closed) return;
        CL.clFinish(queue);
        closed = true;
        for (OpenClStorage s : Set.copyOf(live)) s.free();
        for (cl_kernel k : kernelObjects.values()) CL.clReleaseKernel(k);
        kernelObjects.clear();
        CL.clReleaseProgram(program);
        CL.clReleaseCommandQueue(queue);
        CL.clReleaseContext(context);
    }

    @Override public String toString() { return name() + " (" + device.name() + ")"; }
}
