package dev.pocketlm.cli;

import dev.pocketlm.model.gguf.GgufMetadata;
import dev.pocketlm.model.io.LoadedModel;
import dev.pocketlm.model.io.ModelFiles;
import dev.pocketlm.model.train.Evaluation;
import dev.pocketlm.tensor.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code pocket eval}: held-out loss, perplexity and bits per character; KL and top-1 agreement against a reference. */
@Command(name = "eval", description = "Evaluate a model on the last 10%% of a text: loss, perplexity, bits/char; vs --reference: KL, top-1 agreement.")
final class EvalCommand implements Callable<Integer> {

    @Mixin ModelOptions options;

    @Option(names = "--data", required = true) Path data;

    @Option(names = "--reference", description = "A reference (teacher) model with the same vocabulary.") Path reference;

    @Option(names = "--context", description = "Tokens per window (default: the model's context, at most 256).") Integer context;

    @Option(names = "--windows", defaultValue = "2147483647", description = "At most this many validation windows (default: all).") int windows;

    @Override public Integer call() throws Exception {
        try (Backend be = options.openBackend(); LoadedModel m = options.load(be);
             LoadedModel ref = reference == null ? null : ModelFiles.load(reference, be)) {
            Corpus corpus = Corpus.withTokenizer(data, m.tokenizer(), GgufMetadata.builder().build());
            int length = context != null ? context : Math.min(256, m.model().config().contextLength());
            long start = System.nanoTime();
            ProgressBar bar = new ProgressBar("eval");
            Evaluation.Report r = Evaluation.evaluate(m.model(), ref == null ? null : ref.model(), corpus.dataset(), length, windows,
                    corpus::charsPerToken, (done, total, loss) -> {
                        double s = (System.nanoTime() - start) / 1e9;
                        bar.update(done, total, s, (double) done * length / Math.max(s, 1e-9), String.format(Locale.ROOT, "windows, loss %.4f", loss));
                    });
            System.out.printf(Locale.ROOT, "%s on %s (%d tokens, windows of %d, %s): loss %.4f nats/token, perplexity %.3f, %.4f bits/char%n",
                    m.origin(), data, r.tokens(), length, be.name(), r.lossPerToken(), r.perplexity(), r.bitsPerCharacter());
            if (ref != null) {
                System.out.printf(Locale.ROOT, "vs %s: mean KL(reference || model) %.4f nats/token, top-1 agreement %.2f%%%n",
                        ref.origin(), r.klToReference(), 100 * r.top1Agreement());
            }
            System.err.printf("evaluated in %s%n", ProgressBar.duration((System.nanoTime() - start) / 1e9));
        }
        return 0;
    }
}
