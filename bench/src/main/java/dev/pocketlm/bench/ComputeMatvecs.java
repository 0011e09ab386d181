package dev.pocketlm.bench;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;

/**
 * One build's L3-resident matvecs ({@link TokenMatvecs#ATTENTION}: one layer's q, k, v and o, both threads), timed
 * once a second for a while: bound by the kernels and their jobs, not the memory, so a steady target for a sampling profiler ({@code
 * bench/profile/jit-profile.sh}). Run from the plain bench jar with a fat jar as the build:
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/pocket-bench-0.1.0.jar dev.pocketlm.bench.ComputeMatvecs \
 *     cli/target/pocket.jar Q4_0 20
 * </pre>
 */
public final class ComputeMatvecs {
    private ComputeMatvecs() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: ComputeMatvecs BUILD_JAR DTYPE SECONDS");
            System.exit(2);
        }
        URL runner = ComputeMatvecs.class.getProtectionDomain().getCodeSource().getLocation();
        ClassLoader build = new URLClassLoader(new URL[]{Path.of(args[0]).toUri().toURL(), runner}, ClassLoader.getPlatformClassLoader());
        Thread.currentThread().setContextClassLoader(build); // Backends finds providers through it
        Object token = SameJvmAB.tokenMatvecs(build, args[1], 1, TokenMatvecs.ATTENTION, 1);
        for (int s = 0; s < Integer.parseInt(args[2]); s++) {
            System.out.printf("%s L3-resident attention matvecs: %.1f GB/s%n", args[1], SameJvmAB.gbPerSecond(token, 1000));
        }
    }
}
