package dev.pocketlm.bench;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Backends;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Ops;
import dev.pocketlm.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Attention at TinyLlama's shape (32 query heads, 4 KV heads of 64) over {@code positions} cached positions, the cache
 * F32 or F16: of one generated token ({@code tokens = 1}), or of a prompt's last {@code tokens} tokens, each seeing
 * the positions up to its own (causal). With {@code fromDram}, each call takes the next of enough caches to fill
 * 96 MiB, so that, as in a model whose weights stream between two layers' attention, the cache comes from DRAM;
 * without, it stays in L2/L3. {@code headMajor} lays the cache out as the model's {@code KvCache} does, [KV heads,
 * positions, 64] seen through a permuted view; without, position-major [positions, KV heads, 64], a head's rows a cache
 * row apart. The {@code bytes} rate counts the K and V rows read, {@code flops} the scores' and the weighted sum's
 * multiply-adds (each token's over the positions it sees).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
@State(Scope.Benchmark)
public class AttentionBenchmark {
    private static final int HEADS = 32, KV_HEADS = 4, HEAD_DIM = 64;
    private static final long DRAM_BYTES = 96L << 20;

    /** Any backend spec; opencl and cuda run too (-p backend=opencl). */
    @Param({"cpu"})
    public String backend;

    @Param({"96", "512", "1024"})
    public int positions;

    @Param({"F32", "F16"})
    public DType kv;

    @Param({"false", "true"})
    public boolean fromDram;

    @Param({"true", "false"})
    public boolean headMajor;

    @Param({"1"})
    public int tokens;

    private Backend device;
    private Tensor q, out;
    private Tensor[] keys, values;
    private int next;
    private long kvBytes, flops;
    /** The storage behind head-major views (closing a view frees nothing). */
    private final List<Tensor> headMajorCaches = new ArrayList<>();

    @Setup(Level.Trial)
    public void setUp() {
        device = Backends.open(backend);
        SplittableRandom random = new SplittableRandom(42);
        if (tokens < 1 || tokens > positions) throw new IllegalArgumentException("tokens must be in 1..positions, got " + tokens);
        q = device.fromFloats(TokenMatvecs.randomValues(random, tokens * HEADS * HEAD_DIM), tokens, HEADS, HEAD_DIM);
        out = device.empty(DType.F32, tokens, HEADS, HEAD_DIM);
        long seen = (long) tokens * (positions - tokens) + (long) tokens * (tokens + 1) / 2;
        flops = 4L * HEADS * seen * HEAD_DIM;
        kvBytes = 2 * kv.bytes((long) positions * KV_HEADS * HEAD_DIM);
        int caches = fromDram ? (int) Math.max(1, DRAM_BYTES / kvBytes) : 1;
        keys = new Tensor[caches];
        values = new Tensor[caches];
        float[] cache = TokenMatvecs.randomValues(random, positions * KV_HEADS * HEAD_DIM);
        for (int c = 0; c < caches; c++) {
            keys[c] = layout(device.fromFloats(kv, cache, positions, KV_HEADS, HEAD_DIM));
            values[c] = layout(device.fromFloats(kv, cache, positions, KV_HEADS, HEAD_DIM));
        }
    }

    /** A position-major cache as is, or the same values head-major behind a [positions, KV heads, 64] view. */
    private Tensor layout(Tensor positionMajor) {
        if (!headMajor) return positionMajor;
        Tensor heads = Ops.contiguous(positionMajor.transpose(0, 1));
        positionMajor.close();
        headMajorCaches.add(heads);
        return heads.transpose(0, 1);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        q.close();
        out.close();
        for (int c = 0; c < keys.length; c++) {
            keys[c].close();
            values[c].close();
        }
        headMajorCaches.forEach(Tensor::close);
        device.close();
    }

    @Benchmark
    public void attend(Traffic traffic) {
        int c = next;
        next = (next + 1) % keys.length;
        device.kernels().attention(q, keys[c], values[c], (float) (1 / Math.sqrt(HEAD_DIM)), positions - tokens, out);
        device.synchronize();
        traffic.bytes += kvBytes;
        traffic.flops += flops;
    }
}
