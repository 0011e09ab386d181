package dev.pocketlm.opencl;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.spi.BackendProvider;
import dev.pocketlm.tensor.spi.DeviceInfo;
import dev.pocketlm.tensor.spi.Probe;
import org.jocl.cl_platform_id;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.util.List;
import java.util.Locale;

/**
 * {@code opencl}: any OpenCL 1.2+ device. Devices are numbered across all platforms ({@code opencl:0}) or chosen by
 * a case-insensitive substring of their name ({@code opencl:nvidia}); without one, the first GPU, else device 0.
 */
public final class OpenClProvider implements BackendProvider {
    static final int GPU_SCORE = 200;
    static final int CPU_SCORE = 50;
    /** The name JOCL loads on Linux (the development symlink, not the versioned libOpenCL.so.1). */
    private static final String ICD_LOADER = "libOpenCL.so";
    private static final String INSTALL_LOADER = "; install ocl-icd-opencl-dev (Debian/Ubuntu) or your vendor's OpenCL runtime";

    /** The probe's outcome with the devices it found (empty when unavailable). */
    private record Discovery(Probe probe, List<OpenClDevice> devices) {}

    private volatile Discovery discovery;

    /** Why the OpenCL ICD loader {@code library} cannot be loaded, or null when it can. */
    static String missingLoader(String library) {
        try (Arena arena = Arena.ofConfined()) {
            SymbolLookup.libraryLookup(library, arena);
            return null;
        } catch (IllegalArgumentException e) {
            return "the OpenCL ICD loader " + library + " is not on the library path" + INSTALL_LOADER;
        }
    }

    @Override public String name() { return "opencl"; }

    @Override public Probe probe() { return discover().probe(); }

    /** 200 when a GPU is present, 50 for CPU-only devices such as PoCL (and when none is usable). */
    @Override public int score() {
        return discover().devices().stream().anyMatch(OpenClDevice::gpu) ? GPU_SCORE : CPU_SCORE;
    }

    @Override public Backend open(String device) {
        Discovery d = discover();
        if (!d.probe().available()) throw new IllegalStateException("opencl cannot start: " + d.probe().reason());
        return new OpenClBackend(choose(d.devices(), device));
    }

    /** The device a selection string names: "" (first GPU, else 0), an index, or part of a device name. */
    static OpenClDevice choose(List<OpenClDevice> devices, String selector) {
        String s = selector.trim();
        if (s.isEmpty()) return devices.stream().filter(OpenClDevice::gpu).findFirst().orElse(devices.getFirst());
        if (s.chars().allMatch(Character::isDigit)) {
            int i = Integer.parseInt(s);
            if (i >= devices.size()) {
                throw new IllegalArgumentException("opencl:" + s + ": no such device; " + listing(devices));
            }
            return devices.get(i);
        }
        String needle = s.toLowerCase(Locale.ROOT);
        return devices.stream().filter(dev -> dev.name().toLowerCase(Locale.ROOT).contains(needle)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("opencl:" + s + ": no device name contains '" + s
                        + "'; " + listing(devices)));
    }

    private static String listing(List<OpenClDevice> devices) {
        StringBuilder sb = new StringBuilder("devices:");
        for (OpenClDevice d : devices) sb.append(' ').append(d.index()).append(" = ").append(d.name()).append(';');
        return sb.substring(0, sb.length() - 1);
    }

    private Discovery discover() {
        Discovery d = discovery;
        if (d == null) {
            d = runDiscovery();
            discovery = d;
        }
        return d;
    }

    private static Discovery runDiscovery() {
        // JOCL's native side prints its own failure to stdout, which would corrupt `pocket bench --json`: look first.
        String missing = missingLoader(ICD_LOADER);
        if (missing != null) return new Discovery(Probe.unavailable(missing), List.of());
        List<cl_platform_id> platforms;
        try {
            platforms = OpenClDevice.platforms();
        } catch (LinkageError e) {
            return new Discovery(Probe.unavailable("the OpenCL ICD loader " + ICD_LOADER + " could not be loaded ("
                    + e.getMessage() + ")" + INSTALL_LOADER), List.of());
        }
        if (platforms.isEmpty()) {
            return new Discovery(Probe.unavailable("libOpenCL.so loaded but it lists no OpenCL platform (no driver under "
                    + "/etc/OpenCL/vendors); install an ICD such as pocl-opencl-icd or a GPU driver's OpenCL ICD"), List.of());
        }
        List<OpenClDevice> devices = OpenClDevice.all(platforms);
        if (devices.isEmpty()) {
            return new Discovery(Probe.unavailable(platforms.size() + " OpenCL platform(s) found but none has a device"), List.of());
        }
        List<DeviceInfo> infos = devices.stream()
                .map(dev -> new DeviceInfo(dev.index(), dev.name(), dev.globalMemory(), dev.details())).toList();
        return new Discovery(Probe.available(infos), devices);
    }
}
