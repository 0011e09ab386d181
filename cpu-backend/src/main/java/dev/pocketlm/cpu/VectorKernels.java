package dev.pocketlm.cpu;

import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Kernels;
import dev.pocketlm.tensor.ReduceOp;
import dev.pocketlm.tensor.RopeMode;
import dev.pocketlm.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The CPU fast path: Vector API kernels (species chosen at run time, so AVX2 and AVX-512 both work) run on a
 * persistent {@link CpuThreads} pool. Accelerates matmul (F32 GEMM, fused dequantize-dot for F16, BF16, Q8_0 and
 * Q4_0 weights), attention, rms_norm, softmax, rope, silu, swiglu, add, mul, scale and contiguous copies;
 * every other op, and every dtype a fast kernel does not take, goes to {@link ReferenceKernels}.
 */
public final class VectorKernels implements Kernels {
    private static final VectorSpecies<Float> F = WeightRows.F;
    private static final int L = WeightRows.L;
    /** Swaps the two lanes of each pair: rope's normal mode rotates pairs of neighbours. */
    private static final VectorShuffle<Float> PAIR_SWAP = VectorShuffle.fromOp(F, i -> i ^ 1);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    /** Up to this many activation rows, a weight matmul streams each weight row once and dots it with every row. */
    static final int MATVEC_MAX_ROWS = 4;
    /** Weight rows per chunk of a prompt's packed matmul, bound by compute: many chunks a thread, so both end together. */
    private static final int TILE_GRAIN = 64;
    /**
     * A matvec goes to the threads in one chunk each (at least this many rows): long contiguous runs keep the
     * prefetchers streaming (TinyLlama Q8_0 matvecs: 30 GB/s in 64-row chunks, 35 in two per thread; from two chunks per
     * thread to one, Q4_0 matvecs from DRAM 41.2-41.5 -> 42.4-44.3 GB/s and generation, builds alternating in one JVM,
     * median 73.7 -> 81.4 and 77.1 -> 79.0 tokens/s in two runs).
     */
    private static final int MATVEC_MIN_ROWS = 64;
    /** The fewest quads (four weight rows each) a thread claims at once in {@link #multiplyQuads}. */
    private static final int MIN_PASS_QUADS = 4;
    /**
     * Below this many weight bytes (times activation rows) a matvec runs on the calling thread: waking the pool costs
     * microseconds, more than a small matrix takes (the embedded 192-wide model generated faster on the scalar reference
     * than in parallel).
     */
    private static final long MATVEC_PARALLEL_BYTES = 256 << 10;
    /** Below this many multiply-adds, attention runs on the calling thread, for the same reason. */
    private static final long ATTENTION_PARALLEL_WORK = 1 << 16;
    /** A prompt's attention chunks per KV head (see {@link #attention}). */
    private static final int PROMPT_CHUNKS_PER_KV_HEAD = 8;
    /** Floats of F32 rows a decode step converts from an F16 or BF16 cache at a time: 32 KiB, within L1. */
    private static final int STAGED_BLOCK_FLOATS = 8192;
    /** Floats converted at a time by a copy between dtypes. */
    private static final int COPY_CHUNK = 4096;
    /** Elements per chunk of a parallel elementwise or row-wise op (smaller ops run on the calling thread). */
    private static final int ELEMENT_GRAIN = 1 << 16;
    /**
     * {@code -Dpocket.cpu.readAhead=false} stops the workers reading the next matvec's weights ahead
     * ({@link MatvecReadahead}); read per matvec, so that a benchmark can switch it within one process ({@code SwitchAB}).
     */
    public static final String READ_AHEAD = "pocket.cpu.readAhead";
    /** Never started: asks whether a segment may be touched by threads other than its owner. */
    private static final Thread OTHER_THREAD = Thread.ofVirtual().unstarted(() -> {});

    private final Kernels reference = new ReferenceKernels();
    private final CpuThreads threads;
    /** The last packed matvec (quads or panels) run on the pool: the next one is its successor ({@link MatvecReadahead}). */
    private volatile MatvecReadahead lastMatvec;

    public VectorKernels(CpuThreads threads) { this.threads = threads; }

    /** On the shared pool. */
    public VectorKernels() { this(CpuThreads.shared()); }

    // ---- matmul and attention ----

    @Override public void matmul(Tensor a, Tensor b, Tensor out, boolean transA, boolean transB) {
        DType bType = b.dtype();
        boolean weightForm = transB && b.rank() == 2;
        if (a.dtype() != DType.F32 || out.dtype() != DType.F32 || !WeightRows.supports(bType)
                || (bType != DType.F32 && !weightForm)) {
            reference.matmul(a, b, out, transA, transB);
            return;
        }
        int k = transA ? a.dim(-2) : a.dim(-1);
        int n = transB ? b.dim(-2) : b.dim(-1);
        boolean parallel = shareable(a, b, out);
        if (b.rank() == 2 && !transA) {
            // a rank-2 b is shared by every row of a: one [rows, K] matrix
            int rows = Math.toIntExact(a.shape().rows());
            PackedWeight packed = weightForm ? ((CpuStorage) b.storage()).packedWeight(b.byteOffset(), bType, n, k, threads, parallel) : null;
            if (transB && rows <= MATVEC_MAX_ROWS) {
                matvec(segment(a), rows, segment(b), bType, packed, n, k, segment(out), parallel);
            } else if (tokenTiles(packed, rows)) {
                packedMultiply(segment(a), rows, new PackedWeight[]{packed}, new int[]{n}, k, new MemorySegment[]{segment(out)}, parallel);
            } else if (packed != null) {
                Gemm.multiplyPacked(segment(a), packed, segment(out), rows, k, n, threads, parallel);
            } else {
                Gemm.multiply(new Gemm.Problem(segment(a), segment(b), bType, segment(out), 1, 1, rows, k, n, false, transB),
                        threads, parallel);
            }
            return;
        }
        int m = transA ? a.dim(-1) : a.dim(-2);
        long batchesA = a.size() / ((long) m * k), batchesB = b.size() / ((long) k * n);
        Gemm.multiply(new Gemm.Problem(segment(a), segment(b), bType, segment(out), Math.toIntExact(batchesA),
                Math.toIntExact(batchesA / batchesB), m, k, n, transA, transB), threads, parallel);
    }

