package dev.pocketlm.cli;

import dev.pocketlm.model.io.LoadedModel;
import dev.pocketlm.model.io.ModelFiles;
import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Backends;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** The --model and --backend options shared by commands that run a model. */
final class ModelOptions {
    @Option(names = {"-m", "--model"}, paramLabel = "FILE",
            description = "Model file: GGUF (Llama) or llama2.c .bin with tokenizer.bin beside it. Default: the embedded Shakespeare model.")
    Path model;

    @Option(names = "--backend", paramLabel = "NAME[:DEVICE]",
            description = "cpu, cpu:reference, opencl[:N], cuda[:N] (default: -Dpocket.backend, POCKET_BACKEND, pocket.properties, else the best available).")
    String backend;

    Backend openBackend() {
        return Backends.open(backend);
    }

    LoadedModel load(Backend be) throws IOException {
        return model == null ? ModelFiles.loadDefault(be) : ModelFiles.load(model, be);
    }
}
