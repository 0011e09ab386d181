package dev.pocketlm.cli;

import dev.pocketlm.model.gguf.GgufMetadata;
import dev.pocketlm.model.gguf.GgufValue;
import dev.pocketlm.model.llama.Llama;
import dev.pocketlm.model.llama.LlamaConfig;
import dev.pocketlm.model.llama.LlamaWeights;
import dev.pocketlm.model.train.Evaluation;
import dev.pocketlm.model.train.TrainSettings;
import dev.pocketlm.model.train.Trainer;
import dev.pocketlm.model.train.TrainingRun;
import dev.pocketlm.tensor.Backend;

import java.nio.file.Path;
import java.util.Locale;

/** Runs a training loop with a progress bar, then evaluates on the whole validation split and prints a summary. */
final class TrainingReport {
    private TrainingReport() {}

    static void run(String label, Backend be, LlamaConfig config, LlamaWeights params, Trainer trainer, TrainSettings settings,
                    Corpus corpus, Path out, TrainingOptions options, Llama reference) throws Exception {
        System.err.printf(Locale.ROOT, "%s: %s on %s; %,d parameters; %,d training / %,d validation tokens%n", label, config, be.name(),
                config.parameterCount(params.tiedOutput()), corpus.dataset().trainTokens(), corpus.dataset().validationTokens());
        GgufMetadata meta = GgufMetadata.builder().putAll(corpus.tokenizerMetadata())
                .put("general.name", GgufValue.string("pocket " + label + " on " + corpus.file().getFileName())).build();
        ProgressBar bar = new ProgressBar(label);
        TrainingRun run = new TrainingRun(trainer, config, settings, out, meta, options.evalEvery, options.evalWindows);
        TrainingRun.Summary s = run.run(corpus.dataset(), p -> bar.update(p.step(), p.totalSteps(), p.seconds(), p.tokensSeen() / Math.max(p.seconds(), 1e-9),
                String.format(Locale.ROOT, "loss %.4f lr %.2e%s", p.loss(), p.learningRate(),
                        Double.isNaN(p.validationLoss()) ? "" : String.format(Locale.ROOT, " val %.4f", p.validationLoss()))));
        Evaluation.Report r = Evaluation.evaluate(new Llama(config, params), reference, corpus.dataset(), settings.context(),
                Integer.MAX_VALUE, corpus::charsPerToken);
        System.out.printf(Locale.ROOT, "%s: %d steps in %s (%.3f s/step); validation loss %.4f nats/token, perplexity %.3f, %.3f bits/char%s%n",
                label, s.steps(), ProgressBar.duration(s.seconds()), s.secondsPerStep(), r.lossPerToken(), r.perplexity(), r.bitsPerCharacter(),
                reference == null ? "" : String.format(Locale.ROOT, "; KL to teacher %.4f, top-1 agreement %.1f%%", r.klToReference(), 100 * r.top1Agreement()));
        System.out.println("checkpoint: " + out);
    }
}