    /**
     * One parallel job for several matvecs of one input whose weights are packed alike (Llama's q, k and v; gate and
     * up): the activations are prepared once, and small matrices ride in a large one's chunks instead of paying a
     * preparation, a wake-up and a prefetch ramp of their own (TinyLlama's k and v took 15-16 us each, for 295 KB).
     */
    @Override public void linears(Tensor x, Tensor[] ws, Tensor[] outs) {
        int rows = Math.toIntExact(x.shape().rows()), k = x.dim(-1);
        boolean parallel = shareable(x);
        for (int i = 0; i < ws.length; i++) parallel &= shareable(ws[i], outs[i]);
        PackedWeight[] packed = new PackedWeight[ws.length];
        int[] ns = new int[ws.length];
        MemorySegment[] outSegments = new MemorySegment[ws.length];
        for (int i = 0; i < ws.length; i++) {
            Tensor w = ws[i];
            boolean packable = x.dtype() == DType.F32 && w.rank() == 2 && w.dim(1) == k
                    && WeightRows.supports(w.dtype()) && outs[i].dtype() == DType.F32;
            packed[i] = packable ? ((CpuStorage) w.storage()).packedWeight(w.byteOffset(), w.dtype(), w.dim(0), k, threads, parallel) : null;
            boolean multiplies = rows <= MATVEC_MAX_ROWS || tokenTiles(packed[i], rows);
            if (packed[i] == null || !multiplies || !packedAlike(packed[i], packed[0])) {
                Kernels.super.linears(x, ws, outs);
                return;
            }
            ns[i] = w.dim(0);
            outSegments[i] = segment(outs[i]);
        }
        packedMultiply(segment(x), rows, packed, ns, k, outSegments, parallel);
    }

    /** Whether a matmul of {@code rows} activation rows on this packed weight takes its integer token tiles. */
    private static boolean tokenTiles(PackedWeight packed, int rows) {
        return packed instanceof PackedRows quantized && quantized.multipliesTokens(rows);
    }

    /** Whether two packed weights take the same prepared activations: both column panels, or rows of one dtype. */
    private static boolean packedAlike(PackedWeight a, PackedWeight b) {
        return a instanceof PanelRows && b instanceof PanelRows
                || a instanceof PackedRows pa && b instanceof PackedRows pb && pa.dtype() == pb.dtype();
    }

    /**
     * out[r, j] = x[r] . w[j] for few rows x [rows, K] and weight rows w [N, K]: w streams once, split over j; from
     * the {@link PackedWeight} copy of w when there is one.
     */
    private void matvec(MemorySegment a, int rows, MemorySegment w, DType wType, PackedWeight packed, int n, int k,
                        MemorySegment out, boolean parallel) {
        if (packed != null) {
            packedMultiply(a, rows, new PackedWeight[]{packed}, new int[]{n}, k, new MemorySegment[]{out}, parallel);
            return;
        }
        float[] x = activations(a, rows * k);
        boolean split = parallel && n * wType.bytes(k) >= MATVEC_PARALLEL_BYTES;
        int blocks = k / DType.Q4_0.blockSize();
        float[] sums = Scratch.floats(Scratch.Slot.BLOCK_SUMS, rows * blocks);
        if (wType == DType.Q4_0) {
            for (int r = 0; r < rows; r++) WeightRows.blockSums(x, r * k, k, sums, r * blocks);
        }
        long rowBytes = wType.bytes(k);
        threads.forEach(n, matvecGrain(n), split, (start, end) -> {
            for (int j = start; j < end; j++) {
                for (int r = 0; r < rows; r++) {
                    out.set(FLOAT, 4L * ((long) r * n + j), WeightRows.dot(wType, w, j * rowBytes, x, r * k, sums, r * blocks, k));
                }
            }
        });
    }

    /**
     * outs[i][r, j] = x[r] . w_i[j] for weights packed {@link #packedAlike alike}, their rows one range split over
     * the threads: matrix i's rows follow matrix i - 1's. Quantized matvecs go in quads (their tails in quads of row blocks)
     * claimed from both ends ({@link #multiplyQuads}), other matvecs in one chunk per thread (panel rows: each
     * thread's own, read ahead as the quads are); a prompt's tiles, bound by compute, in chunks of {@link #TILE_GRAIN}
     * rows.
     */
    private void packedMultiply(MemorySegment a, int rows, PackedWeight[] ws, int[] ns, int k, MemorySegment[] outs,
                              boolean parallel) {
        if (rows > Gemm.TOKENS_PER_PASS) {
            // a long prompt in passes: the activations' copies (a float row and a prepared row per token) stay bounded
            for (int r0 = 0; r0 < rows; r0 += Gemm.TOKENS_PER_PASS) {
                int count = Math.min(Gemm.TOKENS_PER_PASS, rows - r0);
                MemorySegment[] passOuts = new MemorySegment[outs.length];
                for (int i = 0; i < outs.length; i++) passOuts[i] = outs[i].asSlice(4L * r0 * ns[i], 4L * count * ns[i]);
                packedMultiply(a.asSlice(4L * r0 * k, 4L * count * k), count, ws, ns, k, passOuts, parallel);
            }
            return;
        }
        float[] x = activations(a, rows * k);
        int[] firstRow = new int[ws.length + 1];
        long bytes = 0;
        for (int i = 0; i < ws.length; i++) {
            firstRow[i + 1] = firstRow[i] + ns[i];
            bytes += ns[i] * ws[i].dtype().bytes(k);
        }
        boolean split = parallel && bytes * rows >= MATVEC_PARALLEL_BYTES; // a prompt's work grows with its tokens
        CpuThreads.RangeTask[] tasks = new CpuThreads.RangeTask[ws.length];
        boolean prescaled = ws[0] instanceof PanelRows && prescalable(ws) && WeightRows.prescaleForF16(x, rows * k);
        if (ws[0] instanceof PanelRows) {
            for (int i = 0; i < ws.length; i++) {
                PanelRows panels = (PanelRows) ws[i];
                MemorySegment out = outs[i];
                int n = ns[i];
                tasks[i] = (start, end) -> panels.multiply(start, end, rows, x, prescaled, out, n);
            }
        } else {
            PackedRows first = (PackedRows) ws[0];
            int prepared = first.preparedRows(rows);
            MemorySegment xt = Scratch.alignedFloats(Scratch.Slot.PACKED_ACTIVATIONS, prepared * first.preparedBytes() / 4);
            threads.forEach(prepared, MATVEC_MAX_ROWS, parallel, (start, end) -> {
                for (int r = start; r < end; r++) first.prepare(x, rows, r, xt);
            });
            if (byQuads(ws, rows)) {
                multiplyQuads(ws, rows, xt, outs, ns, split);
                return;
            }
            for (int i = 0; i < ws.length; i++) {
                PackedRows quantized = (PackedRows) ws[i];
                MemorySegment out = outs[i];
                int n = ns[i];
                tasks[i] = (start, end) -> quantized.multiply(start, end, rows, xt, out, n);
            }
        }
        int total = firstRow[ws.length];
        CpuThreads.RangeTask all = (start, end) -> {
            for (int i = 0; i < ws.length; i++) {
                int from = Math.max(start, firstRow[i]), to = Math.min(end, firstRow[i + 1]);
                if (from < to) tasks[i].run(from - firstRow[i], to - firstRow[i]);
            }
        };
        if (rows <= MATVEC_MAX_ROWS && ws[0] instanceof PanelRows) {
            // one segment a thread, each claimed whole (by its own thread, which so knows its rows before the job)
            int segments = split ? Math.min(threads.size(), (total + MATVEC_MIN_ROWS - 1) / MATVEC_MIN_ROWS) : 1;
            int[] segmentStarts = new int[segments + 1];
            for (int s = 0; s <= segments; s++) segmentStarts[s] = (int) ((long) total * s / segments);
            PanelRows[] panels = Arrays.copyOf(ws, ws.length, PanelRows[].class);
            MatvecReadahead next = split && readingAhead() ? successor(new PanelReadahead(panels, firstRow, segmentStarts, prescaled)) : null;
            threads.forEachFromBothEnds(segmentStarts, total, split, all, next);
        } else {
            threads.forEach(total, rows > MATVEC_MAX_ROWS ? TILE_GRAIN : matvecGrain(total), split, all);
        }
    }

