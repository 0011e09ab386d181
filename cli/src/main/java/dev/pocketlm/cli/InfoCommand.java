package dev.pocketlm.cli;

import dev.pocketlm.model.gguf.GgufFile;
import dev.pocketlm.model.gguf.GgufMetadata;
import dev.pocketlm.model.gguf.TensorInfo;
import dev.pocketlm.model.io.LlamaGguf;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code pocket info FILE}: architecture, hyper-parameters, tokenizer and the tensor table of a GGUF file. */
@Command(name = "info", description = "Describe a GGUF model: architecture, hyper-parameters, tokenizer, tensors.")
final class InfoCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE", description = "A GGUF file.")
    Path file;

    @Override public Integer call() throws Exception {
        try (GgufFile f = GgufFile.open(file)) {
            GgufMetadata m = f.metadata();
            System.out.println(file + ": GGUF v" + f.version() + ", " + f.tensors().size() + " tensors, alignment " + f.alignment());
            System.out.println("architecture: " + m.getString("general.architecture", "(none)")
                    + (m.contains("general.name") ? " (" + m.getString("general.name") + ")" : ""));
            if (LlamaGguf.ARCH.equals(m.getString("general.architecture", ""))) {
                System.out.println("hyper-parameters: " + LlamaGguf.config(f));
            }
            if (m.contains("tokenizer.ggml.model")) {
                System.out.println("tokenizer: " + m.getString("tokenizer.ggml.model") + ", "
                        + m.getArray("tokenizer.ggml.tokens").length() + " tokens, BOS " + m.getLong("tokenizer.ggml.bos_token_id", -1)
                        + ", EOS " + m.getLong("tokenizer.ggml.eos_token_id", -1));
            }
            long total = 0;
            System.out.printf("%-32s %-20s %-6s %12s%n", "tensor", "shape", "type", "bytes");
            for (TensorInfo t : f.tensors()) {
                System.out.printf("%-32s %-20s %-6s %12d%n", t.name(), t.shape(), t.type(), t.byteSize());
                total += t.byteSize();
            }
            System.out.printf("total %d bytes (%.1f MiB)%n", total, total / 1048576.0);
        }
        return 0;
    }
}
