package dev.pocketlm.cli;

import dev.pocketlm.model.gguf.GgufFile;
import dev.pocketlm.model.io.LoadedModel;
import dev.pocketlm.model.io.ModelFiles;
import dev.pocketlm.model.llama.Llama;
import dev.pocketlm.model.llama.LlamaConfig;
import dev.pocketlm.model.llama.LlamaInit;
import dev.pocketlm.model.llama.LlamaWeights;
import dev.pocketlm.model.tokenizer.Tokenizer;
import dev.pocketlm.model.train.DistillationObjective;
import dev.pocketlm.model.train.TrainSettings;
import dev.pocketlm.model.train.Trainer;
import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Backends;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code pocket distill}: train a student on a frozen teacher's soft targets (Hinton), optionally several teachers. */
@Command(name = "distill", description = "Distill one or more frozen teachers into a student trained from scratch.")
final class DistillCommand implements Callable<Integer> {

    @Option(names = "--teacher", required = true, description = "Teacher GGUF (repeat for several; soft targets are averaged).")
    List<Path> teachers;

    @Option(names = "--data", required = true) Path data;

    @Option(names = {"-o", "--out"}, required = true) Path out;

    @Option(names = "--alpha", defaultValue = "0.5", description = "Weight of the soft (KL) term (default ${DEFAULT-VALUE}).") float alpha;

    @Option(names = "--temperature", defaultValue = "2.0") float temperature;

    @Option(names = "--reverse-kl", description = "Use KL(student || teacher) instead of KL(teacher || student).") boolean reverseKl;

    @Option(names = "--backend") String backend;

    @Mixin ShapeOptions studentShape;

    @Mixin TrainingOptions training;

    @Override public Integer call() throws Exception {
        TrainSettings settings = training.settings();
        List<LoadedModel> loaded = new ArrayList<>();
        try (Backend be = Backends.open(backend)) {
            try {
                for (Path t : teachers) loaded.add(ModelFiles.load(t, be));
                Corpus corpus;
                try (GgufFile first = GgufFile.open(teachers.getFirst())) {
                    corpus = Corpus.withTokenizer(data, Tokenizer.fromGguf(first), first.metadata());
                }
                List<Llama> models = loaded.stream().map(LoadedModel::model).toList();
                LlamaConfig config = studentShape.config(models.getFirst().config().vocabSize(), settings.context());
                try (LlamaWeights params = LlamaWeights.assemble(config, true,
                        (name, s) -> be.fromFloats(LlamaInit.values(name, s, config, settings.seed()), s.dims()));
                     Trainer trainer = new Trainer(config, params, settings, new DistillationObjective(models, alpha, temperature, reverseKl))) {
                    TrainingReport.run("distill", be, config, params, trainer, settings, corpus, out, training, models.getFirst());
                }
            } finally {
                for (LoadedModel m : loaded) m.close();
            }
        }
        return 0;
    }
}