    /** Whether every one of these {@link PanelRows} takes prescaled activations. */
    private static boolean prescalable(PackedWeight[] ws) {
        for (PackedWeight w : ws) {
            if (!((PanelRows) w).prescalable()) return false;
        }
        return true;
    }

    private static boolean byQuads(PackedWeight[] ws, int rows) {
        for (PackedWeight w : ws) {
            if (!(w instanceof PackedRows quantized) || quantized.multipliesTokens(rows)) return false;
        }
        return true;
    }

    /**
     * The matvecs of {@link #packedMultiply} as {@link MatvecQuads}, one segment a thread, claimed from both ends
     * ({@link CpuThreads#forEachFromBothEnds}): the threads end together, where fixed halves each ended 40-60 us
     * apart on average, either one first (bench/README.md, session 12). A matrix of several column panels is one unit
     * of work per panel, so any thread may take any panel's quads: its first panel's dot products go to the output,
     * the others' to rows of partial sums added after the job. TinyLlama's down projection (three panels) took fixed
     * halves before, and one thread was often slower for a whole process (bench/README.md, session 14).
     */
    private void multiplyQuads(PackedWeight[] ws, int rows, MemorySegment xt, MemorySegment[] outs, int[] ns, boolean split) {
        int[] panels = new int[ws.length], lastPanelUnitRows = new int[ws.length];
        long partialFloats = 0;
        for (int i = 0; i < ws.length; i++) {
            panels[i] = ((PackedRows) ws[i]).panels();
            lastPanelUnitRows[i] = ((PackedRows) ws[i]).unitRows(panels[i] - 1);
            partialFloats += (long) (panels[i] - 1) * rows * ns[i];
        }
        MemorySegment partials = Scratch.alignedFloats(Scratch.Slot.PANEL_PARTIALS, Math.max(1, partialFloats));
        MemorySegment[][] targets = new MemorySegment[ws.length][];
        long at = 0;
        for (int i = 0; i < ws.length; i++) {
            long bytes = 4L * rows * ns[i];
            targets[i] = new MemorySegment[panels[i]];
            targets[i][0] = outs[i];
            for (int p = 1; p < panels[i]; p++, at += bytes) targets[i][p] = partials.asSlice(at, bytes);
        }
        MatvecQuads plan = MatvecQuads.of(ns, panels, lastPanelUnitRows, split ? threads.size() : 1);
        MatvecReadahead next = split && readingAhead() ? successor(new QuadReadahead(ws, plan)) : null;
        threads.forEachFromBothEnds(plan.segmentStarts(), MIN_PASS_QUADS, split, (start, end) -> {
            for (MatvecQuads.Piece piece : plan.pieces()) {
                int from = Math.max(start, piece.firstQuad()), to = Math.min(end, piece.quadEnd());
                if (from < to) {
                    int i = piece.matrix();
                    ((PackedRows) ws[i]).multiplyQuads(piece.start(), piece.end(), from - piece.firstQuad(), to - piece.firstQuad(),
                            piece.panel(), rows, xt, targets[i][piece.panel()], ns[i]);
                }
            }
        }, next);
        for (int i = 0; i < ws.length; i++) {
            for (int p = 1; p < panels[i]; p++) zipRun(outs[i], targets[i][p], outs[i], 0, 0, rows * ns[i], false);
        }
    }

    /**
     * Records {@code matvec} as the successor of the one before it, and returns the one that followed it last time, for
     * the threads to read ahead once done with it. TinyLlama generation, on against off in one process ({@code SwitchAB},
     * 40-50 rounds; a switch nobody reads: 26 of 50, median ratio 1.001): Q4_0 faster in 35 and 39 of 50 rounds,
     * median ratios 1.027 and 1.035; Q8_0 in 29 of 40 and 30 of 50, 1.028 and 1.026; F16 (a token's gaps are a
     * smaller share of its 2 GB) in 24 and 23 of 40, 1.014 and 1.011. With the workers alone reading ahead (not the
     * caller at a job's end): Q4_0 1.014-1.033, Q8_0 level.
     */
    private MatvecReadahead successor(MatvecReadahead matvec) {
        MatvecReadahead before = lastMatvec;
        if (before != null) before.first().follow(matvec);
        lastMatvec = matvec;
        return matvec.first().following();
    }

