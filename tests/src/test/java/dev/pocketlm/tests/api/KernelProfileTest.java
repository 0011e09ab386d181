package dev.pocketlm.tests.api;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Backends;
import dev.pocketlm.tensor.KernelProfile;
import dev.pocketlm.tensor.Ops;
import dev.pocketlm.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A kernel profile counts and times every kernel call that Ops makes while it runs, and changes no result. */
class KernelProfileTest {

    @Test
    void countsEachKernelsCallsAndKeepsTheResults() {
        try (Backend be = Backends.open("cpu")) {
            Tensor a = be.fromFloats(new float[]{1, 2, 3, 4}, 2, 2), b = be.fromFloats(new float[]{5, 6, 7, 8}, 2, 2);
            Ops.add(a, b); // before the profile: not counted
            KernelProfile.start();
            float[] sum = Ops.add(a, b).toFloats();
            Ops.add(a, a);
            float[] product = Ops.matmul(a, b, false, false).toFloats();
            List<KernelProfile.Entry> entries = KernelProfile.stop();
            Ops.add(a, b); // after it: not counted either
            assertArrayEquals(new float[]{6, 8, 10, 12}, sum);
            assertArrayEquals(new float[]{19, 22, 43, 50}, product); // [[1, 2], [3, 4]] x [[5, 6], [7, 8]]
            Map<String, KernelProfile.Entry> byKernel = entries.stream().collect(Collectors.toMap(KernelProfile.Entry::kernel, e -> e));
            assertEquals(2, byKernel.get("add").calls(), entries::toString);
            assertEquals(1, byKernel.get("matmul").calls(), entries::toString);
            assertTrue(entries.stream().allMatch(e -> e.nanos() > 0), entries::toString);
            for (int i = 1; i < entries.size(); i++) assertTrue(entries.get(i - 1).nanos() >= entries.get(i).nanos(), entries::toString);
        }
    }

    @Test
    void aKernelsErrorReachesTheCallerUnwrapped() {
        try (Backend be = Backends.open("cpu")) {
            Tensor table = be.fromFloats(new float[]{1, 2, 3, 4, 5, 6}, 3, 2), ids = be.fromInts(new int[]{5}, 1);
            KernelProfile.start();
            try {
                IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> Ops.getRows(table, ids));
                assertEquals("get_rows: row id 5 outside [0, 3)", e.getMessage());
            } finally {
                KernelProfile.stop();
            }
        }
    }

    @Test
    void oneProfileRunsAtATime() {
        KernelProfile.start();
        try {
            IllegalStateException twice = assertThrows(IllegalStateException.class, KernelProfile::start);
            assertEquals("a kernel profile is already running", twice.getMessage());
        } finally {
            assertEquals(List.of(), KernelProfile.stop());
        }
        IllegalStateException none = assertThrows(IllegalStateException.class, KernelProfile::stop);
        assertEquals("no kernel profile is running", none.getMessage());
    }
}
