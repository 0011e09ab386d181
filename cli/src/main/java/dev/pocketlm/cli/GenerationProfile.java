package dev.pocketlm.cli;

import dev.pocketlm.tensor.KernelProfile;

import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;

/**
 * Where a generated token's time goes, from a {@link KernelProfile} of one generation run: each kernel's calls and
 * microseconds per token, the time outside kernels (the ops' own work, sampling), and the rate at which the matmul
 * kernels streamed the weights.
 *
 * @param kernels     the profile's entries
 * @param steps       forward steps profiled (generated tokens less the first, which the prompt's step produced)
 * @param tokenNanos  the run's generation time per step
 * @param weightBytes weight bytes a step streams
 */
record GenerationProfile(List<KernelProfile.Entry> kernels, int steps, double tokenNanos, long weightBytes) {
    /** The kernels that stream the weights. */
    private static final List<String> MATMULS = List.of("matmul", "linears");

    double microsPerToken(KernelProfile.Entry e) { return e.nanos() / 1e3 / steps; }

    double callsPerToken(KernelProfile.Entry e) { return (double) e.calls() / steps; }

    double outsideKernelsMicros() { return tokenNanos / 1e3 - kernels.stream().mapToDouble(this::microsPerToken).sum(); }

    /** Weight GB/s over the matmul kernels' time alone, or NaN without any. */
    double matmulGbPerSecond() {
        double nanos = kernels.stream().filter(e -> MATMULS.contains(e.kernel())).mapToDouble(KernelProfile.Entry::nanos).sum() / steps;
        return nanos > 0 ? weightBytes / nanos : Double.NaN;
    }

    String text() {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
                "time per generated token by kernel, in a run after the measured ones with each kernel call timed (%.2f tokens/s):%n", 1e9 / tokenNanos));
        s.append(String.format(Locale.ROOT, "  %-18s %8s %10s %7s%n", "kernel", "calls", "us", "share"));
        for (KernelProfile.Entry e : kernels) {
            s.append(String.format(Locale.ROOT, "  %-18s %8.1f %10.1f %6.1f%%%n", e.kernel(), callsPerToken(e), microsPerToken(e),
                    100 * microsPerToken(e) * 1e3 / tokenNanos));
        }
        s.append(String.format(Locale.ROOT, "  %-18s %8s %10.1f %6.1f%%%n", "outside kernels", "", outsideKernelsMicros(),
                100 * outsideKernelsMicros() * 1e3 / tokenNanos));
        if (!Double.isNaN(matmulGbPerSecond())) {
            s.append(String.format(Locale.ROOT, "the matmul kernels streamed the weights at %.2f GB/s%n", matmulGbPerSecond()));
        }
        return s.toString();
    }

    /** The profile as a JSON object. */
    String json() {
        StringJoiner entries = new StringJoiner(", ", "[", "]");
        for (KernelProfile.Entry e : kernels) {
            entries.add(String.format(Locale.ROOT, "{\"kernel\": \"%s\", \"calls_per_token\": %.3f, \"us_per_token\": %.3f}",
                    e.kernel(), callsPerToken(e), microsPerToken(e)));
        }
        return String.format(Locale.ROOT, "{\"token_us\": %.3f, \"kernels\": %s, \"outside_kernels_us\": %.3f, \"matmul_gb_per_s\": %s}",
                tokenNanos / 1e3, entries, outsideKernelsMicros(), BenchCommand.jsonNumber(matmulGbPerSecond()));
    }
}