    /** Whether matvecs read ahead ({@link #READ_AHEAD}). */
    private static boolean readingAhead() { return !"false".equals(System.getProperty(READ_AHEAD)); }

    /** This thread's activation buffer holding the {@code count} floats of a. */
    private static float[] activations(MemorySegment a, int count) {
        float[] x = Scratch.floats(Scratch.Slot.ACTIVATIONS, count);
        MemorySegment.copy(a, FLOAT, 0, x, 0, count);
        return x;
    }

    private int matvecGrain(int n) {
        return Math.max(MATVEC_MIN_ROWS, (n + threads.size() - 1) / threads.size());
    }

    @Override public void attention(Tensor q, Tensor k, Tensor v, float scale, int pos0, Tensor out) {
        boolean kvSupported = (k.dtype() == DType.F32 || k.dtype() == DType.F16) && (v.dtype() == DType.F32 || v.dtype() == DType.F16);
        if (q.dtype() != DType.F32 || out.dtype() != DType.F32 || !kvSupported) {
            reference.attention(q, k, v, scale, pos0, out);
            return;
        }
        int heads = q.dim(1), headDim = q.dim(2), kvHeads = k.dim(1), headsPerKv = heads / kvHeads;
        MemorySegment qs = segment(q), ks = segment(k), vs = segment(v), os = segment(out);
        DType kType = k.dtype(), vType = v.dtype();
        // a head's rows are a cache row apart in a position-major cache, one after another in a head-major one
        long kRowStride = kType.bytes(k.stride(0)), kHeadStride = kType.bytes(k.stride(1));
        long vRowStride = vType.bytes(v.stride(0)), vHeadStride = vType.bytes(v.stride(1));
        int tokens = q.dim(0), rows = tokens * heads, perKvHead = tokens * headsPerKv;
        long work = (long) rows * (pos0 + tokens) * headDim;
        boolean split = work >= ATTENTION_PARALLEL_WORK && shareable(q, k, v, out);
        // The work is numbered KV head by KV head, then token, then query head, so a chunk's K and V rows stay in cache
        // and an F16 cache is staged once per chunk, not once per token. A decode step: one KV head's heads a chunk
        // where that leaves two chunks per thread; a prompt: eight chunks per KV head, so that the later tokens'
        // longer rows even out.
        int grain = tokens == 1 ? Math.max(1, Math.min(headsPerKv, rows / (2 * threads.size())))
                : headsPerKv * ((tokens + PROMPT_CHUNKS_PER_KV_HEAD - 1) / PROMPT_CHUNKS_PER_KV_HEAD);
        int seen = pos0 + tokens;
        boolean staged = kType != DType.F32 || vType != DType.F32;
        threads.forEach(rows, grain, split, (start, end) -> {
            if (staged && tokens == 1) {
                // a decode step converts its F16 rows a block at a time, once for each run of one KV head's query heads
                for (int i = start, runEnd; i < end; i = runEnd) {
                    int kvHead = i / headsPerKv;
                    runEnd = Math.min(end, (kvHead + 1) * headsPerKv);
                    decodeStagedInBlocks(qs, ks, kType, kvHead * kHeadStride, kRowStride, vs, vType, kvHead * vHeadStride, vRowStride,
                            headDim, pos0 + 1, scale, i, runEnd - i, os);
                }
                return;
            }
            float[] scores = Scratch.floats(Scratch.Slot.SCORES, AttentionRows.MAX_WIDTH * (seen + 1));
            // A prompt's F16 rows are converted once per KV head and chunk for all its query heads and tokens (read in
            // place, each head's F16 loads passed C2's inlining budget and came back boxed: 66 against 12 us a TinyLlama
            // decode step).
            MemorySegment keys = staged ? Scratch.alignedFloats(Scratch.Slot.STAGED_KEYS, (long) seen * headDim) : ks;
            MemorySegment values = staged ? Scratch.alignedFloats(Scratch.Slot.STAGED_VALUES, (long) seen * headDim) : vs;
            long keyStride = staged ? 4L * headDim : kRowStride, valueStride = staged ? 4L * headDim : vRowStride;
            int stagedHead = -1, stagedRows = 0;
            for (int i = start; i < end; ) {
                int kvHead = i / perKvHead, t = i % perKvHead / headsPerKv, visible = pos0 + t + 1;
                int row = t * heads + kvHead * headsPerKv + i % headsPerKv;
                if (staged && (kvHead != stagedHead || visible > stagedRows)) {
                    int from = kvHead == stagedHead ? stagedRows : 0;
                    AttentionRows.stage(kType, ks, kvHead * kHeadStride, kRowStride, headDim, from, visible, keys);
                    AttentionRows.stage(vType, vs, kvHead * vHeadStride, vRowStride, headDim, from, visible, values);
                    stagedHead = kvHead;
                    stagedRows = visible;
                }
                long qAt = 4L * row * headDim, keyAt = staged ? 0 : kvHead * kHeadStride, valueAt = staged ? 0 : kvHead * vHeadStride;
                // up to four query heads of one KV head and token at a time: each K and V row loaded once for all
                int width = AttentionRows.width(Math.min(end - i, headsPerKv - i % headsPerKv), headDim), inverseAt = width * visible;
                AttentionRows.scoreHeads(width, qs, qAt, 4L * headDim, keys, keyAt, keyStride, headDim, visible, scale, scores);
                for (int j = 0; j < width; j++) {
                    scores[inverseAt + j] = 1f / expShifted(scores, j * visible, visible, max(scores, j * visible, visible));
                }
                AttentionRows.weightedSumHeads(width, scores, visible, values, valueAt, valueStride, headDim, scores, inverseAt,
                        os, qAt, 4L * headDim);
                i += width;
            }
        });
    }

