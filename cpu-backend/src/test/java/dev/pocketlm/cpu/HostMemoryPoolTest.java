package dev.pocketlm.cpu;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostMemoryPoolTest {

    @Test
    void sizeClassesArePowersOfTwoUpTo64MiB() {
        assertEquals(256, HostMemoryPool.sizeClass(1));
        assertEquals(256, HostMemoryPool.sizeClass(256));
        assertEquals(512, HostMemoryPool.sizeClass(257));
        assertEquals(64L << 20, HostMemoryPool.sizeClass(64L << 20));
        assertEquals(-1, HostMemoryPool.sizeClass((64L << 20) + 1));
    }

    @Test
    void aFreedBlockIsReusedForItsClassAndReleasedOverCapacity() {
        HostMemoryPool pool = new HostMemoryPool(4096);
        HostMemoryPool.Block a = pool.take(3000);
        assertEquals(4096, a.segment().byteSize());
        pool.give(a);
        assertSame(a, pool.take(2100), "same class: the pooled block comes back");
        HostMemoryPool.Block b = pool.take(3000), c = pool.take(3000);
        pool.give(b);
        pool.give(c);
        assertTrue(b.arena().scope().isAlive(), "within capacity: kept");
        assertFalse(c.arena().scope().isAlive(), "over capacity: released");
    }

    @Test
    void theLastFreedBlockOfAClassComesBackFirstFromTheSmallestClassToTheLargest() {
        HostMemoryPool pool = new HostMemoryPool(1L << 30);
        for (long bytes : new long[]{1, 300, 64L << 20}) {
            HostMemoryPool.Block older = pool.take(bytes), newer = pool.take(bytes);
            pool.give(older);
            pool.give(newer);
            assertSame(newer, pool.take(bytes), bytes + " bytes: the block freed last, still in cache, first");
            assertSame(older, pool.take(bytes), bytes + " bytes: then the one before");
            older.arena().close();
            newer.arena().close();
        }
    }

    @Test
    void aSmallBlockOverCapacityReleasesLargerPooledBlocksInstead() {
        HostMemoryPool pool = new HostMemoryPool(4096);
        HostMemoryPool.Block large = pool.take(4096);
        pool.give(large);
        HostMemoryPool.Block small = pool.take(300);
        pool.give(small);
        assertFalse(large.arena().scope().isAlive(), "the larger class made room");
        assertTrue(small.arena().scope().isAlive(), "the small block is kept");
        assertSame(small, pool.take(400), "and comes back for its class");
    }

    @Test
    void storageUseAfterFreeFailsEvenWhenTheBlockIsReused() {
        CpuStorage s = CpuStorage.allocate(100);
        s.free();
        CpuStorage t = CpuStorage.allocate(100);
        try {
            assertTrue(s.isFreed());
            assertThrows(IllegalStateException.class, s::segment);
        } finally {
            t.free();
        }
    }
}
