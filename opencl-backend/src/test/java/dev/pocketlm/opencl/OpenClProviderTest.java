package dev.pocketlm.opencl;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.spi.Probe;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Probing, scoring, device selection and the program binary cache. */
class OpenClProviderTest {
    private final OpenClProvider provider = new OpenClProvider();
    private List<OpenClDevice> devices;

    @BeforeEach void requireOpenCl() {
        Devices.open().close(); // skips (or fails on CI) with the probe's reason when OpenCL is absent
        devices = OpenClDevice.all(OpenClDevice.platforms());
    }

    @Test void probeListsEveryDeviceAndScoresByType() {
        Probe probe = provider.probe();
        assertTrue(probe.available(), probe.reason());
        assertEquals(devices.size(), probe.devices().size());
        for (int i = 0; i < devices.size(); i++) {
            assertEquals(i, probe.devices().get(i).index());
            assertEquals(devices.get(i).name(), probe.devices().get(i).name());
        }
        boolean gpu = devices.stream().anyMatch(OpenClDevice::gpu);
        assertEquals(gpu ? 200 : 50, provider.score());
    }

    /** A missing loader is found before JOCL, whose native side would print its own failure to stdout. */
    @Test void aMissingIcdLoaderIsNamedWithWhatToInstall() {
        assertNull(OpenClProvider.missingLoader("libOpenCL.so"), "present: the probe above found devices through it");
        String reason = OpenClProvider.missingLoader("libOpenCL-absent.so.9");
        assertTrue(reason.contains("libOpenCL-absent.so.9 is not on the library path") && reason.contains("ocl-icd-opencl-dev"), reason);
    }

    @Test void selectsByIndexOrCaseInsensitiveNameAndExplainsMisses() {
        OpenClDevice last = devices.getLast();
        assertEquals(last, OpenClProvider.choose(devices, String.valueOf(last.index())));
        String part = last.name().substring(last.name().length() / 3).toUpperCase(Locale.ROOT);
        assertEquals(last.name(), OpenClProvider.choose(devices, part).name());
        var badIndex = assertThrows(IllegalArgumentException.class, () -> OpenClProvider.choose(devices, "99"));
        assertTrue(badIndex.getMessage().contains(devices.getFirst().name()), badIndex.getMessage());
        var badName = assertThrows(IllegalArgumentException.class, () -> OpenClProvider.choose(devices, "no-such-device-xyz"));
        assertTrue(badName.getMessage().contains("no-such-device-xyz"), badName.getMessage());
    }

    @Test void programBinaryIsCachedAndAStaleOneIsRebuilt(@TempDir Path cache) throws IOException {
        String previous = System.setProperty(ProgramBuilder.CACHE_PROPERTY, cache.toString());
        try {
            assertEquals(2.5f, scaleOnce(), "built from source");
            List<Path> binaries = binaries(cache);
            assertEquals(1, binaries.size(), "one cached binary in " + cache);
            byte[] good = Files.readAllBytes(binaries.getFirst());
            assertEquals(2.5f, scaleOnce(), "loaded from the cached binary");
            Files.write(binaries.getFirst(), new byte[]{1, 2, 3});
            assertEquals(2.5f, scaleOnce(), "rebuilt after a corrupt binary");
            assertArrayEquals(good, Files.readAllBytes(binaries.getFirst()), "the corrupt binary was replaced");
        } finally {
            if (previous == null) System.clearProperty(ProgramBuilder.CACHE_PROPERTY);
            else System.setProperty(ProgramBuilder.CACHE_PROPERTY, previous);
        }
    }

    @Test void closedBackendRefusesWork() {
        Backend be = provider.open("0");
        assertEquals("opencl:0", be.name());
        var t = be.fromFloats(new float[]{1, 2}, 2);
        be.close();
        assertTrue(t.isClosed(), "close frees every buffer");
        assertThrows(IllegalStateException.class, () -> be.allocateStorage(4));
    }

    private float scaleOnce() {
        try (Backend be = provider.open("")) {
            return dev.pocketlm.tensor.Ops.scale(be.fromFloats(new float[]{1f}, 1), 2.5f).item();
        }
    }

    private static List<Path> binaries(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> out = files.filter(p -> p.toString().endsWith(".bin")).toList();
            assertFalse(out.isEmpty(), "no .bin in " + dir);
            return out;
        }
    }
}