    /**
     * A decode step's attention for query heads [firstHead, firstHead + count) of one KV head over an F16 or BF16
     * cache, its rows converted to F32 a block at a time into L1 and each block used by every head before the next.
     * Converted whole, a KV head's 1,024 positions were 256 KiB each of K and V written to L2, bound by those stores
     * however fast the conversion; in blocks, with {@link WeightRows#decodeRun16}, a TinyLlama layer's F16 attention at
     * 1,024 positions takes 86-98 against 102-166 us, F32's 52-76 (AttentionBenchmark, cache in L2/L3, builds alternating).
     */
    private static void decodeStagedInBlocks(MemorySegment qs, MemorySegment ks, DType kType, long kAt, long kRowStride,
                                             MemorySegment vs, DType vType, long vAt, long vRowStride, int headDim, int visible,
                                             float scale, int firstHead, int count, MemorySegment os) {
        int block = Math.max(L, STAGED_BLOCK_FLOATS / headDim);
        // each head's scores (then weights), then each head's 1 / softmax sum
        float[] scores = Scratch.floats(Scratch.Slot.SCORES, count * visible + count);
        int inverseAt = count * visible;
        float[] blockScores = Scratch.floats(Scratch.Slot.BLOCK_SCORES, AttentionRows.MAX_WIDTH * block);
        MemorySegment rows = Scratch.alignedFloats(Scratch.Slot.STAGED_KEYS, (long) block * headDim);
        MemorySegment partial = Scratch.alignedFloats(Scratch.Slot.BLOCK_OUTPUTS, (long) AttentionRows.MAX_WIDTH * headDim);
        long rowBytes = 4L * headDim;
        inBlocks(kType, ks, kAt, kRowStride, headDim, visible, block, count, rows, (b, n, h, width) -> {
            long qAt = (firstHead + h) * rowBytes;
            AttentionRows.scoreHeads(width, qs, qAt, rowBytes, rows, 0, rowBytes, headDim, n, scale, blockScores);
            for (int j = 0; j < width; j++) System.arraycopy(blockScores, j * n, scores, (h + j) * visible + b, n);
        });
        for (int h = 0; h < count; h++) {
            scores[inverseAt + h] = 1f / expShifted(scores, h * visible, visible, max(scores, h * visible, visible));
        }
        inBlocks(vType, vs, vAt, vRowStride, headDim, visible, block, count, rows, (b, n, h, width) -> {
            long oAt = (firstHead + h) * rowBytes;
            for (int j = 0; j < width; j++) System.arraycopy(scores, (h + j) * visible + b, blockScores, j * n, n);
            // the first block writes the heads' outputs, the others add to them (each block's sum scaled by 1 / sum)
            MemorySegment target = b == 0 ? os : partial;
            long targetAt = b == 0 ? oAt : 0;
            AttentionRows.weightedSumHeads(width, blockScores, n, rows, 0, rowBytes, headDim, scores, inverseAt + h, target, targetAt, rowBytes);
            if (b > 0) zipRun(os, partial, os, oAt / 4, 0, width * headDim, false);
        });
    }

    /** One block's work for heads [h, h + width) of {@link #decodeStagedInBlocks}: rows [b, b + n), staged. */
    @FunctionalInterface
    private interface BlockWork {
        void run(int b, int n, int h, int width);
    }

    /**
     * Stages rows [0, visible) of src into rows a block at a time and runs work on each block for the heads, as many a
     * call as {@link AttentionRows#width} allows.
     */
    private static void inBlocks(DType t, MemorySegment src, long at, long rowStride, int headDim, int visible, int block,
                                 int count, MemorySegment rows, BlockWork work) {
        for (int b = 0; b < visible; b += block) {
            int n = Math.min(block, visible - b);
            AttentionRows.stage(t, src, at + b * rowStride, rowStride, headDim, 0, n, rows);
            for (int h = 0; h < count; ) {
                int width = AttentionRows.width(count - h, headDim);
                work.run(b, n, h, width);
                h += width;
            }
        }
    }

    // ---- elementwise ----

    @Override public void add(Tensor a, Tensor b, Tensor out) {
        if (!allF32(a, b, out)) reference.add(a, b, out);
        else zip(a, b, out, false);
    }

    @Override public void mul(Tensor a, Tensor b, Tensor out) {
        if (!allF32(a, b, out)) reference.mul(a, b, out);
        else zip(a, b, out, true);
    }

    /** out[i] = a[i] (+ or *) b[i % b.size]. */
    private void zip(Tensor a, Tensor b, Tensor out, boolean multiply) {
        MemorySegment as = segment(a), bs = segment(b), os = segment(out);
        long bSize = b.size();
        forElements(out.size(), shareable(a, b, out), (start, end) -> {
            if (bSize == 1) {
                float s = bs.get(FLOAT, 0);
                lanes(as, os, start, (int) (end - start), multiply ? s : 1f, multiply ? 0f : s);
                return;
            }
            for (long i = start; i < end; ) {
                long j = i % bSize;
                int n = (int) Math.min(end - i, bSize - j);
                zipRun(as, bs, os, i, j, n, multiply);
                i += n;
            }
        });
    }

    /** out[i + e] = a[i + e] (+ or *) b[j + e] for e < n. */
    private static void zipRun(MemorySegment as, MemorySegment bs, MemorySegment os, long i, long j, int n, boolean multiply) {
        int e = 0;
        for (; e <= n - L; e += L) {
            FloatVector x = FloatVector.fromMemorySegment(F, as, 4 * (i + e), LE), y = FloatVector.fromMemorySegment(F, bs, 4 * (j + e), LE);
            (multiply ? x.mul(y) : x.add(y)).intoMemorySegment(os, 4 * (i + e), LE);
        }
        for (; e < n; e++) {
            float x = as.get(FLOAT, 4 * (i + e)), y = bs.get(FLOAT, 4 * (j + e));
            os.set(FLOAT, 4 * (i + e), multiply ? x * y : x + y);
        }
    }

    /** out[i + e] = a[i + e] * m + c for e < n. */
    private static void lanes(MemorySegment as, MemorySegment os, long i, int n, float m, float c) {
        int e = 0;
        for (; e <= n - L; e += L) {
            FloatVector.fromMemorySegment(F, as, 4 * (i + e), LE).fma(m, c).intoMemorySegment(os, 4 * (i + e), LE);
        }
        for (; e < n; e++) os.set(FLOAT, 4 * (i + e), Math.fma(as.get(FLOAT, 4 * (i + e)), m, c));
    }

