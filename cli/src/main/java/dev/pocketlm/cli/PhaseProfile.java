package dev.pocketlm.cli;

import dev.pocketlm.tensor.KernelProfile;

import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;

/**
 * Where one phase of a generation run spends its time, from a {@link KernelProfile}: each kernel's calls and
 * microseconds per step (the whole prompt, or one generated token), the time outside kernels (the ops' own work,
 * sampling), and for generation the rate at which the matmul kernels streamed the weights.
 *
 * @param kernels     the profile's entries
 * @param steps       steps profiled
 * @param stepNanos   the phase's time per step
 * @param weightBytes weight bytes a step streams where the phase is bound by that stream (generation), else 0
 */
record PhaseProfile(List<KernelProfile.Entry> kernels, int steps, double stepNanos, long weightBytes) {
    /** The kernels that stream the weights. */
    private static final List<String> MATMULS = List.of("matmul", "linears");

    double micros(KernelProfile.Entry e) { return e.nanos() / 1e3 / steps; }

    double calls(KernelProfile.Entry e) { return (double) e.calls() / steps; }

    double outsideKernelsMicros() { return stepNanos / 1e3 - kernels.stream().mapToDouble(this::micros).sum(); }

    /** Weight GB/s over the matmul kernels' time alone; NaN where the phase does not stream weights or has no matmul. */
    double matmulGbPerSecond() {
        double nanos = kernels.stream().filter(e -> MATMULS.contains(e.kernel())).mapToDouble(KernelProfile.Entry::nanos).sum() / steps;
        return weightBytes > 0 && nanos > 0 ? weightBytes / nanos : Double.NaN;
    }

    /** A table under {@code title}. */
    String text(String title) {
        StringBuilder s = new StringBuilder(title).append(String.format(Locale.ROOT, "%n  %-18s %8s %11s %7s%n", "kernel", "calls", "us", "share"));
        for (KernelProfile.Entry e : kernels) s.append(row(e.kernel(), String.format(Locale.ROOT, "%.1f", calls(e)), micros(e)));
        s.append(row("outside kernels", "", outsideKernelsMicros()));
        double matmulRate = matmulGbPerSecond();
        if (!Double.isNaN(matmulRate)) s.append(String.format(Locale.ROOT, "  the matmul kernels streamed the weights at %.2f GB/s%n", matmulRate));
        return s.toString();
    }

    private String row(String name, String calls, double micros) {
        return String.format(Locale.ROOT, "  %-18s %8s %11.1f %6.1f%%%n", name, calls, micros, 100 * micros * 1e3 / stepNanos);
    }

    /** The profile as a JSON object: per step, {@code step_us}, each kernel's {@code calls} and {@code us}, {@code outside_kernels_us}. */
    String json() {
        StringJoiner entries = new StringJoiner(", ", "[", "]");
        for (KernelProfile.Entry e : kernels) {
            entries.add(String.format(Locale.ROOT, "{\"kernel\": \"%s\", \"calls\": %.3f, \"us\": %.3f}", e.kernel(), calls(e), micros(e)));
        }
        String rate = weightBytes > 0 ? ", \"matmul_gb_per_s\": " + BenchCommand.jsonNumber(matmulGbPerSecond()) : "";
        return String.format(Locale.ROOT, "{\"step_us\": %.3f, \"kernels\": %s, \"outside_kernels_us\": %.3f%s}",
                stepNanos / 1e3, entries, outsideKernelsMicros(), rate);
    }
}
