package dev.pocketlm.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Recycles off-heap blocks by power-of-two size class. Closing a shared Arena costs tens of microseconds (a
 * handshake with every thread) and one generated token frees hundreds of intermediate tensors, so freed blocks up
 * to {@code capacity} bytes wait here for the next allocation of their class; the rest are released at once.
 */
final class HostMemoryPool {
    /** One per JVM; -Dpocket.cpu.poolBytes sets how much freed memory it may keep (default 256 MiB). */
    static final HostMemoryPool SHARED = new HostMemoryPool(Long.getLong("pocket.cpu.poolBytes", 256L << 20));

    private static final long MIN_CLASS = 256, MAX_CLASS = 64L << 20;

    /** An allocation and the arena that owns it. */
    record Block(Arena arena, MemorySegment segment) {}

    /** Free blocks by size class, indexed by the class's log2 (no boxing or hashing on a token's hundreds of calls). */
    @SuppressWarnings("unchecked")
    private final ConcurrentLinkedDeque<Block>[] free = new ConcurrentLinkedDeque[Long.numberOfTrailingZeros(MAX_CLASS) + 1];
    private final AtomicLong pooledBytes = new AtomicLong();
    private final long capacity;

    HostMemoryPool(long capacity) {
        this.capacity = capacity;
        for (int c = 0; c < free.length; c++) free[c] = new ConcurrentLinkedDeque<>();
    }

    /** A block of at least {@code bytes} bytes, 64-byte aligned, with undefined contents. */
    Block take(long bytes) {
        long size = sizeClass(bytes);
        if (size > 0) {
            Block b = freeList(size).pollFirst();
            if (b != null) {
                pooledBytes.addAndGet(-size);
                return b;
            }
        }
        Arena arena = Arena.ofShared();
        return new Block(arena, arena.allocate(size > 0 ? size : bytes, 64));
    }

    /**
     * Returns a block taken from this pool. It is kept for reuse while the pool is under capacity, making room by
     * releasing pooled blocks of larger classes first: a prompt's large intermediates once filled the pool, after
     * which every freed one-token intermediate was released, a handshake with every thread each (TinyLlama Q4_0
     * after a 64-token prompt: 71,000 handshakes and 15 instead of 22 tokens/s on one thread).
     */
    void give(Block b) {
        long size = b.segment().byteSize();
        if (sizeClass(size) == size && (fits(size) || releaseLarger(size))) {
            pooledBytes.addAndGet(size);
            freeList(size).addFirst(b);
            return;
        }
        b.arena().close();
    }

    /** Releases pooled blocks of classes above {@code size}, largest first, until {@code size} more bytes fit. */
    private synchronized boolean releaseLarger(long size) {
        for (long c = MAX_CLASS; c > size && !fits(size); c >>= 1) {
            Block old;
            while (!fits(size) && (old = freeList(c).pollLast()) != null) {
                pooledBytes.addAndGet(-c);
                old.arena().close();
            }
        }
        return fits(size);
    }

    private ConcurrentLinkedDeque<Block> freeList(long sizeClass) { return free[Long.numberOfTrailingZeros(sizeClass)]; }

    private boolean fits(long size) { return pooledBytes.get() + size <= capacity; }

    /** The power of two that holds {@code bytes} (at least 256), or -1 above 64 MiB (allocated exactly, not pooled). */
    static long sizeClass(long bytes) {
        if (bytes > MAX_CLASS) return -1;
        return bytes <= MIN_CLASS ? MIN_CLASS : Long.highestOneBit(bytes - 1) << 1;
    }
}
