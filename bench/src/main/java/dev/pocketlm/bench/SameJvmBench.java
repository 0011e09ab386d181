package dev.pocketlm.bench;

import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code pocket bench} of two or more builds in one JVM, in alternating rounds: each build's fat jar
 * ({@code cli/target/pocket.jar}) gets its own class loader, so its own JIT-compiled kernels, thread pool and model.
 * The whole model is the judge a kernel change needs: session 7's unrolled Q4_0 kernel was faster from L3 and in
 * {@link SameJvmAB}'s matvecs, and slower here (74-79 against 81-86 tokens/s). Run from the plain bench jar:
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC \
 *     -cp bench/target/pocket-bench-0.1.0.jar dev.pocketlm.bench.SameJvmBench models/tinyllama-1.1b-q4_0.gguf 5 \
 *     old=/tmp/pocket-old.jar new=cli/target/pocket.jar
 * </pre>
 * Arguments: model, rounds, optionally {@code --compute=DTYPE}, optionally {@code --gen=N} (tokens generated after the
 * 64-token prompt, default 32; longer runs weigh attention over a longer cache), then name=jar per build. The order of
 * the builds reverses every round; the first round warms up with 12 runs, the later ones with 3 (and on until the JIT is quiet).
 * Prints each run's {@code --json} line after the build's name.
 * <p>
 * In its slower memory mode this VM's generation is bound by memory, which hides a kernel's compute. With
 * {@code --compute=DTYPE}, each run is followed by the attention matvecs of {@link TokenMatvecs} (L3-resident, both
 * threads) in the build's class loader: the kernels as the model compiled them, bound by
 * their arithmetic and their jobs' fixed costs rather than the memory. Timed in a
 * harness of its own, a kernel is compiled for that harness and can rank builds the other way (session 8: the Q4_0
 * kernel with its word loop written out ran at 47 against 39 GB/s on one thread in a harness, and at 56-57 against
 * 56-62 here). The matvecs' shapes can still make C2 recompile a kernel, so generation decides where the two
 * disagree (session 8: Q8_0 words two per pass, 75-76 against 65-69 GB/s here, 31-32 against 38-40 tokens/s).
 */
public final class SameJvmBench {
    private static final long COMPUTE_MILLIS = 1500;

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: SameJvmBench MODEL ROUNDS [--compute=DTYPE] [--gen=N] name=pocket.jar name=pocket.jar ...");
            System.exit(2);
        }
        String model = args[0];
        int rounds = Integer.parseInt(args[1]);
        int first = 2;
        String compute = args[first].startsWith("--compute=") ? args[first++].substring("--compute=".length()) : null;
        String gen = args[first].startsWith("--gen=") ? args[first++].substring("--gen=".length()) : "32";
        List<String> names = new ArrayList<>();
        List<ClassLoader> loaders = new ArrayList<>();
        List<Method> commandLines = new ArrayList<>();
        for (String build : Arrays.asList(args).subList(first, args.length)) {
            String[] nameAndJar = build.split("=", 2);
            ClassLoader loader = new URLClassLoader(new URL[]{Path.of(nameAndJar[1]).toUri().toURL()}, ClassLoader.getPlatformClassLoader());
            Method commandLine = loader.loadClass("dev.pocketlm.cli.Main").getDeclaredMethod("commandLine");
            commandLine.setAccessible(true);
            names.add(nameAndJar[0]);
            loaders.add(loader);
            commandLines.add(commandLine);
        }
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < names.size(); i++) {
                int b = round % 2 == 0 ? i : names.size() - 1 - i;
                Thread.currentThread().setContextClassLoader(loaders.get(b)); // Backends finds providers through it
                Object cl = commandLines.get(b).invoke(null);
                System.out.print(names.get(b) + " round " + round + ": ");
                System.out.flush();
                String[] bench = {"bench", "-m", model, "--prompt", "64", "--gen", gen, "--warmup", round == 0 ? "12" : "3", "--repeat", "3", "--json"};
                cl.getClass().getMethod("execute", String[].class).invoke(cl, (Object) bench);
                if (compute != null) {
                    System.out.printf("%s round %d: L3-resident attention matvecs, %s, as the model compiled them: %.1f GB/s%n",
                            names.get(b), round, compute, cachedMatvecRate(loaders.get(b), compute));
                }
            }
        }
    }

    /**
     * Weight GB/s of {@link TokenMatvecs#ATTENTION} at {@code dtype}, run in a loader below the build's, so that the
     * API, the backend and their compiled kernels are the build's.
     */
    private static double cachedMatvecRate(ClassLoader build, String dtype) throws Exception {
        URL runner = SameJvmBench.class.getProtectionDomain().getCodeSource().getLocation();
        Object token = SameJvmAB.tokenMatvecs(new URLClassLoader(new URL[]{runner}, build), dtype, 1, TokenMatvecs.ATTENTION, 1);
        try {
            SameJvmAB.gbPerSecond(token, COMPUTE_MILLIS); // packing, and any recompilation
            return SameJvmAB.gbPerSecond(token, COMPUTE_MILLIS);
        } finally {
            ((AutoCloseable) token).close();
        }
    }
}
