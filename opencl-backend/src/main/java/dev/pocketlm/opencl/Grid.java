package dev.pocketlm.opencl;

/** Launch geometry as groups x local size (CUDA grid x block); the OpenCL global size is their product. */
record Grid(long groupsX, long groupsY, int localX, int localY) {
    /** Threads of ELEM and ROW kernels (see kernels/KERNELS.md). */
    static final int LOCAL = 256;
    /** Group-count limit of a CUDA grid's y dimension, kept here so both backends launch alike. */
    static final long MAX_GROUPS_Y = 65_535;

    /** One thread per element. */
    static Grid elements(long n) { return new Grid((n + LOCAL - 1) / LOCAL, 1, LOCAL, 1); }

    /** One work-group per row. */
    static Grid rows(long rows) { return new Grid(rows, 1, LOCAL, 1); }

    boolean isEmpty() { return groupsX == 0 || groupsY == 0; }

    long[] global() { return new long[]{groupsX * localX, groupsY * localY}; }

    long[] local() { return new long[]{localX, localY}; }
}
