package dev.pocketlm.cuda;

import dev.pocketlm.tensor.spi.DeviceInfo;
import dev.pocketlm.tensor.spi.Probe;
import jcuda.driver.CUdevice;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.util.ArrayList;
import java.util.List;

import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR;

/** Whether CUDA can run here: the driver library, cuInit, the driver version, the devices and the shipped PTX. */
final class CudaProbe {
    /** PTX ISA 8.0 (what the build writes) loads on drivers for CUDA 12.0 and newer. */
    static final int MIN_DRIVER_VERSION = 12000;
    /** nvcc's oldest target, compute_75, is what the PTX is built for. */
    static final int MIN_COMPUTE_CAPABILITY = 75;

    static final String DRIVER_LIBRARY = "libcuda.so.1";

    private CudaProbe() {}

    static Probe run() {
        try {
            return probeDriver();
        } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
            return Probe.unavailable(linkFailure(e));
        } catch (IllegalStateException e) { // a driver query failed after cuInit succeeded
            return Probe.unavailable(e.getMessage());
        }
    }

    /** Why JCuda's driver binding did not load: usually no NVIDIA driver; JCuda's own message runs to pages. */
    private static String linkFailure(LinkageError e) {
        try {
            SymbolLookup.libraryLookup(DRIVER_LIBRARY, Arena.global());
        } catch (IllegalArgumentException missing) {
            return "the NVIDIA driver library " + DRIVER_LIBRARY + " is not installed or not loadable (no CUDA driver on this machine)";
        }
        String message = String.valueOf(e.getMessage());
        return "JCuda's driver binding failed to load although " + DRIVER_LIBRARY + " loads: " + e.getClass().getSimpleName()
                + ": " + message.lines().findFirst().orElse("");
    }

    private static Probe probeDriver() {
        int init = JCudaDriver.cuInit(0);
        if (init != CUresult.CUDA_SUCCESS) {
            return Probe.unavailable("cuInit failed: " + CUresult.stringFor(init)
                    + (init == CUresult.CUDA_ERROR_NO_DEVICE ? " (no CUDA device is visible)" : ""));
        }
        int[] version = new int[1];
        JCudaDriver.cuDriverGetVersion(version);
        if (version[0] < MIN_DRIVER_VERSION) {
            return Probe.unavailable("the CUDA driver supports CUDA " + versionText(version[0])
                    + "; Pocket's PTX (ISA 8.0) needs a driver for CUDA " + versionText(MIN_DRIVER_VERSION) + " or newer");
        }
        int[] count = new int[1];
        CudaCheck.check(JCudaDriver.cuDeviceGetCount(count), "cuDeviceGetCount");
        if (count[0] == 0) return Probe.unavailable("the CUDA driver " + versionText(version[0]) + " reports no device");
        List<DeviceInfo> devices = new ArrayList<>();
        List<String> tooOld = new ArrayList<>();
        for (int i = 0; i < count[0]; i++) {
            DeviceInfo info = describe(i, version[0]);
            if (computeCapability(i) >= MIN_COMPUTE_CAPABILITY) devices.add(info);
            else tooOld.add(info.toString());
        }
        if (devices.isEmpty()) {
            return Probe.unavailable("no device has compute capability 7.5 or newer: " + String.join("; ", tooOld));
        }
        if (CudaModule.class.getResource(CudaModule.PTX_RESOURCE) == null) {
            return Probe.unavailable("this build ships no PTX (" + CudaModule.PTX_RESOURCE + "): it was built without nvcc");
        }
        return Probe.available(devices);
    }

    static DeviceInfo describe(int ordinal, int driverVersion) {
        CUdevice device = device(ordinal);
        byte[] name = new byte[256];
        CudaCheck.check(JCudaDriver.cuDeviceGetName(name, name.length, device), "cuDeviceGetName");
        long[] memory = new long[1];
        CudaCheck.check(JCudaDriver.cuDeviceTotalMem(memory, device), "cuDeviceTotalMem");
        int cc = computeCapability(ordinal);
        String details = "compute " + cc / 10 + "." + cc % 10 + ", driver CUDA " + versionText(driverVersion);
        return new DeviceInfo(ordinal, cString(name), memory[0], details);
    }

    static CUdevice device(int ordinal) {
        CUdevice device = new CUdevice();
        CudaCheck.check(JCudaDriver.cuDeviceGet(device, ordinal), "cuDeviceGet(" + ordinal + ")");
        return device;
    }

    /** Major * 10 + minor. */
    static int computeCapability(int ordinal) {
        CUdevice device = device(ordinal);
        int[] major = new int[1], minor = new int[1];
        CudaCheck.check(JCudaDriver.cuDeviceGetAttribute(major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device), "cuDeviceGetAttribute");
        CudaCheck.check(JCudaDriver.cuDeviceGetAttribute(minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device), "cuDeviceGetAttribute");
        return major[0] * 10 + minor[0];
    }

    /** 12040 -> "12.4". */
    static String versionText(int version) { return version / 1000 + "." + version % 1000 / 10; }

    private static String cString(byte[] bytes) {
        int n = 0;
        while (n < bytes.length && bytes[n] != 0) n++;
        return new String(bytes, 0, n, java.nio.charset.StandardCharsets.US_ASCII);
    }
}
