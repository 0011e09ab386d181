package dev.pocketlm.cli;

import java.lang.management.ManagementFactory;
import java.util.function.LongSupplier;

/**
 * The bytes every thread of this JVM has allocated on the Java heap so far (live threads and ended ones), where the
 * JVM counts them: HotSpot with {@code jdk.management}, which a trimmed runtime may leave out.
 */
final class HeapAllocation {
    private static final LongSupplier TOTAL = counter();

    private HeapAllocation() {}

    /** The running total in bytes, or -1 where it is not counted. */
    static long total() { return TOTAL.getAsLong(); }

    private static LongSupplier counter() {
        try {
            if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads
                    && threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled()) {
                return threads::getTotalThreadAllocatedBytes;
            }
        } catch (LinkageError noJdkManagement) {
            // a runtime linked without jdk.management: not counted
        }
        return () -> -1;
    }
}
