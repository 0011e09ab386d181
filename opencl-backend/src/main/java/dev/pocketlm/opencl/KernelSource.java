package dev.pocketlm.opencl;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The OpenCL program text: the dialect header, then the shared kernel files (classpath resources kernels/*). */
final class KernelSource {
    /** common.kern first: the others use its helpers. */
    static final List<String> FILES = List.of("dialect_opencl.h", "common.kern", "elementwise.kern", "adamw.kern",
            "norm.kern", "rope.kern", "softmax.kern", "reduce.kern", "loss.kern", "rows.kern", "copy.kern",
            "matmul.kern", "matvec_q.kern", "attention.kern");

    private KernelSource() {}

    static String load() {
        StringBuilder sb = new StringBuilder();
        for (String file : FILES) {
            String path = "kernels/" + file;
            try (InputStream in = KernelSource.class.getClassLoader().getResourceAsStream(path)) {
                if (in == null) throw new IllegalStateException("kernel source " + path + " is missing from the class path");
                // #line keeps build-log positions relative to each file
                sb.append("#line 1 \"").append(file).append("\"\n")
                        .append(new String(in.readAllBytes(), StandardCharsets.UTF_8)).append('\n');
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read kernel source " + path, e);
            }
        }
        return sb.toString();
    }
}
