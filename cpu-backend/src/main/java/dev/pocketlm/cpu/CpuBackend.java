package dev.pocketlm.cpu;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Kernels;
import dev.pocketlm.tensor.Tensor;
import dev.pocketlm.tensor.spi.DeviceInfo;
import dev.pocketlm.tensor.spi.Storage;

import java.lang.foreign.MemorySegment;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/** The host as a device: tensors are off-heap segments (or mapped files), kernels run in this JVM. */
public final class CpuBackend implements Backend {
    private final String name;
    private final DeviceInfo device;
    private final Kernels kernels;

    CpuBackend(String name, DeviceInfo device, Kernels kernels) {
        this.name = name;
        this.device = device;
        this.kernels = kernels;
    }

    /** The segment holding a CPU tensor's first element onward (the storage's own where it starts there: no slice object per kernel call). */
    static MemorySegment segment(Tensor t) {
        MemorySegment s = ((CpuStorage) t.storage()).segment();
        return t.byteOffset() == 0 ? s : s.asSlice(t.byteOffset());
    }

    @Override public String name() { return name; }

    @Override public DeviceInfo device() { return device; }

    @Override public Kernels kernels() { return kernels; }

    @Override public Storage allocateStorage(long bytes) { return CpuStorage.allocate(bytes); }

    @Override public void write(Storage dst, long dstOffset, MemorySegment src) {
        MemorySegment.copy(src, 0, ((CpuStorage) dst).segment(), dstOffset, src.byteSize());
    }

    @Override public void read(Storage src, long srcOffset, MemorySegment dst) {
        MemorySegment.copy(((CpuStorage) src).segment(), srcOffset, dst, 0, dst.byteSize());
    }

    @Override public Storage wrapHost(MemorySegment hostBytes) { return CpuStorage.borrow(hostBytes); }

    @Override public void synchronize() {}

    /** The host's: {@link HostReadBandwidth} with every thread of the shared pool, whichever kernels this backend runs. */
    @Override public OptionalDouble measureReadBandwidth() {
        return OptionalDouble.of(HostReadBandwidth.measure(CpuThreads.shared(), HostReadBandwidth.DEFAULT_BYTES));
    }

    /** The shared pool's ({@link CpuThreads#parallelNanos}), which every {@code cpu} backend's kernels run on. */
    @Override public OptionalLong parallelNanos() { return OptionalLong.of(CpuThreads.shared().parallelNanos()); }

    @Override public void close() {}

    @Override public String toString() { return name; }
}
