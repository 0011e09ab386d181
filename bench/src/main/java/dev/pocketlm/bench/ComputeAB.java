package dev.pocketlm.bench;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Two or more builds' L3-resident matvecs ({@link TokenMatvecs#ATTENTION}: one layer's q, k, v and o, both threads)
 * in short alternating slices, each build in its own class loader: bound by the kernels and their jobs'
 * fixed costs (two of the four are 256 rows), not the memory, and paired slice by slice, so a
 * change of a few percent shows through this VM's swings (its speed moves 20-40% within minutes). Prints each build's
 * median and its ratio to the first build's slice next to it (median and quartiles); an A/A pair of one jar gives the
 * noise. Run from the plain bench jar with fat jars as the builds:
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/pocket-bench-0.1.0.jar dev.pocketlm.bench.ComputeAB \
 *     Q4_0 40 300 old=/tmp/pocket-old.jar new=cli/target/pocket.jar
 * </pre>
 * Arguments: dtype, rounds, milliseconds per slice, then name=jar per build. The order reverses every round. With
 * {@code tokens=N} first, the builds run a prompt's matmuls instead (one layer's, N activation rows each), in GFLOP/s.
 */
public final class ComputeAB {
    private ComputeAB() {}

    public static void main(String[] args) throws Exception {
        int prompt = args.length > 0 && args[0].startsWith("tokens=") ? Integer.parseInt(args[0].substring(7)) : 0;
        if (prompt > 0) args = Arrays.copyOfRange(args, 1, args.length);
        if (args.length < 5) {
            System.err.println("usage: ComputeAB [tokens=N] DTYPE ROUNDS SLICE_MILLIS name=pocket.jar name=pocket.jar ...");
            System.exit(2);
        }
        String measure = prompt > 0 ? "flops" : "weightBytes", unit = prompt > 0 ? "GFLOP/s" : "GB/s";
        String dtype = args[0];
        int rounds = Integer.parseInt(args[1]);
        long slice = Long.parseLong(args[2]);
        URL runner = ComputeAB.class.getProtectionDomain().getCodeSource().getLocation();
        List<String> names = new ArrayList<>();
        List<Object> tokens = new ArrayList<>();
        for (String build : Arrays.asList(args).subList(3, args.length)) {
            String[] nameAndJar = build.split("=", 2);
            ClassLoader loader = new URLClassLoader(new URL[]{Path.of(nameAndJar[1]).toUri().toURL(), runner}, ClassLoader.getPlatformClassLoader());
            Thread.currentThread().setContextClassLoader(loader); // Backends finds providers through it
            names.add(nameAndJar[0]);
            tokens.add(prompt > 0 ? SameJvmAB.tokenMatvecs(loader, dtype, 1, TokenMatvecs.LAYER, prompt)
                    : SameJvmAB.tokenMatvecs(loader, dtype, 1, TokenMatvecs.ATTENTION, 1));
        }
        for (int warm = 0; warm < 6; warm++) {
            for (Object token : tokens) SameJvmAB.perSecond(token, 1000, measure);
        }
        int builds = tokens.size();
        double[][] rates = new double[builds][rounds];
        for (int round = 0; round < rounds; round++) {
            for (int j = 0; j < builds; j++) {
                int b = round % 2 == 0 ? j : builds - 1 - j;
                rates[b][round] = SameJvmAB.perSecond(tokens.get(b), slice, measure);
            }
        }
        for (int b = 0; b < builds; b++) {
            double[] sorted = rates[b].clone(), ratios = new double[rounds];
            Arrays.sort(sorted);
            for (int round = 0; round < rounds; round++) ratios[round] = rates[b][round] / rates[0][round];
            Arrays.sort(ratios);
            System.out.printf("%s %s: median %.1f %s (%.1f-%.1f); to %s: median %.3f, quartiles %.3f-%.3f%n",
                    names.get(b), dtype, sorted[rounds / 2], unit, sorted[0], sorted[rounds - 1], names.get(0),
                    ratios[rounds / 2], ratios[rounds / 4], ratios[3 * rounds / 4]);
        }
    }
}
