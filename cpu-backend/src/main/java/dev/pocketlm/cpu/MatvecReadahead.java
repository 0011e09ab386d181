package dev.pocketlm.cpu;

/**
 * A matvec job as the reads a thread can make before it starts: the first {@link #BYTES} of the thread's segment, in
 * the kernel's order. A token runs its matvecs in the same order each time, so the one that followed a matvec last
 * time comes next now: each thread done with its part of a job reads its first rows of the next (the caller while the
 * workers finish, a worker while the caller runs the serial ops between jobs), and the job then finds them in cache.
 */
sealed interface MatvecReadahead extends CpuThreads.IdleReads permits QuadReadahead, PanelReadahead {
    /** Bytes a thread reads ahead: half its L2 (1 MiB a core on Zen 5); TinyLlama's gaps between jobs end sooner. */
    long BYTES = 512 << 10;

    /** The job's first weight, which remembers the job that followed it ({@link PackedWeight#following}). */
    PackedWeight first();

    /** Keeps loaded bits where the compiler cannot drop the loads. */
    static void keep(int bits) { Sink.bits |= bits; }

    /** Where {@link #keep} puts the bits. */
    final class Sink {
        private static int bits;

        private Sink() {}
    }
}