    /** out[e] = (a[e] * s) * b[e] for e < n. */
    private static void scaledProducts(MemorySegment as, MemorySegment bs, MemorySegment os, int n, float s) {
        int e = 0;
        for (; e <= n - L; e += L) {
            FloatVector.fromMemorySegment(F, as, 4L * e, LE).mul(s).mul(FloatVector.fromMemorySegment(F, bs, 4L * e, LE))
                    .intoMemorySegment(os, 4L * e, LE);
        }
        for (; e < n; e++) os.set(FLOAT, 4L * e, as.get(FLOAT, 4L * e) * s * bs.get(FLOAT, 4L * e));
    }

    @Override public void scale(Tensor a, float s, Tensor out) {
        if (!allF32(a, out)) {
            reference.scale(a, s, out);
            return;
        }
        MemorySegment as = segment(a), os = segment(out);
        forElements(out.size(), shareable(a, out), (start, end) -> lanes(as, os, start, (int) (end - start), s, 0f));
    }

    @Override public void silu(Tensor x, Tensor out) {
        if (!allF32(x, out)) {
            reference.silu(x, out);
            return;
        }
        MemorySegment xs = segment(x), os = segment(out);
        forElements(out.size(), shareable(x, out), (start, end) -> {
            long i = start;
            for (; i <= end - L; i += L) {
                FloatVector v = FloatVector.fromMemorySegment(F, xs, 4 * i, LE);
                silu(v).intoMemorySegment(os, 4 * i, LE);
            }
            for (; i < end; i++) {
                float v = xs.get(FLOAT, 4 * i);
                os.set(FLOAT, 4 * i, v / (1f + (float) Math.exp(-v)));
            }
        });
    }

    @Override public void swiglu(Tensor gate, Tensor up, Tensor out) {
        if (!allF32(gate, up, out)) {
            reference.swiglu(gate, up, out);
            return;
        }
        MemorySegment gs = segment(gate), us = segment(up), os = segment(out);
        forElements(out.size(), shareable(gate, up, out), (start, end) -> {
            long i = start;
            for (; i <= end - L; i += L) {
                FloatVector g = FloatVector.fromMemorySegment(F, gs, 4 * i, LE);
                silu(g).mul(FloatVector.fromMemorySegment(F, us, 4 * i, LE)).intoMemorySegment(os, 4 * i, LE);
            }
            for (; i < end; i++) {
                float g = gs.get(FLOAT, 4 * i);
                os.set(FLOAT, 4 * i, g / (1f + (float) Math.exp(-g)) * us.get(FLOAT, 4 * i));
            }
        });
    }

    /** x sigmoid(x) = x / (1 + e^-x). */
    private static FloatVector silu(FloatVector x) {
        return x.div(x.neg().lanewise(VectorOperators.EXP).add(1f));
    }

    // ---- row-wise ----

    @Override public void rmsNorm(Tensor x, float eps, Tensor out) {
        if (!allF32(x, out)) reference.rmsNorm(x, eps, out);
        else normRows(x, null, eps, out);
    }

    /** In one pass over each row, where the norm and then the weight's multiply each read and wrote the row. */
    @Override public void weightedRmsNorm(Tensor x, Tensor weight, float eps, Tensor out) {
        if (!allF32(x, weight, out)) reference.weightedRmsNorm(x, weight, eps, out);
        else normRows(x, segment(weight), eps, out);
    }

    /** out = x / rms(x), times the row weight w ([cols] floats) unless w is null, rounded as the two ops would be. */
    private void normRows(Tensor x, MemorySegment w, float eps, Tensor out) {
        int cols = x.shape().cols();
        MemorySegment xs = segment(x), os = segment(out);
        forRows(x.shape().rows(), cols, shareable(x, out), (start, end) -> {
            for (long r = start; r < end; r++) {
                long at = 4L * r * cols;
                FloatVector sq = FloatVector.zero(F);
                int c = 0;
                for (; c <= cols - L; c += L) {
                    FloatVector v = FloatVector.fromMemorySegment(F, xs, at + 4L * c, LE);
                    sq = v.fma(v, sq);
                }
                float sum = sq.reduceLanes(VectorOperators.ADD);
                for (; c < cols; c++) {
                    float v = xs.get(FLOAT, at + 4L * c);
                    sum += v * v;
                }
                float inv = (float) (1 / Math.sqrt((double) sum / cols + eps));
                if (w == null) lanes(xs.asSlice(at), os.asSlice(at), 0, cols, inv, 0f);
                else scaledProducts(xs.asSlice(at), w, os.asSlice(at), cols, inv);
            }
        });
    }

    @Override public void softmax(Tensor x, float scale, boolean causal, int offset, Tensor out) {
        if (!allF32(x, out)) {
            reference.softmax(x, scale, causal, offset, out);
            return;
        }
        int cols = x.shape().cols();
        int matrixRows = x.rank() >= 2 ? x.dim(-2) : 1;
        MemorySegment xs = segment(x), os = segment(out);
        forRows(x.shape().rows(), cols, shareable(x, out), (start, end) -> {
            float[] row = Scratch.floats(Scratch.Slot.SCORES, cols);
            for (long r = start; r < end; r++) {
                // causal: column c is visible from matrix row r % R when c <= r % R + offset
                int visible = causal ? (int) Math.clamp(r % matrixRows + offset + 1, 0, cols) : cols;
                MemorySegment.copy(xs, FLOAT, 4L * r * cols, row, 0, cols);
                Arrays.fill(row, visible, cols, 0f);
                if (visible > 0) {
                    for (int c = 0; c < visible; c++) row[c] *= scale;
                    float inv = 1f / expShifted(row, 0, visible, max(row, 0, visible));
                    for (int c = 0; c < visible; c++) row[c] *= inv;
                }
                MemorySegment.copy(row, 0, os, FLOAT, 4L * r * cols, cols);
            }
        });
    }

