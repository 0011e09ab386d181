package dev.pocketlm.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A persistent pool of daemon workers that run the parts of one index range at a time, the calling thread working
 * alongside them: chunks handed out in order ({@link #forEach}), or a segment per thread with the finished threads
 * taking what is left of the others' ({@link #forEachFromBothEnds}). Sized to the available processors, or
 * {@code -Dpocket.cpu.threads}. A call made while the pool is busy (from a worker, or a second caller) runs inline, so
 * nesting and concurrent use are safe. The caller waits only for workers that joined the job: one descheduled by the
 * OS (a busy shared machine) leaves its parts to the others instead of stalling the call.
 */
public final class CpuThreads {
    /** Runs indices {@code [start, end)} of a job. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int start, int end);
    }

    /**
     * Reads a thread makes once it is done with its parts of a job, a step at a time: {@code step(segment, i)} makes
     * step i of the reads that segment {@code segment} of the coming job starts with (worker w's segment is w, the
     * caller's 0), and says whether another step follows.
     */
    @FunctionalInterface
    public interface IdleReads {
        boolean step(int segment, int i);
    }

    public static final String PROPERTY = "pocket.cpu.threads";
    /** Spin iterations (tens of microseconds) before an idle worker parks: matmuls of one token come back to back. */
    private static final int SPINS = 20_000;
    private static final CpuThreads SHARED = new CpuThreads(Integer.getInteger(PROPERTY, Runtime.getRuntime().availableProcessors()));

    /**
     * One call's range; workers that join it count themselves in {@code active} before taking a part. {@code then}:
     * the reads each thread makes once done with its parts, or null.
     */
    private abstract static sealed class Job permits Chunks, BothEnds {
        final RangeTask task;
        final IdleReads then;
        final AtomicInteger active = new AtomicInteger();
        volatile Throwable failure;

        Job(RangeTask task, IdleReads then) {
            this.task = task;
            this.then = then;
        }

        /**
         * Runs parts of the range until none is left, starting with those of segment {@code home} where the job has
         * segments (the caller's is 0, worker w's w); the first failure stops every thread's claims.
         */
        final void runParts(int home) {
            try {
                claimAndRun(home);
            } catch (Throwable t) {
                failure = t;
                stop();
            }
        }

        abstract void claimAndRun(int home);

        abstract void stop();
    }

    /** The range in chunks of {@code grain} indices, handed out in order. */
    private static final class Chunks extends Job {
        final int count, grain, chunks;
        final AtomicInteger nextChunk = new AtomicInteger();

        Chunks(RangeTask task, int count, int grain) {
            super(task, null);
            this.count = count;
            this.grain = grain;
            this.chunks = (count + grain - 1) / grain;
        }

        @Override void claimAndRun(int home) {
            for (int c = nextChunk.getAndIncrement(); c < chunks; c = nextChunk.getAndIncrement()) {
                int start = c * grain;
                task.run(start, Math.min(count, start + grain));
            }
        }

        @Override void stop() { nextChunk.set(chunks); }
    }

    /**
     * Segments of the range, one per thread, each claimed from the front by its own thread (the caller's is 0, worker
     * w's w), half of what is left at a time (at least {@code minPass} indices), so its claims are one run; a thread
     * that has finished its own takes half of what is left of another's from the back, and so on until every segment
     * is claimed, one whose thread never came included. So the threads end within a pass of each other whichever runs
     * slower, each reads long runs of memory, and each thread knows its first rows before the job comes
     * ({@link IdleReads}).
     */
    private static final class BothEnds extends Job {
        final int minPass;
        /** Per segment: its unclaimed range, the front index in the high 32 bits and the back (exclusive) in the low. */
        final AtomicLong[] unclaimed;
        /** The next segment whose back a thread takes on. */
        final AtomicInteger nextBack = new AtomicInteger();

        BothEnds(RangeTask task, int[] segmentStarts, int minPass, IdleReads then) {
            super(task, then);
            this.minPass = minPass;
            unclaimed = new AtomicLong[segmentStarts.length - 1];
            for (int s = 0; s < unclaimed.length; s++) unclaimed[s] = new AtomicLong((long) segmentStarts[s] << 32 | segmentStarts[s + 1]);
        }

        @Override void claimAndRun(int home) {
            if (home < unclaimed.length) claimAll(unclaimed[home], true);
            for (int back = nextBack.getAndIncrement(); back < unclaimed.length; back = nextBack.getAndIncrement()) {
                claimAll(unclaimed[back], false);
            }
        }

        /** Claims and runs what is left of a segment, from its front or its back, until none is. */
        private void claimAll(AtomicLong segment, boolean front) {
            for (long range = segment.get(); ; range = segment.get()) {
                int from = (int) (range >>> 32), to = (int) range, left = to - from;
                if (left <= 0) return;
                int take = Math.min(left, Math.max(minPass, left / 2));
                long rest = front ? (long) (from + take) << 32 | to : (long) from << 32 | (to - take);
                if (!segment.compareAndSet(range, rest)) continue;
                if (front) task.run(from, from + take);
                else task.run(to - take, to);
            }
        }

        @Override void stop() {
            nextBack.set(unclaimed.length);
            for (AtomicLong segment : unclaimed) segment.set(0);
        }
    }

    private final Worker[] workers;
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile Job current;
    /** Total time of the parallel jobs run, written by the caller that holds {@link #busy}. */
    private volatile long parallelNanos;

    public CpuThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException(PROPERTY + " must be at least 1, got " + threads);
        workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
            Thread t = new Thread(workers[i], "pocket-cpu-" + (i + 1));
            t.setDaemon(true);
            workers[i].thread = t;
            t.start();
        }
    }

    /** The pool every {@code cpu} backend shares. */
    public static CpuThreads shared() { return SHARED; }

    /**
     * Nanoseconds spent in parallel jobs so far, each from its hand-out to its last thread's end (the workers' reads
     * ahead after it excluded); calls run inline are not counted.
     */
    public long parallelNanos() { return parallelNanos; }

    /** Threads working on a job, the caller included. */
    public int size() { return workers.length + 1; }

    /**
     * Runs {@code task} over {@code [0, count)} in chunks of {@code grain} indices, in parallel when
     * {@code parallel} (false when an operand is confined to the calling thread) and the pool is free.
     */
    public void forEach(int count, int grain, boolean parallel, RangeTask task) {
        if (count > grain) run(count, parallel, new Chunks(task, count, grain));
        else if (count > 0) task.run(0, count);
    }

    /**
     * Runs {@code task} over the segments [segmentStarts[s], segmentStarts[s + 1]) in parallel as {@link BothEnds}
     * does, each call within one segment and at least {@code minPass} indices where that many are left unclaimed in
     * it; all of them in one call where the pool cannot share the work. For work whose threads should end together
     * while each reads long runs of memory. In parallel, each thread done with its parts then makes {@code then} (or
     * none, null) for its segment: the caller while workers are still at work, a worker until the next job comes.
     */
    public void forEachFromBothEnds(int[] segmentStarts, int minPass, boolean parallel, RangeTask task, IdleReads then) {
        int count = segmentStarts[segmentStarts.length - 1];
        if (segmentStarts.length > 2) run(count, parallel, new BothEnds(task, segmentStarts, minPass, then));
        else if (count > 0) task.run(0, count);
    }

    private void run(int count, boolean parallel, Job job) {
        if (!parallel || workers.length == 0 || !busy.compareAndSet(false, true)) {
            job.task.run(0, count);
            return;
        }
        long start = System.nanoTime();
        try {
            current = job;
            for (Worker w : workers) {
                if (w.parked) LockSupport.unpark(w.thread);
            }
            job.runParts(0);
            readAhead(job, 0);
            while (job.active.get() > 0) Thread.onSpinWait();
            Throwable failure = job.failure;
            if (failure instanceof RuntimeException r) throw r;
            if (failure instanceof Error e) throw e;
            if (failure != null) throw new IllegalStateException(failure);
        } finally {
            parallelNanos += System.nanoTime() - start;
            busy.set(false);
        }
    }

    /**
     * Makes the job's reads ahead (if any) for {@code segment} until they end or, for the caller (segment 0), the
     * workers are done, for a worker, the next job comes. Reads whose memory was freed meanwhile (a closed model's
     * weights) stop there.
     */
    private void readAhead(Job job, int segment) {
        if (job.then == null) return;
        try {
            for (int step = 0; (segment == 0 ? job.active.get() > 0 : current == job) && job.then.step(segment, step); step++) {}
        } catch (IllegalStateException freed) {
            // the arena holding the memory was closed: there is nothing left to read ahead
        }
    }

    private final class Worker implements Runnable {
        final int segment;
        Thread thread;
        volatile boolean parked;

        Worker(int segment) { this.segment = segment; }

        @Override public void run() {
            Job seen = null;
            while (true) {
                Job job = awaitJob(seen);
                seen = job;
                job.active.incrementAndGet();
                job.runParts(segment);
                job.active.decrementAndGet();
                readAhead(job, segment);
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
