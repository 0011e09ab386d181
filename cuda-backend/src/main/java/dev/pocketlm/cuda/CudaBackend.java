package dev.pocketlm.cuda;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Kernels;
import dev.pocketlm.tensor.spi.DeviceInfo;
import dev.pocketlm.tensor.spi.Storage;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Locale;

import static dev.pocketlm.cuda.CudaCheck.check;

/**
 * One CUDA device through the driver API: its primary context (shared with cuBLAS, made current on every calling
 * thread), one stream for all work, a caching allocator and the shared kernels.
 */
final class CudaBackend implements Backend {
    /** Transfers go in pieces of at most this many bytes (also the largest host staging buffer). */
    private static final long CHUNK = 64L << 20;

    private final String name;
    private final DeviceInfo info;
    private final CUdevice device;
    private final CUcontext context = new CUcontext();
    private final CUstream stream = new CUstream();
    private final DevicePool pool = new DevicePool();
    private final CudaModule module;
    private final Gemm gemm;
    private final CudaKernels kernels;
    private boolean closed;

    CudaBackend(String name, DeviceInfo info, QuantMatvec quantMatvec) {
        this.name = name;
        this.device = CudaProbe.device(info.index());
        check(JCudaDriver.cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
        bind();
        check(JCudaDriver.cuStreamCreate(stream, CUstream_flags.CU_STREAM_DEFAULT), "cuStreamCreate");
        this.module = new CudaModule(stream);
        this.gemm = Gemm.open(stream, module);
        this.info = new DeviceInfo(info.index(), info.name(), info.memoryBytes(), info.details() + ", GEMM: " + gemm.name()
                + ", quantized matvec: " + quantMatvec.name().toLowerCase(Locale.ROOT));
        this.kernels = new CudaKernels(this, this::bind, module, gemm, quantMatvec);
    }

    /** Makes the primary context current on the calling thread (cheap; done before every driver call). */
    void bind() { check(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent"); }

    @Override public String name() { return name; }

    @Override public DeviceInfo device() { return info; }

    @Override public Kernels kernels() { return kernels; }

    @Override public Storage allocateStorage(long bytes) {
        bind();
        return pool.take(bytes);
    }

    @Override public void write(Storage dst, long dstOffset, MemorySegment src) {
        DeviceAddress at = checkedRange("write", dst, dstOffset, src.byteSize());
        bind();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment staging = src.isNative() ? null : arena.allocate(Math.min(CHUNK, src.byteSize()));
            for (long done = 0; done < src.byteSize(); done += CHUNK) {
                long n = Math.min(CHUNK, src.byteSize() - done);
                MemorySegment part = src.asSlice(done, n);
                if (staging != null) part = staging.asSlice(0, n).copyFrom(part);
                check(JCudaDriver.cuMemcpyHtoDAsync(at.plus(done).pointer(), Pointer.to(part.asByteBuffer()), n, stream), "cuMemcpyHtoDAsync");
                // the host bytes must stay untouched until the copy has read them
                check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");
            }
        }
    }

    @Override public void read(Storage src, long srcOffset, MemorySegment dst) {
        DeviceAddress at = checkedRange("read", src, srcOffset, dst.byteSize());
        bind();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment staging = dst.isNative() ? null : arena.allocate(Math.min(CHUNK, dst.byteSize()));
            for (long done = 0; done < dst.byteSize(); done += CHUNK) {
                long n = Math.min(CHUNK, dst.byteSize() - done);
                MemorySegment part = dst.asSlice(done, n);
                MemorySegment target = staging == null ? part : staging.asSlice(0, n);
                check(JCudaDriver.cuMemcpyDtoHAsync(Pointer.to(target.asByteBuffer()), at.plus(done).pointer(), n, stream), "cuMemcpyDtoHAsync");
                check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");
                if (staging != null) part.copyFrom(target);
            }
        }
    }

    private DeviceAddress checkedRange(String op, Storage storage, long offset, long bytes) {
        if (!(storage instanceof CudaStorage s)) throw new IllegalArgumentException(name + " " + op + ": storage " + storage + " is not CUDA memory");
        if (s.isFreed()) throw new IllegalStateException(name + " " + op + ": the storage is freed");
        if (offset < 0 || offset + bytes > s.byteSize()) {
            throw new IndexOutOfBoundsException(name + " " + op + ": bytes [" + offset + ", " + (offset + bytes)
                    + ") outside a storage of " + s.byteSize());
        }
        return s.at(offset);
    }

    @Override public void synchronize() {
        bind();
        check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");
    }

    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        synchronize();
        gemm.close();
        module.unload();
        pool.release();
        check(JCudaDriver.cuStreamDestroy(stream), "cuStreamDestroy");
        check(JCudaDriver.cuDevicePrimaryCtxRelease(device), "cuDevicePrimaryCtxRelease");
    }
}
