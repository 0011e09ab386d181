package dev.pocketlm.cuda;

import dev.pocketlm.tensor.Tensor;
import dev.pocketlm.tensor.spi.Storage;
import jcuda.driver.CUdeviceptr;

/** A device allocation from a {@link DevicePool}; freeing returns it to the pool's free list. */
final class CudaStorage implements Storage {
    private final DevicePool pool;
    private final CUdeviceptr base;
    private final long byteSize;
    private final long bucketBytes;
    private volatile boolean freed;

    CudaStorage(DevicePool pool, CUdeviceptr base, long byteSize, long bucketBytes) {
        this.pool = pool;
        this.base = base;
        this.byteSize = byteSize;
        this.bucketBytes = bucketBytes;
    }

    /** The device address of a tensor's element 0. */
    static DeviceAddress address(Tensor t) {
        if (!(t.storage() instanceof CudaStorage s)) {
            throw new IllegalArgumentException("cuda: tensor " + t.describe() + " does not live on a CUDA device");
        }
        if (s.freed) throw new IllegalStateException("cuda: tensor " + t.describe() + " is closed");
        return new DeviceAddress(s.base, t.byteOffset());
    }

    DeviceAddress at(long offset) { return new DeviceAddress(base, offset); }

    @Override public long byteSize() { return byteSize; }

    @Override public boolean isFreed() { return freed; }

    @Override public synchronized void free() {
        if (freed) return;
        freed = true;
        pool.give(base, bucketBytes);
    }
}
