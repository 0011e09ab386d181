package dev.pocketlm.cuda;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Kernels;
import dev.pocketlm.tensor.spi.DeviceInfo;
import dev.pocketlm.tensor.spi.Storage;
import jcuda.driver.CUdeviceptr;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/** CudaKernels without a device: storage is bookkeeping only, launches are recorded instead of run. */
final class RecordingBackend implements Backend {
    final List<KernelLaunch> launches = new ArrayList<>();
    private final DevicePool pool = new DevicePool();
    private final CudaKernels kernels;

    RecordingBackend(QuantMatvec quantMatvec) {
        kernels = new CudaKernels(this, () -> {}, launches::add, new KernelGemm(launches::add), quantMatvec);
    }

    @Override public String name() { return "cuda:recording"; }

    @Override public DeviceInfo device() { return new DeviceInfo(0, "no device", 0, ""); }

    @Override public Kernels kernels() { return kernels; }

    @Override public Storage allocateStorage(long bytes) {
        return new CudaStorage(pool, new CUdeviceptr(), bytes, DevicePool.bucket(bytes));
    }

    @Override public void write(Storage dst, long dstOffset, MemorySegment src) {}

    @Override public void read(Storage src, long srcOffset, MemorySegment dst) {}

    @Override public void synchronize() {}

    @Override public void close() {}
}
