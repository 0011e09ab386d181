package dev.pocketlm.model.io;

import dev.pocketlm.model.ModelFormatException;
import dev.pocketlm.model.llama.LlamaConfig;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.RopeMode;
import dev.pocketlm.tensor.Shape;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A llama2.c checkpoint (the legacy {@code .bin} format): seven int32 header fields (dim, hidden_dim, n_layers,
 * n_heads, n_kv_heads, vocab_size, seq_len; a negative vocab_size means a separate classifier), then F32 weights
 * in run.c's order. Memory-mapped; exposed under GGUF tensor names.
 */
public final class Llama2cCheckpoint implements TensorSource, AutoCloseable {
    private static final int HEADER_BYTES = 7 * 4;

    private final Path file;
    private final Arena arena;
    private final LlamaConfig config;
    private final Map<String, StoredTensor> tensors = new HashMap<>();

    private Llama2cCheckpoint(Path file, Arena arena, MemorySegment map) {
        this.file = file;
        this.arena = arena;
        if (map.byteSize() < HEADER_BYTES) throw new ModelFormatException(file + ": " + map.byteSize() + " bytes is too short for the 28-byte llama2.c header");
        int[] h = new int[7];
        for (int i = 0; i < 7; i++) h[i] = map.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * i);
        int dim = h[0], hidden = h[1], layers = h[2], heads = h[3], kvHeads = h[4], vocab = Math.abs(h[5]), seq = h[6];
        boolean shared = h[5] > 0;
        try {
            config = new LlamaConfig(dim, layers, heads, kvHeads, hidden, vocab, seq, 1e-5f, 10000f, dim / Math.max(1, heads), RopeMode.NORMAL);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file + ": not a llama2.c checkpoint (header dim " + dim + ", hidden " + hidden + ", layers "
                    + layers + ", heads " + heads + ", kv heads " + kvHeads + ", vocab " + h[5] + ", seq " + seq + "): " + e.getMessage());
        }
        int hd = config.headDim(), kv = config.kvDim();
        long[] offset = {HEADER_BYTES};
        Layout layout = (name, shape) -> {
            long bytes = DType.F32.bytes(shape.size());
            if (offset[0] + bytes > map.byteSize()) {
                throw new ModelFormatException(file + ": truncated: tensor '" + name + "' needs bytes " + offset[0] + ".." + (offset[0] + bytes)
                        + ", the file has " + map.byteSize());
            }
            MemorySegment s = map.asSlice(offset[0], bytes);
            offset[0] += bytes;
            return new StoredTensor(name, DType.F32, shape, s);
        };
        put(layout.next("token_embd.weight", Shape.of(vocab, dim)));
        perLayer(layout, "attn_norm.weight", Shape.of(dim));
        perLayer(layout, "attn_q.weight", Shape.of(dim, dim));
        perLayer(layout, "attn_k.weight", Shape.of(kv, dim));
        perLayer(layout, "attn_v.weight", Shape.of(kv, dim));
        perLayer(layout, "attn_output.weight", Shape.of(dim, dim));
        perLayer(layout, "ffn_norm.weight", Shape.of(dim));
        perLayer(layout, "ffn_gate.weight", Shape.of(hidden, dim));
        perLayer(layout, "ffn_down.weight", Shape.of(dim, hidden));
        perLayer(layout, "ffn_up.weight", Shape.of(hidden, dim));
        put(layout.next("output_norm.weight", Shape.of(dim)));
        layout.next("freq_cis_real", Shape.of(seq, hd / 2));
        layout.next("freq_cis_imag", Shape.of(seq, hd / 2));
        if (!shared) put(layout.next("output.weight", Shape.of(vocab, dim)));
    }

    @FunctionalInterface
    private interface Layout {
        StoredTensor next(String name, Shape shape);
    }

    private void perLayer(Layout layout, String suffix, Shape shape) {
        for (int l = 0; l < config.layers(); l++) put(layout.next("blk." + l + "." + suffix, shape));
    }

    private void put(StoredTensor t) { tensors.put(t.name(), t); }

    public static Llama2cCheckpoint open(Path file) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment map = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return new Llama2cCheckpoint(file, arena, map);
        } catch (IOException e) {
            arena.close();
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public LlamaConfig config() { return config; }

    @Override public String origin() { return file.toString(); }

    @Override public Optional<StoredTensor> find(String name) { return Optional.ofNullable(tensors.get(name)); }

    @Override public void close() { arena.close(); }
}
