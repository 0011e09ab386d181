package dev.pocketlm.cpu;

import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.spi.Storage;

import java.lang.foreign.MemorySegment;

/** Host memory: a block from the {@link HostMemoryPool} (returned to it when freed), or a caller's segment (a mapped file) we only borrow. */
final class CpuStorage implements Storage {
    private final HostMemoryPool.Block block;
    private final MemorySegment segment;
    private volatile boolean freed;
    /** The weight view of this storage that was packed first ({@link #packedWeight}), and its packed form or null. */
    private WeightView packedView;
    private PackedWeight packed;

    private record WeightView(long byteOffset, DType dtype, int rows, int k) {}

    private CpuStorage(HostMemoryPool.Block block, MemorySegment segment) {
        this.block = block;
        this.segment = segment;
    }

    static CpuStorage allocate(long bytes) {
        HostMemoryPool.Block b = HostMemoryPool.SHARED.take(bytes);
        return new CpuStorage(b, b.segment().asSlice(0, bytes));
    }

    static CpuStorage borrow(MemorySegment hostBytes) {
        return new CpuStorage(null, hostBytes);
    }

    MemorySegment segment() {
        if (freed) throw new IllegalStateException("CPU storage used after it was freed");
        return segment;
    }

    /**
     * The weight rows at {@code byteOffset} ({@code rows} x {@code k} of {@code dtype}) as a {@link PackedWeight},
     * packed on first use; null when they do not pack, when the memory is writable (it could change under the
     * copy), or when another view of this storage was packed first.
     */
    synchronized PackedWeight packedWeight(long byteOffset, DType dtype, int rows, int k, CpuThreads threads, boolean parallel) {
        if (!segment.isReadOnly()) return null;
        WeightView view = new WeightView(byteOffset, dtype, rows, k);
        if (packedView == null) {
            packedView = view;
            packed = PackedWeight.pack(segment(), byteOffset, dtype, rows, k, threads, parallel);
        }
        return view.equals(packedView) ? packed : null;
    }

    @Override public long byteSize() { return segment.byteSize(); }

    @Override public boolean isFreed() { return freed; }

    @Override public synchronized void free() {
        if (freed) return;
        freed = true;
        if (block != null) HostMemoryPool.SHARED.give(block);
        if (packed != null) packed.close();
    }
}
