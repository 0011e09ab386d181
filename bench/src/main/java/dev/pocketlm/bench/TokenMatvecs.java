package dev.pocketlm.bench;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Backends;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Shape;
import dev.pocketlm.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The matvecs of one generated token, TinyLlama-shaped, in model order: per layer q (2048x2048), k and v (256x2048),
 * o (2048x2048), gate and up (5632x2048), down (2048x5632), each with its own activation row, the weights handed over
 * read-only as a model file's are (so the {@code cpu} backend packs them); or, with several tokens, the same matmuls
 * of a prompt. Used by {@link TokenMatvecsBenchmark}, {@link SameJvmAB} and {@link ComputeAB}.
 */
public final class TokenMatvecs implements AutoCloseable {
    /** N x K of one layer's matvecs: q, k, v, o, gate, up, down. */
    static final int[][] LAYER = {{2048, 2048}, {256, 2048}, {256, 2048}, {2048, 2048}, {5632, 2048}, {5632, 2048}, {2048, 5632}};
    /** N x K of one layer's attention matvecs, q, k, v, o: 5.3 MB at Q4_0, 19 MB at F16, so they stay in L3. */
    static final int[][] ATTENTION = Arrays.copyOf(LAYER, 4);

    private final Backend device;
    private final Arena weightMemory = Arena.ofShared();
    private final Tensor[] x, w, y;
    private long weightBytes, flops;

    public TokenMatvecs(String backend, DType dtype, int layers) { this(backend, dtype, layers, LAYER, 1); }

    /** The matmuls of {@code shapes} (N x K each), {@code layers} times over, each of {@code tokens} activation rows. */
    public TokenMatvecs(String backend, DType dtype, int layers, int[][] shapes, int tokens) {
        device = Backends.open(backend);
        SplittableRandom random = new SplittableRandom(42);
        int count = layers * shapes.length;
        x = new Tensor[count];
        w = new Tensor[count];
        y = new Tensor[count];
        for (int i = 0; i < count; i++) {
            int n = shapes[i % shapes.length][0], k = shapes[i % shapes.length][1];
            float[] values = randomValues(random, n * k);
            MemorySegment bytes = weightMemory.allocate(dtype.bytes((long) n * k), 64);
            dtype.codec().encode(values, 0, bytes, 0, values.length);
            w[i] = device.map(dtype, Shape.of(n, k), bytes.asReadOnly());
            x[i] = device.fromFloats(randomValues(random, tokens * k), tokens, k);
            y[i] = device.empty(DType.F32, tokens, n);
            weightBytes += w[i].byteSize();
            flops += 2L * n * k * tokens;
        }
    }

    /** {@code count} uniform values in [-1, 1). */
    static float[] randomValues(SplittableRandom random, int count) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float) (random.nextDouble() * 2 - 1);
        return v;
    }

    /** Runs every matvec once, in order, and waits for the device. */
    public void token() {
        for (int i = 0; i < w.length; i++) device.kernels().matmul(x[i], w[i], y[i], false, true);
        device.synchronize();
    }

    /** Weight bytes one {@link #token} streams. */
    public long weightBytes() { return weightBytes; }

    /** Floating-point operations of one {@link #token}. */
    public long flops() { return flops; }

    @Override public void close() {
        for (int i = 0; i < w.length; i++) {
            x[i].close();
            w[i].close();
            y[i].close();
        }
        device.close();
        weightMemory.close();
    }
}
