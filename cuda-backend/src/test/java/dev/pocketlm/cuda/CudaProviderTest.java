package dev.pocketlm.cuda;

import dev.pocketlm.tensor.spi.BackendProvider;
import dev.pocketlm.tensor.spi.DeviceInfo;
import dev.pocketlm.tensor.spi.Probe;
import org.junit.jupiter.api.Test;

import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The provider registers, and its probe answers (devices or a reason) instead of throwing. */
class CudaProviderTest {

    @Test void isRegisteredAsAService() {
        BackendProvider cuda = ServiceLoader.load(BackendProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("cuda")).findFirst().orElseThrow();
        assertEquals(300, cuda.score());
    }

    @Test void probeGivesDevicesOrAReason() {
        Probe probe = new CudaProvider().probe();
        System.out.println("cuda probe: " + (probe.available() ? probe.devices() : probe.reason()));
        if (probe.available()) {
            assertFalse(probe.devices().isEmpty(), "available without devices");
            for (DeviceInfo d : probe.devices()) {
                assertTrue(d.memoryBytes() > 0, "device memory of " + d);
                assertTrue(d.details().matches("compute \\d+\\.\\d, driver CUDA \\d+\\.\\d+"), "details of " + d);
            }
        } else {
            assertTrue(probe.devices().isEmpty());
            assertTrue(probe.reason().matches(".*(libcuda|cuInit|no device|driver|compute capability|PTX).*"),
                    "the reason names what is missing: " + probe.reason());
        }
    }

    @Test void openingWithoutADeviceNamesTheReason() {
        Probe probe = new CudaProvider().probe();
        if (probe.available()) return;
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new CudaProvider().open(""));
        assertTrue(e.getMessage().contains(probe.reason()), e.getMessage());
    }
}
