package dev.pocketlm.cli;

import dev.pocketlm.model.gguf.GgufFile;
import dev.pocketlm.model.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code pocket tokenize --model FILE TEXT}: the token ids, space-separated. */
@Command(name = "tokenize", description = "Print the token ids of TEXT, space-separated.")
final class TokenizeCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, required = true, description = "A GGUF file with a tokenizer.")
    Path model;

    @Option(names = "--bos", description = "Add BOS first when the model expects it.")
    boolean bos;

    @Parameters(index = "0", paramLabel = "TEXT") String text;

    @Override public Integer call() throws Exception {
        try (GgufFile f = GgufFile.open(model)) {
            Tokenizer t = Tokenizer.fromGguf(f);
            int[] ids = t.encode(text, bos && t.addBos());
            System.out.println(Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(" ")));
        }
        return 0;
    }
}
