package dev.pocketlm.tests.api;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Backends;
import dev.pocketlm.tensor.DType;
import dev.pocketlm.tensor.Ops;
import dev.pocketlm.tensor.Tensor;
import dev.pocketlm.tests.AvailableBackends;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** readFloats fills the caller's array with what toFloats returns, whatever the tensor's dtype or strides. */
class ReadFloatsTest {

    static List<String> backends() { return AvailableBackends.specs(); }

    @ParameterizedTest
    @MethodSource("backends")
    void readsRowMajorValuesIntoTheGivenArray(String spec) {
        try (Backend be = Backends.open(spec)) {
            Tensor m = be.fromFloats(new float[]{1, 2, 3, 4, 5, 6}, 2, 3);
            float[] into = new float[6];
            assertSame(into, m.readFloats(into));
            assertArrayEquals(new float[]{1, 2, 3, 4, 5, 6}, into);
            assertArrayEquals(new float[]{1, 4, 2, 5, 3, 6}, m.transpose(0, 1).readFloats(new float[6])); // a strided view
            assertArrayEquals(new float[]{0.5f, -2, 3.25f}, Ops.cast(be.fromFloats(new float[]{0.5f, -2, 3.25f}, 3), DType.F16).readFloats(new float[3]));
            float[] again = m.slice(1, 1).readFloats(new float[3]); // the second row, at an offset in the storage
            assertArrayEquals(new float[]{4, 5, 6}, again);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.readFloats(new float[5]));
            assertTrue(e.getMessage().contains("6") && e.getMessage().contains("5"), e.getMessage());
            assertArrayEquals(m.toFloats(), Arrays.copyOf(into, 6));
            m.close();
            IllegalStateException closed = assertThrows(IllegalStateException.class, () -> m.readFloats(new float[6]));
            assertTrue(closed.getMessage().startsWith("readFloats") && closed.getMessage().contains("closed"), closed.getMessage());
            closed = assertThrows(IllegalStateException.class, m::toFloats);
            assertTrue(closed.getMessage().startsWith("toFloats") && closed.getMessage().contains("closed"), closed.getMessage());
        }
    }
}
