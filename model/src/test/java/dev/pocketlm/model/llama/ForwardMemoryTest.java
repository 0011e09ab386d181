package dev.pocketlm.model.llama;

import dev.pocketlm.cpu.CpuProvider;
import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Kernels;
import dev.pocketlm.tensor.Scope;
import dev.pocketlm.tensor.Tensor;
import dev.pocketlm.tensor.spi.DeviceInfo;
import dev.pocketlm.tensor.spi.Storage;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Inference frees each intermediate once it is dead, so the next op's output reuses memory still in cache. */
class ForwardMemoryTest {

    /** The CPU backend, remembering every storage it allocates. */
    private record Recording(Backend inner, List<Storage> allocated) implements Backend {
        @Override public String name() { return inner.name(); }

        @Override public DeviceInfo device() { return inner.device(); }

        @Override public Kernels kernels() { return inner.kernels(); }

        @Override public Storage allocateStorage(long bytes) {
            Storage s = inner.allocateStorage(bytes);
            allocated.add(s);
            return s;
        }

        @Override public void write(Storage dst, long dstOffset, MemorySegment src) { inner.write(dst, dstOffset, src); }

        @Override public void read(Storage src, long srcOffset, MemorySegment dst) { inner.read(src, srcOffset, dst); }

        @Override public void synchronize() { inner.synchronize(); }

        @Override public void close() {}
    }

    @Test
    void aForwardPassLeavesOnlyItsInputsItsLastRowsAndItsLogitsAllocated() {
        LlamaConfig c = GeneratorTest.C;
        try (Backend cpu = new CpuProvider().open("")) {
            Recording be = new Recording(cpu, new ArrayList<>());
            try (LlamaWeights w = LlamaWeights.assemble(c, true, (name, s) -> be.fromFloats(LlamaInit.values(name, s, c, 2), s.dims()));
                 KvCache cache = new KvCache(be, c, 8, DType.F32);
                 Scope scope = Scope.open()) {
                int before = be.allocated().size();
                Tensor logits = new Llama(c, w).forward(new int[]{1, 5, 7}, 0, cache, false);
                List<Storage> made = be.allocated().subList(before, be.allocated().size());
                List<Storage> live = made.stream().filter(s -> !s.isFreed()).toList();
                assertTrue(made.size() >= 12 * c.layers(), "a forward pass allocates its intermediates: " + made.size());
                // the token ids and positions, the last layer's rows, their norm, the logits
                assertEquals(5, live.size(), "storages still allocated after the forward pass");
                assertTrue(live.contains(logits.storage()));
            }
        }
    }
}
