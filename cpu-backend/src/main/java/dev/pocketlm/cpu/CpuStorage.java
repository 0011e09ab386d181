package dev.pocketlm.cpu;

import dev.pocketlm.tensor.spi.Storage;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Host memory: an off-heap segment we allocated (and free), or a caller's segment (a mapped file) we only borrow. */
final class CpuStorage implements Storage {
    private final Arena arena;
    private final MemorySegment segment;
    private volatile boolean freed;

    private CpuStorage(Arena arena, MemorySegment segment) {
        this.arena = arena;
        this.segment = segment;
    }

    static CpuStorage allocate(long bytes) {
        Arena arena = Arena.ofShared();
        return new CpuStorage(arena, arena.allocate(bytes, 64));
    }

    static CpuStorage borrow(MemorySegment hostBytes) {
        return new CpuStorage(null, hostBytes);
    }

    MemorySegment segment() {
        if (freed) throw new IllegalStateException("CPU storage used after it was freed");
        return segment;
    }

    @Override public long byteSize() { return segment.byteSize(); }

    @Override public boolean isFreed() { return freed; }

    @Override public void free() {
        if (freed) return;
        freed = true;
        if (arena != null) arena.close();
    }
}
