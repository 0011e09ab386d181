package dev.pocketlm.bench;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Two or more builds of a backend compared in one JVM: each build's jars get their own class loader (and so their own
 * JIT-compiled kernels, thread pool and scratch buffers), and {@link TokenMatvecs} runs in alternating rounds. On this
 * shared VM the memory bandwidth changes from minute to minute and separate processes of one build differ by 10% or
 * more; rounds interleaved in one process see the same machine. Run from the plain (not shaded) bench jar, so that
 * the only API and backend classes are the builds':
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/pocket-bench-0.1.0.jar dev.pocketlm.bench.SameJvmAB \
 *     Q4_0 8 4 old=OLD/api/target/pocket-api-0.1.0.jar:OLD/cpu-backend/target/pocket-cpu-backend-0.1.0.jar \
 *     new=api/target/pocket-api-0.1.0.jar:cpu-backend/target/pocket-cpu-backend-0.1.0.jar
 * </pre>
 * Arguments: dtype, layers, rounds, then name=jar:jar... per build. Prints each build's GB/s per round and median.
 * The matrices are a TinyLlama layer's unless {@code -Dshapes=NxK,NxK...} names others (SmolLM-360M's 960 columns:
 * {@code -Dshapes=2560x960,960x2560}).
 */
public final class SameJvmAB {
    private static final long ROUND_MILLIS = 700;

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: SameJvmAB DTYPE LAYERS ROUNDS name=jar:jar name=jar:jar ...");
            System.exit(2);
        }
        String dtype = args[0];
        int layers = Integer.parseInt(args[1]), rounds = Integer.parseInt(args[2]);
        URL runner = SameJvmAB.class.getProtectionDomain().getCodeSource().getLocation();
        List<String> names = new ArrayList<>();
        List<Object> tokens = new ArrayList<>();
        for (String build : Arrays.asList(args).subList(3, args.length)) {
            String[] nameAndJars = build.split("=", 2);
            List<URL> urls = new ArrayList<>();
            for (String jar : nameAndJars[1].split(":")) urls.add(Path.of(jar).toUri().toURL());
            urls.add(runner);
            ClassLoader loader = new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
            Thread.currentThread().setContextClassLoader(loader); // Backends finds providers through it
            Object token = tokenMatvecs(loader, dtype, layers, shapes(), 1);
            gbPerSecond(token, 2 * ROUND_MILLIS); // warm-up: JIT and packing
            names.add(nameAndJars[0]);
            tokens.add(token);
        }
        double[][] rates = new double[tokens.size()][rounds];
        for (int round = 0; round < rounds; round++) {
            for (int b = 0; b < tokens.size(); b++) rates[b][round] = gbPerSecond(tokens.get(b), ROUND_MILLIS);
        }
        for (int b = 0; b < tokens.size(); b++) {
            StringBuilder line = new StringBuilder(names.get(b) + " " + dtype + " x" + layers + " layers, GB/s:");
            for (double rate : rates[b]) line.append(String.format(" %.1f", rate));
            double[] sorted = rates[b].clone();
            Arrays.sort(sorted);
            System.out.println(line.append(String.format("  median %.1f", sorted[rounds / 2])));
        }
    }

    /** The matrices of {@code -Dshapes} (N x K each, comma-separated), else a TinyLlama layer's. */
    private static int[][] shapes() {
        String shapes = System.getProperty("shapes");
        if (shapes == null) return TokenMatvecs.LAYER;
        if (!shapes.matches("[1-9][0-9]*x[1-9][0-9]*(,[1-9][0-9]*x[1-9][0-9]*)*")) {
            throw new IllegalArgumentException("-Dshapes: expected NxK,NxK... (rows x columns), got '" + shapes + "'");
        }
        return Arrays.stream(shapes.split(",")).map(s -> Arrays.stream(s.split("x")).mapToInt(Integer::parseInt).toArray()).toArray(int[][]::new);
    }

    /** A {@link TokenMatvecs} on the {@code cpu} backend of {@code loader}'s API classes. */
    static Object tokenMatvecs(ClassLoader loader, String dtype, int layers, int[][] shapes, int tokens) throws Exception {
        Class<?> dtypeClass = loader.loadClass("dev.pocketlm.tensor.DType");
        Object type = dtypeClass.getMethod("valueOf", String.class).invoke(null, dtype);
        return loader.loadClass(TokenMatvecs.class.getName()).getConstructor(String.class, dtypeClass, int.class, int[][].class, int.class)
                .newInstance("cpu", type, layers, shapes, tokens);
    }

    /** Runs tokens for about {@code millis}: weight GB per second. */
    static double gbPerSecond(Object token, long millis) throws Exception { return perSecond(token, millis, "weightBytes"); }

    /** Runs tokens for about {@code millis}: billions per second of what the {@link TokenMatvecs} getter counts. */
    static double perSecond(Object token, long millis, String getter) throws Exception {
        var run = token.getClass().getMethod("token");
        long units = (long) token.getClass().getMethod(getter).invoke(token);
        long start = System.nanoTime();
        int tokens = 0;
        while (System.nanoTime() - start < millis * 1_000_000L) {
            run.invoke(token);
            tokens++;
        }
        return (double) units * tokens / (System.nanoTime() - start);
    }
}
