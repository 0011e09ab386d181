package dev.pocketlm.cli;

import dev.pocketlm.model.gguf.GgufFile;
import dev.pocketlm.model.llama.LlamaConfig;
import dev.pocketlm.model.llama.LlamaInit;
import dev.pocketlm.model.llama.LlamaWeights;
import dev.pocketlm.model.tokenizer.Tokenizer;
import dev.pocketlm.model.train.Checkpoint;
import dev.pocketlm.model.train.CrossEntropyObjective;
import dev.pocketlm.model.train.TrainSettings;
import dev.pocketlm.model.train.Trainer;
import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Backends;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code pocket train}: a Llama from scratch (or resumed) on a text file, checkpointed as GGUF. */
@Command(name = "train", description = "Train a Llama on a text file (character-level by default); checkpoints are GGUF files.")
final class TrainCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, description = "Training text (UTF-8); the last 10%% validates.") Path data;

    @Option(names = {"-o", "--out"}, required = true, description = "Checkpoint GGUF (optimizer state beside it as OUT.optim).") Path out;

    @Option(names = "--tokenizer-from", description = "Use this GGUF model's tokenizer instead of a character vocabulary.")
    Path tokenizerFrom;

    @Option(names = "--resume", description = "Continue from the checkpoint at --out.") boolean resume;

    @Option(names = "--backend") String backend;

    @Mixin ShapeOptions shape;

    @Mixin TrainingOptions training;

    @Override public Integer call() throws Exception {
        Corpus corpus = corpus(data, tokenizerFrom);
        TrainSettings settings = training.settings();
        try (Backend be = Backends.open(backend)) {
            LlamaConfig config;
            LlamaWeights params;
            int step = 0;
            if (resume) {
                if (!Files.exists(out)) throw new IllegalArgumentException("--resume: no checkpoint at " + out);
                Checkpoint.Loaded c = Checkpoint.load(out, be);
                config = c.config();
                params = c.params();
                step = c.step();
            } else {
                config = shape.config(corpus.tokenizer().vocabSize(), settings.context());
                LlamaConfig c = config;
                params = LlamaWeights.assemble(c, true, (name, s) -> be.fromFloats(LlamaInit.values(name, s, c, settings.seed()), s.dims()));
            }
            try (Trainer trainer = new Trainer(config, params, settings, new CrossEntropyObjective())) {
                if (resume) trainer.resume(out, step);
                TrainingReport.run("train", be, config, params, trainer, settings, corpus, out, training, null);
            } finally {
                params.close();
            }
        }
        return 0;
    }

    static Corpus corpus(Path data, Path tokenizerFrom) throws Exception {
        if (tokenizerFrom == null) return Corpus.characterLevel(data);
        try (GgufFile f = GgufFile.open(tokenizerFrom)) {
            return Corpus.withTokenizer(data, Tokenizer.fromGguf(f), f.metadata());
        }
    }
}