    /**
     * The largest of v[from, from + n). Each loop's vector op is called on a fresh load, never on the loop's
     * accumulator: C2 knows a load's exact vector class, an accumulator's only from a profile, and where that profile
     * was missing it left the op uninlined and boxed every vector (1% of a 600-token generation's samples, in
     * attention).
     */
    private static float max(float[] v, int from, int n) {
        FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = from, end = from + n;
        for (; i <= end - L; i += L) m = FloatVector.fromArray(F, v, i).max(m);
        float result = m.reduceLanes(VectorOperators.MAX);
        for (; i < end; i++) result = Math.max(result, v[i]);
        return result;
    }

    /** v[i] = exp(v[i] - shift) for i in [from, from + n); returns their sum. */
    private static float expShifted(float[] v, int from, int n, float shift) {
        FloatVector sum = FloatVector.zero(F);
        int i = from, end = from + n;
        for (; i <= end - L; i += L) {
            FloatVector e = FloatVector.fromArray(F, v, i).sub(shift).lanewise(VectorOperators.EXP);
            e.intoArray(v, i);
            sum = e.add(sum);
        }
        float total = sum.reduceLanes(VectorOperators.ADD);
        for (; i < end; i++) {
            v[i] = (float) Math.exp(v[i] - shift);
            total += v[i];
        }
        return total;
    }

    @Override public void rope(Tensor x, Tensor pos, int nRot, float freqBase, RopeMode mode, boolean inverse, Tensor out) {
        if (!allF32(x, out) || pos.dtype() != DType.I32) {
            reference.rope(x, pos, nRot, freqBase, mode, inverse, out);
            return;
        }
        int heads = x.dim(1), headDim = x.dim(2), half = nRot / 2;
        MemorySegment xs = segment(x), ps = segment(pos), os = segment(out);
        if (x.storage() != out.storage() || x.byteOffset() != out.byteOffset()) {
            MemorySegment.copy(xs, 0, os, 0, x.byteSize()); // then rotate out in place
        }
        int rows = x.dim(0), maxPosition = Integer.MIN_VALUE;
        for (int r = 0; r < rows; r++) maxPosition = Math.max(maxPosition, ps.getAtIndex(INT, r));
        RopeAngles table = RopeAngles.upTo(maxPosition, nRot, freqBase, inverse);
        threads.forEach(rows, Math.max(1, ELEMENT_GRAIN / (heads * headDim)), shareable(x, pos, out), (start, end) -> {
            for (int r = start; r < end; r++) {
                int p = ps.getAtIndex(INT, r);
                RopeAngles angles = table.at(p);
                int offset = angles.offset(p);
                for (int h = 0; h < heads; h++) {
                    long at = 4L * ((long) r * heads + h) * headDim;
                    if (mode == RopeMode.NEOX) rotateHalves(os, at, half, angles.cos(), angles.sin(), offset);
                    else rotatePairs(os, at, half, angles.cosPairs(), angles.sinPairs(), 2 * offset);
                }
            }
        });
    }

    /** NEOX: (v[i], v[i + half]) rotated by angle i (cos i and sin i at {@code angle + i}), in place. */
    private static void rotateHalves(MemorySegment s, long at, int half, float[] cos, float[] sin, int angle) {
        long hi = at + 4L * half;
        int i = 0;
        for (; i <= half - L; i += L) {
            FloatVector x0 = FloatVector.fromMemorySegment(F, s, at + 4L * i, LE), x1 = FloatVector.fromMemorySegment(F, s, hi + 4L * i, LE);
            FloatVector c = FloatVector.fromArray(F, cos, angle + i), sn = FloatVector.fromArray(F, sin, angle + i);
            x0.mul(c).sub(x1.mul(sn)).intoMemorySegment(s, at + 4L * i, LE);
            x0.mul(sn).add(x1.mul(c)).intoMemorySegment(s, hi + 4L * i, LE);
        }
        for (; i < half; i++) rotate(s, at + 4L * i, hi + 4L * i, cos[angle + i], sin[angle + i]);
    }

    /**
     * NORMAL: (v[2i], v[2i + 1]) rotated by angle i (its pair lanes at {@code lane + 2i}), in place, L / 2 pairs a
     * vector (see {@link RopeAngles#cosPairs}): one at a time, TinyLlama's q took 1.5 us a token and layer.
     */
    private static void rotatePairs(MemorySegment s, long at, int half, float[] cosPairs, float[] sinPairs, int lane) {
        int e = 0;
        for (; e <= 2 * half - L; e += L) {
            FloatVector x = FloatVector.fromMemorySegment(F, s, at + 4L * e, LE);
            x.mul(FloatVector.fromArray(F, cosPairs, lane + e)).add(x.rearrange(PAIR_SWAP).mul(FloatVector.fromArray(F, sinPairs, lane + e)))
                    .intoMemorySegment(s, at + 4L * e, LE);
        }
        for (; e < 2 * half; e += 2) rotate(s, at + 4L * e, at + 4L * e + 4, cosPairs[lane + e], sinPairs[lane + e + 1]);
    }

    private static void rotate(MemorySegment s, long i0, long i1, float cos, float sin) {
        float x0 = s.get(FLOAT, i0), x1 = s.get(FLOAT, i1);
        s.set(FLOAT, i0, x0 * cos - x1 * sin);
        s.set(FLOAT, i1, x0 * sin + x1 * cos);
    }

    // ---- copies ----

    /**
     * A contiguous source copies (or converts) in one run, a strided one with contiguous rows (a prompt's keys, one KV
     * head's) row by row; other strides go to the reference.
     */
    @Override public void copy(Tensor src, Tensor dst) {
        if (!copiesRows(src, dst)) reference.copy(src, dst);
        else copyRows(src, dst);
    }

    /** Through dst's strides as well, row by row: a decode step's KV write is one call for K and one for V, not one per head. */
    @Override public void copyToView(Tensor src, Tensor dst) {
        if (!copiesRows(src, dst)) Kernels.super.copyToView(src, dst);
        else copyRows(src, dst);
    }

    /** Whether {@link #copyRows} takes the pair: each side's rows contiguous, dtypes it converts between. */
    private static boolean copiesRows(Tensor src, Tensor dst) {
        boolean convertible = src.dtype() == dst.dtype() || src.dtype().isPlainFloat() && dst.dtype().isPlainFloat();
        return convertible && hasContiguousRows(src) && hasContiguousRows(dst);
    }

