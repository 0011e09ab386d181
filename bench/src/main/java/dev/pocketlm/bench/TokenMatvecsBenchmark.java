package dev.pocketlm.bench;

import dev.pocketlm.tensor.DType;
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

import java.util.concurrent.TimeUnit;

/**
 * One generated token's matvecs ({@link TokenMatvecs}). Unlike {@link MatvecBenchmark}'s single matrices, this
 * includes the small k/v matvecs and the switch from one matrix to the next, and {@code layers} (8: 199 MB at Q4_0)
 * keeps the weights far above L3: the {@code bytes} rate is the weight-streaming rate a token gets from its matvecs
 * alone, to compare with StreamReadBenchmark and with {@code pocket bench}'s achieved GB/s.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx4g"})
@State(Scope.Benchmark)
public class TokenMatvecsBenchmark {
    @Param({"Q4_0", "Q8_0", "F16"})
    public DType dtype;

    @Param({"8"})
    public int layers;

    @Param({"cpu"})
    public String backend;

    private TokenMatvecs token;

    @Setup(Level.Trial)
    public void setUp() { token = new TokenMatvecs(backend, dtype, layers); }

    @TearDown(Level.Trial)
    public void tearDown() { token.close(); }

    @Benchmark
    public void token(Traffic traffic) {
        token.token();
        traffic.bytes += token.weightBytes();
        traffic.flops += token.flops();
    }
}
