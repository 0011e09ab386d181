package dev.pocketlm.cli;

import dev.pocketlm.model.io.LoadedModel;
import dev.pocketlm.model.llama.Generator;
import dev.pocketlm.model.sample.SamplerSettings;
import dev.pocketlm.model.tokenizer.Decoder;
import dev.pocketlm.model.tokenizer.Tokenizer;
import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.DType;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.concurrent.Callable;

/** {@code pocket generate}: stream text from a prompt, then report prompt and generation speed. */
@Command(name = "generate", description = "Generate text (default: the embedded Shakespeare model on the best backend).")
final class GenerateCommand implements Callable<Integer> {

    @Mixin ModelOptions options;

    static final class Prompt {
        @Option(names = {"-p", "--prompt"}, description = "Prompt text (BOS is added when the model expects it).")
        String text;

        @Option(names = "--prompt-ids", description = "Prompt as space-separated token ids, used as given.")
        String ids;
    }

    @ArgGroup(exclusive = true) Prompt prompt = new Prompt();

    @Option(names = {"-n", "--tokens"}, defaultValue = "256", description = "Tokens to generate (default ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--temperature", defaultValue = "0.8", description = "0 is greedy (default ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-k", defaultValue = "40") int topK;

    @Option(names = "--top-p", defaultValue = "0.95") float topP;

    @Option(names = "--min-p", defaultValue = "0.05") float minP;

    @Option(names = "--repeat-penalty", defaultValue = "1.0") float repeatPenalty;

    @Option(names = "--seed", description = "Sampling seed (default: random, printed).")
    Long seed;

    @Mixin KvCacheOption kvCache;

    @Option(names = "--dump-logits", paramLabel = "FILE",
            description = "Write float32 little-endian logits rows [position][vocab] for every position fed.")
    Path dumpLogits;

    @Override public Integer call() throws Exception {
        long s = seed != null ? seed : System.nanoTime();
        SamplerSettings settings = new SamplerSettings(temperature, topK, topP, minP, repeatPenalty, 64, s);
        DType kv = kvCache.dtype();
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (Backend be = options.openBackend(); LoadedModel m = options.load(be)) {
            Tokenizer tok = m.tokenizer();
            int[] promptIds = promptIds(tok);
            System.err.printf("model %s on %s (%s), seed %d%n", m.origin(), be.name(), m.model().config(), s);
            Decoder decoder = tok.decoder(promptIds.length == 0 || promptIds[0] == tok.bosId() && promptIds.length == 1);
            out.print(prompt.text != null ? prompt.text : "");
            try (LogitsFile dump = dumpLogits == null ? null : new LogitsFile(dumpLogits)) {
                Generator.Stats st = new Generator(m.model(), settings, kv).generate(promptIds, tokens, id -> {
                    if (id == tok.eosId()) return false;
                    out.print(decoder.next(id));
                    return true;
                }, dump == null ? null : dump::row);
                out.println(decoder.finish());
                if (dump != null) dump.commit();
                System.err.printf("prompt: %d tokens, %.1f tokens/s; generation: %d tokens, %.1f tokens/s%n",
                        st.promptTokens(), st.promptTokensPerSecond(), st.generatedTokens(), st.generationTokensPerSecond());
            }
        }
        return 0;
    }

    private int[] promptIds(Tokenizer tok) {
        if (prompt.ids != null) {
            try {
                return Arrays.stream(prompt.ids.trim().split("[\\s,]+")).mapToInt(Integer::parseInt).toArray();
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--prompt-ids must be space-separated integers, got '" + prompt.ids + "'");
            }
        }
        String text = prompt.text == null ? "" : prompt.text;
        int[] ids = tok.encode(text, tok.addBos() && tok.bosId() != Tokenizer.NO_TOKEN);
        return ids.length > 0 ? ids : tok.encode("\n", false);
    }

    /** Logits rows appended to a temporary file, moved into place when complete. */
    private static final class LogitsFile implements AutoCloseable {
        private final Path target, tmp;
        private final DataOutputStream out;
        private boolean committed;

        LogitsFile(Path target) throws IOException {
            this.target = target;
            Path dir = target.toAbsolutePath().getParent();
            this.tmp = Files.createTempFile(dir, target.getFileName().toString(), ".tmp");
            this.out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)));
        }

        void row(float[] logits) {
            ByteBuffer b = ByteBuffer.allocate(logits.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(logits);
            try {
                out.write(b.array());
            } catch (IOException e) {
                throw new IllegalStateException("writing " + tmp + ": " + e.getMessage(), e);
            }
        }

        /** Moves the rows into place; without it, closing discards them. */
        void commit() throws IOException {
            out.close();
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            committed = true;
        }

        @Override public void close() throws IOException {
            if (committed) return;
            out.close();
            Files.deleteIfExists(tmp);
        }
    }
}
