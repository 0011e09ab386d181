package dev.pocketlm.model.io;

import dev.pocketlm.model.ModelFormatException;
import dev.pocketlm.model.llama.LlamaConfig;
import dev.pocketlm.model.llama.LlamaWeights;
import dev.pocketlm.tensor.Backend;

/** Puts a file's Llama tensors on a backend in their stored dtypes, checking every name and shape against the config. */
public final class LlamaLoader {
    private LlamaLoader() {}

    public static LlamaWeights load(LlamaConfig c, TensorSource source, Backend backend) {
        boolean tied = source.find("output.weight").isEmpty();
        return LlamaWeights.assemble(c, tied, (name, expected) -> {
            StoredTensor t = source.require(name);
            if (!t.shape().equals(expected)) {
                throw new ModelFormatException(source.origin() + ": tensor '" + name + "' has shape " + t.shape() + ", expected " + expected);
            }
            return backend.map(t.dtype(), t.shape(), t.bytes());
        });
    }
}
