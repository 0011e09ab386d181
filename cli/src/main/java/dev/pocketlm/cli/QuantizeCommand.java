package dev.pocketlm.cli;

import dev.pocketlm.model.compress.RoundToNearest;
import dev.pocketlm.model.gguf.GgufFile;
import dev.pocketlm.tensor.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code pocket quantize IN OUT --type q8_0|q4_0}: round-to-nearest with ggml's rules, byte for byte. */
@Command(name = "quantize", description = "Quantize a GGUF model (round-to-nearest, ggml's rules; matrices only).")
final class QuantizeCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "IN") Path in;

    @Parameters(index = "1", paramLabel = "OUT") Path out;

    @Option(names = "--type", required = true, description = "q8_0, q4_0, f16, bf16 or f32.")
    String type;

    @Override public Integer call() throws Exception {
        DType t = WeightTypes.parse(type);
        long start = System.nanoTime();
        try (GgufFile f = GgufFile.open(in)) {
            RoundToNearest.quantize(f, out, t);
        }
        System.out.printf("%s -> %s (%s): %.1f MiB -> %.1f MiB in %.1f s%n", in, out, t,
                Files.size(in) / 1048576.0, Files.size(out) / 1048576.0, (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
