package dev.pocketlm.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A persistent pool of daemon workers that run the chunks of one index range at a time, the calling thread
 * working alongside them. Sized to the available processors, or {@code -Dpocket.cpu.threads}. A call made while
 * the pool is busy (from a worker, or a second caller) runs inline, so nesting and concurrent use are safe.
 */
public final class CpuThreads {
    /** Runs indices {@code [start, end)} of a job. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int start, int end);
    }

    public static final String PROPERTY = "pocket.cpu.threads";
    /** Spin iterations (about 50 microseconds) before an idle worker parks: matmuls of one token come back to back. */
    private static final int SPINS = 20_000;
    private static final CpuThreads SHARED = new CpuThreads(Integer.getInteger(PROPERTY, Runtime.getRuntime().availableProcessors()));

    private final Worker[] workers;
    private final AtomicBoolean busy = new AtomicBoolean();
    private final AtomicInteger nextChunk = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    private volatile long generation;
    private volatile RangeTask task;
    private volatile int count;
    private volatile int grain;
    private volatile Throwable failure;

    public CpuThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException(PROPERTY + " must be at least 1, got " + threads);
        workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker();
            Thread t = new Thread(workers[i], "pocket-cpu-" + (i + 1));
            t.setDaemon(true);
            workers[i].thread = t;
            t.start();
        }
    }

    /** The pool every {@code cpu} backend shares. */
    public static CpuThreads shared() { return SHARED; }

    /** Threads working on a job, the caller included. */
    public int size() { return workers.length + 1; }

    /**
     * Runs {@code task} over {@code [0, count)} in chunks of {@code grain} indices, in parallel when
     * {@code parallel} (false when an operand is confined to the calling thread) and the pool is free.
     */
    public void forEach(int count, int grain, boolean parallel, RangeTask task) {
        if (count <= 0) return;
        if (!parallel || workers.length == 0 || count <= grain || !busy.compareAndSet(false, true)) {
            task.run(0, count);
            return;
        }
        try {
            this.task = task;
            this.count = count;
            this.grain = grain;
            failure = null;
            nextChunk.set(0);
            running.set(workers.length);
            generation++;
            for (Worker w : workers) {
                if (w.parked) LockSupport.unpark(w.thread);
            }
            Throwable mine = null;
            try {
                runChunks(task, count, grain);
            } catch (Throwable t) {
                mine = t;
                nextChunk.set(Integer.MAX_VALUE / 2); // stop handing out chunks
            }
            while (running.get() > 0) Thread.onSpinWait();
            Throwable theirs = failure;
            if (mine != null) rethrow(mine);
            if (theirs != null) rethrow(theirs);
        } finally {
            this.task = null;
            busy.set(false);
        }
    }

    private void runChunks(RangeTask task, int count, int grain) {
        int chunks = (count + grain - 1) / grain;
        for (int c = nextChunk.getAndIncrement(); c < chunks; c = nextChunk.getAndIncrement()) {
            int start = c * grain;
            task.run(start, Math.min(count, start + grain));
        }
    }

    private static void rethrow(Throwable t) {
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        throw new IllegalStateException(t);
    }

    private final class Worker implements Runnable {
        Thread thread;
        volatile boolean parked;

        @Override public void run() {
            long seen = 0;
            while (true) {
                seen = awaitJob(seen);
                try {
                    runChunks(task, count, grain);
                } catch (Throwable t) {
                    failure = t;
                    nextChunk.set(Integer.MAX_VALUE / 2);
                } finally {
                    running.decrementAndGet();
                }
            }
        }

        private long awaitJob(long seen) {
            for (int i = 0; i < SPINS; i++) {
                if (generation != seen) return generation;
                Thread.onSpinWait();
            }
            parked = true;
            while (generation == seen) LockSupport.park(this);
            parked = false;
            return generation;
        }
    }
}
