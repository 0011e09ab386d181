package dev.pocketlm.model.io;

import dev.pocketlm.model.ModelFormatException;
import java.util.Optional;

/** Named tensors of one model file, under GGUF's Llama tensor names (token_embd.weight, blk.0.attn_q.weight, ...). */
public interface TensorSource {
    /** Where the tensors come from, for error messages. */
    String origin();

    Optional<StoredTensor> find(String name);

    default StoredTensor require(String name) {
        return find(name).orElseThrow(() -> new ModelFormatException(origin() + ": missing tensor '" + name + "'"));
    }
}
