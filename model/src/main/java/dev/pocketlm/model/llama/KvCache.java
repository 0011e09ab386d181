package dev.pocketlm.model.llama;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Tensor;

/** Keys and values of every layer on the device: [capacity, kvHeads, headDim] per layer, row = position. */
public final class KvCache implements AutoCloseable {
    private final Tensor[] keys;
    private final Tensor[] values;
    private final int capacity;

    public KvCache(Backend backend, LlamaConfig c, int capacity, DType dtype) {
        if (capacity <= 0 || capacity > c.contextLength()) {
            throw new IllegalArgumentException("KV cache capacity " + capacity + " must be in 1.." + c.contextLength() + " (the model's context)");
        }
        this.capacity = capacity;
        keys = new Tensor[c.layers()];
        values = new Tensor[c.layers()];
        for (int l = 0; l < c.layers(); l++) {
            keys[l] = backend.zeros(dtype, capacity, c.kvHeads(), c.headDim());
            values[l] = backend.zeros(dtype, capacity, c.kvHeads(), c.headDim());
        }
    }

    public int capacity() { return capacity; }

    public Tensor keys(int layer) { return keys[layer]; }

    public Tensor values(int layer) { return values[layer]; }

    @Override public void close() {
        for (int l = 0; l < keys.length; l++) {
            keys[l].close();
            values[l].close();
        }
    }
}
