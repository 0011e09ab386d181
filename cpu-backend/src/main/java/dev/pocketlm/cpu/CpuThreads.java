package dev.pocketlm.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A persistent pool of daemon workers that run the chunks of one index range at a time, the calling thread
 * working alongside them. Sized to the available processors, or {@code -Dpocket.cpu.threads}. A call made while
 * the pool is busy (from a worker, or a second caller) runs inline, so nesting and concurrent use are safe.
 * The caller waits only for workers that joined the job: one descheduled by the OS (a busy shared machine)
 * leaves its chunks to the others instead of stalling the call.
 */
public final class CpuThreads {
    /** Runs indices {@code [start, end)} of a job. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int start, int end);
    }

    public static final String PROPERTY = "pocket.cpu.threads";
    /** Spin iterations (tens of microseconds) before an idle worker parks: matmuls of one token come back to back. */
    private static final int SPINS = 20_000;
    private static final CpuThreads SHARED = new CpuThreads(Integer.getInteger(PROPERTY, Runtime.getRuntime().availableProcessors()));

    /** One call's range; workers that join it count themselves in {@code active} before taking a chunk. */
    private static final class Job {
        final RangeTask task;
        final int count, grain, chunks;
        final AtomicInteger nextChunk = new AtomicInteger();
        final AtomicInteger active = new AtomicInteger();
        volatile Throwable failure;

        Job(RangeTask task, int count, int grain) {
            this.task = task;
            this.count = count;
            this.grain = grain;
            this.chunks = (count + grain - 1) / grain;
        }

        void runChunks() {
            try {
                for (int c = nextChunk.getAndIncrement(); c < chunks; c = nextChunk.getAndIncrement()) {
                    int start = c * grain;
                    task.run(start, Math.min(count, start + grain));
                }
            } catch (Throwable t) {
                failure = t;
                nextChunk.set(chunks); // hand out no more chunks
            }
        }
    }

    private final Worker[] workers;
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile Job current;

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
            Job job = new Job(task, count, grain);
            current = job;
            for (Worker w : workers) {
                if (w.parked) LockSupport.unpark(w.thread);
            }
            job.runChunks();
            while (job.active.get() > 0) Thread.onSpinWait();
            Throwable failure = job.failure;
            if (failure instanceof RuntimeException r) throw r;
            if (failure instanceof Error e) throw e;
            if (failure != null) throw new IllegalStateException(failure);
        } finally {
            busy.set(false);
        }
    }

    private final class Worker implements Runnable {
        Thread thread;
        volatile boolean parked;

        @Override public void run() {
            Job seen = null;
            while (true) {
                Job job = awaitJob(seen);
                seen = job;
                job.active.incrementAndGet();
                job.runChunks();
                job.active.decrementAndGet();
            }
        }

        private Job awaitJob(Job seen) {
            for (int i = 0; i < SPINS; i++) {
                Job job = current;
                if (job != seen) return job;
                Thread.onSpinWait();
            }
            parked = true;
            while (current == seen) LockSupport.park(this);
            parked = false;
            return current;
        }
    }
}