    private static boolean hasContiguousRows(Tensor t) { return t.isContiguous() || t.stride(-1) == 1; }

    /** src into dst (same shape), one run where both are contiguous, else row by row through each one's strides. */
    private static void copyRows(Tensor src, Tensor dst) {
        MemorySegment ss = segment(src), ds = segment(dst);
        if (src.isContiguous() && dst.isContiguous()) {
            copyRun(src.dtype(), ss, 0, dst.dtype(), ds, 0, src.size());
            return;
        }
        int cols = src.dim(-1);
        for (long r = 0, rowCount = src.size() / cols; r < rowCount; r++) {
            copyRun(src.dtype(), ss, rowStart(src, r), dst.dtype(), ds, rowStart(dst, r), cols);
        }
    }

    /** The element offset of row r (rows counted row-major over all dimensions but the last) through t's strides. */
    private static long rowStart(Tensor t, long r) {
        long at = 0, rest = r;
        for (int d = t.rank() - 2; d >= 0; d--) {
            at += rest % t.dim(d) * t.stride(d);
            rest /= t.dim(d);
        }
        return at;
    }

    /** n elements from element {@code from} of src to element {@code to} of dst, converted when their dtypes differ. */
    private static void copyRun(DType srcType, MemorySegment src, long from, DType dstType, MemorySegment dst, long to, long n) {
        if (srcType == dstType) {
            MemorySegment.copy(src, srcType.bytes(from), dst, dstType.bytes(to), srcType.bytes(n));
            return;
        }
        float[] chunk = Scratch.floats(Scratch.Slot.ROW, COPY_CHUNK);
        for (long i = 0; i < n; i += COPY_CHUNK) {
            int count = (int) Math.min(COPY_CHUNK, n - i);
            srcType.codec().decode(src, srcType.bytes(from + i), chunk, 0, count);
            dstType.codec().encode(chunk, 0, dst, dstType.bytes(to + i), count);
        }
    }

    // ---- delegated to the reference ----

    /**
     * The reference's: through {@link WeightRows#decode}, the mapped embedding table put a second segment class at the
     * vector loads the packed F16 kernels share, and C2 compiled them without their intrinsics (F16 generation's jobs
     * at 30-47 against 50-64 GB/s, builds alternating in one JVM; bench/README.md, session 24).
     */
    @Override public void getRows(Tensor table, Tensor ids, Tensor out) { reference.getRows(table, ids, out); }

    @Override public void setRows(Tensor src, Tensor ids, Tensor dst) { reference.setRows(src, ids, dst); }

    @Override public void addRows(Tensor src, Tensor ids, Tensor dst) { reference.addRows(src, ids, dst); }

    @Override public void reduce(Tensor x, ReduceOp op, Tensor out) { reference.reduce(x, op, out); }

    @Override public void sumRows(Tensor x, Tensor out) { reference.sumRows(x, out); }

    @Override public void expandRows(Tensor src, float s, Tensor out) { reference.expandRows(src, s, out); }

    @Override public void crossEntropy(Tensor logits, Tensor targets, Tensor out) { reference.crossEntropy(logits, targets, out); }

    @Override public void klDiv(Tensor teacher, Tensor student, float temperature, boolean reverse, Tensor out) {
        reference.klDiv(teacher, student, temperature, reverse, out);
    }

    @Override public void siluBackward(Tensor x, Tensor dy, Tensor dx) { reference.siluBackward(x, dy, dx); }

    @Override public void swigluBackward(Tensor gate, Tensor up, Tensor dy, Tensor dGate, Tensor dUp) {
        reference.swigluBackward(gate, up, dy, dGate, dUp);
    }

    @Override public void rmsNormBackward(Tensor x, Tensor dy, float eps, Tensor dx) { reference.rmsNormBackward(x, dy, eps, dx); }

    @Override public void softmaxBackward(Tensor y, Tensor dy, float scale, Tensor dx) { reference.softmaxBackward(y, dy, scale, dx); }

    @Override public void crossEntropyBackward(Tensor logits, Tensor targets, Tensor dLoss, Tensor dLogits) {
        reference.crossEntropyBackward(logits, targets, dLoss, dLogits);
    }

    @Override public void klDivBackward(Tensor teacher, Tensor student, float temperature, boolean reverse, Tensor dLoss,
                                        Tensor dStudent) {
        reference.klDivBackward(teacher, student, temperature, reverse, dLoss, dStudent);
    }

    @Override public void adamw(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                                float weightDecay, int step) {
        reference.adamw(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step);
    }

    @Override public void fill(Tensor t, float value) { reference.fill(t, value); }

    // ---- helpers ----

    /** Runs [0, size) elements in chunks of {@link #ELEMENT_GRAIN}, in parallel when large enough. */
    private void forElements(long size, boolean parallel, LongRange task) {
        int chunks = Math.toIntExact((size + ELEMENT_GRAIN - 1) / ELEMENT_GRAIN);
        threads.forEach(chunks, 1, parallel, (start, end) -> task.run((long) start * ELEMENT_GRAIN, Math.min(size, (long) end * ELEMENT_GRAIN)));
    }

    /** Runs rows [0, rows) of {@code cols} elements, about {@link #ELEMENT_GRAIN} elements per chunk. */
    private void forRows(long rows, int cols, boolean parallel, LongRange task) {
        threads.forEach(Math.toIntExact(rows), Math.max(1, ELEMENT_GRAIN / Math.max(1, cols)), parallel, task::run);
    }

    @FunctionalInterface
    private interface LongRange {
        void run(long start, long end);
    }

    private static MemorySegment segment(Tensor t) { return CpuBackend.segment(t); }

    /** Whether every operand may be touched by pool threads (false for a file mapped in a confined arena). */
    private static boolean shareable(Tensor... operands) {
        for (Tensor t : operands) {
            if (!segment(t).isAccessibleBy(OTHER_THREAD)) return false;
        }
        return true;
    }

    private static boolean allF32(Tensor... operands) {
        for (Tensor t : operands) {
            if (t.dtype() != DType.F32) return false;
        }
        return true;
    }
}
