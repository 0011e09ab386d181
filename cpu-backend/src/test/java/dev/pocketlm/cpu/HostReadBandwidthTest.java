package dev.pocketlm.cpu;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Backends;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostReadBandwidthTest {

    @Test
    void sumAddsEveryFloatOfTheRangeAndNothingOutsideIt() {
        int floats = 64 * WeightRows.L;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(4L * (floats + 2 * 4 * WeightRows.L), 64);
            s.fill((byte) 0x7f); // floats of 3.4e38 around the range: any stray read overflows to Inf
            long from = 4L * 4 * WeightRows.L;
            for (int i = 0; i < floats; i++) s.set(ValueLayout.JAVA_FLOAT, from + 4L * i, i + 1);
            // integers up to 2^24 add exactly in any order: 1 + 2 + ... + n
            assertEquals(floats * (floats + 1) / 2f, HostReadBandwidth.sum(s, from, from + 4L * floats));
        }
    }

    @Test
    void sumRejectsARangeOfPartialSteps() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(1024, 64);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostReadBandwidth.sum(s, 0, 4));
            assertTrue(e.getMessage().contains("not a multiple"), e.getMessage());
        }
    }

    @Test
    void theCpuBackendsMeasureAPlausibleHostReadRate() {
        for (String name : new String[]{"cpu", "cpu:reference"}) {
            try (Backend be = Backends.open(name)) {
                double bytesPerSecond = be.measureReadBandwidth().orElseThrow();
                // from a slow laptop's 1 GB/s to well above any host's memory
                assertTrue(bytesPerSecond > 1e8 && bytesPerSecond < 1e14, name + ": " + bytesPerSecond);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> HostReadBandwidth.measure(CpuThreads.shared(), 3L << 20));
    }
}
