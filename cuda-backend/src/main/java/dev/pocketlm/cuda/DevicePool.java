package dev.pocketlm.cuda;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Caching cuMemAlloc: freed blocks wait in free lists keyed by their bucket size and are reused. Reuse is safe
 * without events because all work runs in order on the backend's one stream. Device memory only (never managed).
 */
final class DevicePool {
    private static final long SMALLEST = 256;
    /** Up to here buckets are powers of two; above, multiples of this (weights would waste up to half otherwise). */
    private static final long LARGE_STEP = 1 << 21;

    private final Map<Long, ArrayDeque<CUdeviceptr>> free = new HashMap<>();
    private long cachedBytes;

    /** The size actually allocated for a request of {@code bytes}. */
    static long bucket(long bytes) {
        if (bytes <= SMALLEST) return SMALLEST;
        if (bytes <= LARGE_STEP) return Long.highestOneBit(bytes - 1) << 1;
        return (bytes + LARGE_STEP - 1) / LARGE_STEP * LARGE_STEP;
    }

    /** Needs the backend's context current on this thread. */
    synchronized CudaStorage take(long bytes) {
        long size = bucket(bytes);
        ArrayDeque<CUdeviceptr> list = free.get(size);
        if (list != null && !list.isEmpty()) {
            cachedBytes -= size;
            return new CudaStorage(this, list.pop(), bytes, size);
        }
        CUdeviceptr p = new CUdeviceptr();
        int result = JCudaDriver.cuMemAlloc(p, size);
        if (result == CUresult.CUDA_ERROR_OUT_OF_MEMORY && cachedBytes > 0) {
            release();
            result = JCudaDriver.cuMemAlloc(p, size);
        }
        CudaCheck.check(result, "cuMemAlloc(" + size + " bytes, " + cachedBytes + " cached)");
        return new CudaStorage(this, p, bytes, size);
    }

    synchronized void give(CUdeviceptr p, long size) {
        free.computeIfAbsent(size, s -> new ArrayDeque<>()).push(p);
        cachedBytes += size;
    }

    /** Frees every cached block; needs the context current. */
    synchronized void release() {
        for (ArrayDeque<CUdeviceptr> list : free.values()) {
            for (CUdeviceptr p : list) CudaCheck.check(JCudaDriver.cuMemFree(p), "cuMemFree");
        }
        free.clear();
        cachedBytes = 0;
    }
}
