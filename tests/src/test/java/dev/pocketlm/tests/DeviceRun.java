package dev.pocketlm.tests;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Kernels;
import dev.pocketlm.tensor.Shape;
import dev.pocketlm.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * One case on one backend: uploads host inputs and hands out guarded outputs. A guarded output is the middle
 * slice of a larger tensor whose extra leading and trailing rows hold a sentinel byte pattern; {@link #read}
 * reports any guard byte a kernel overwrote. Callers run it inside a scope that frees what it allocates.
 */
public final class DeviceRun {
    /** The sentinel byte: finite as F32 (-1.0e5), F16 (-7.8) and BF16, so an unwritten output shows as a large error. */
    static final byte SENTINEL = (byte) 0xC7;
    /** At least this many guard bytes on each side of an output. */
    private static final int GUARD_BYTES = 64;
    /** The base-address alignment devices give allocations (CUDA 256 bytes, OpenCL usually 128). */
    private static final long ALIGN = 256;

    private record Guarded(Tensor big, long guardBytes) {}

    private final Backend backend;
    private final Map<Tensor, Guarded> guarded = new IdentityHashMap<>();
    private final List<String> guardViolations = new ArrayList<>();

    public DeviceRun(Backend backend) { this.backend = backend; }

    public Kernels kernels() { return backend.kernels(); }

    /** An F32 input. */
    public Tensor input(float[] values, int... dims) { return backend.fromFloats(values, dims); }

    /** An input of a floating dtype, encoded (rounded or quantized) by the reference codec. */
    public Tensor input(DType dtype, float[] values, int... dims) { return backend.fromFloats(dtype, values, dims); }

    /** A weight as a model file's are: read-only host memory handed to {@link Backend#map} (the CPU repacks such rows). */
    public Tensor weight(DType dtype, float[] values, int... dims) {
        Shape shape = Shape.of(dims);
        MemorySegment bytes = MemorySegment.ofArray(new byte[Math.toIntExact(dtype.bytes(shape.size()))]);
        dtype.codec().encode(values, 0, bytes, 0, values.length);
        return backend.map(dtype, shape, bytes.asReadOnly());
    }

    /** A head-major KV cache [Hkv, capacity, D] as attention takes it: the [positions, Hkv, D] view of its first rows. */
    public static Tensor positionsFirst(Tensor headMajor, int positions) {
        return headMajor.narrow(1, 0, positions).transpose(0, 1);
    }

    /** An I32 vector [n] of row ids, positions or targets. */
    public Tensor ids(int[] values) { return backend.fromInts(values, values.length); }

    public Tensor ints(int[] values, int... dims) { return backend.fromInts(values, dims); }

    /** A guarded output whose elements start as the sentinel (kernels that overwrite their output). */
    public Tensor output(DType dtype, int... dims) {
        Shape shape = Shape.of(dims);
        MemorySegment middle = MemorySegment.ofArray(new byte[Math.toIntExact(dtype.bytes(shape.size()))]);
        middle.fill(SENTINEL);
        return guard(dtype, shape, middle);
    }

    /** A guarded floating output starting with {@code initial} (kernels that update in place or write some rows). */
    public Tensor output(DType dtype, float[] initial, int... dims) {
        Shape shape = Shape.of(dims);
        MemorySegment middle = MemorySegment.ofArray(new byte[Math.toIntExact(dtype.bytes(shape.size()))]);
        dtype.codec().encode(initial, 0, middle, 0, initial.length);
        return guard(dtype, shape, middle);
    }

    private Tensor guard(DType dtype, Shape shape, MemorySegment middle) {
        int rows = shape.dim(0);
        long rowBytes = Math.max(1, dtype.bytes(shape.size() / Math.max(1, rows)));
        int pad = guardRows(rowBytes);
        long guardBytes = pad * rowBytes;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment all = arena.allocate(2 * guardBytes + middle.byteSize());
            all.fill(SENTINEL);
            MemorySegment.copy(middle, 0, all, guardBytes, middle.byteSize());
            Tensor big = backend.upload(dtype, shape.withDim(0, rows + 2 * pad), all);
            Tensor out = big.slice(pad, rows);
            guarded.put(out, new Guarded(big, guardBytes));
            return out;
        }
    }

    /**
     * Guard rows on each side: at least {@link #GUARD_BYTES}, and a whole number of {@link #ALIGN} bytes when that
     * takes at most 256 rows, so the output starts as aligned as a fresh allocation (device sub-buffers need it).
     */
    private static int guardRows(long rowBytes) {
        int minimum = (int) Math.max(1, (GUARD_BYTES + rowBytes - 1) / rowBytes);
        for (int p = minimum; p <= 256; p++) {
            if (p * rowBytes % ALIGN == 0) return p;
        }
        return minimum;
    }

    /** Waits for the backend, checks the output's guard bytes, and returns its values as floats. */
    public float[] read(Tensor out) {
        backend.synchronize();
        Guarded g = guarded.get(out);
        if (g != null) checkGuards(out, g);
        return out.toFloats();
    }

    /** The values of several outputs, one after another (ops with more than one output). */
    public float[] read(Tensor... outs) {
        List<float[]> parts = new ArrayList<>();
        int n = 0;
        for (Tensor t : outs) {
            float[] p = read(t);
            parts.add(p);
            n += p.length;
        }
        float[] all = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    private void checkGuards(Tensor out, Guarded g) {
        MemorySegment bytes = g.big().download();
        long tail = bytes.byteSize() - g.guardBytes();
        for (long i = 0; i < bytes.byteSize(); i++) {
            if (i == g.guardBytes()) i = tail;
            if (bytes.get(ValueLayout.JAVA_BYTE, i) != SENTINEL) {
                String side = i < g.guardBytes() ? "before" : "after";
                long distance = i < g.guardBytes() ? g.guardBytes() - i : i - tail + 1;
                guardViolations.add("output " + out.describe() + ": guard byte " + distance + " " + side + " the output was overwritten");
                return;
            }
        }
    }

    /** Guard bytes found overwritten so far, one message per output. */
    public List<String> guardViolations() { return List.copyOf(guardViolations); }
}
