package dev.pocketlm.opencl;

import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_program;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Builds the kernel program for one device, through an on-disk binary cache
 * (~/.cache/pocket/opencl/&lt;sha256 of device, driver, options and source&gt;.bin, or the folder named by
 * {@value #CACHE_PROPERTY}); a cached binary the driver refuses is rebuilt from source.
 */
final class ProgramBuilder {
    private static final String OPTIONS = "-cl-std=CL1.2";

    private ProgramBuilder() {}

    static cl_program build(cl_context context, OpenClDevice device, String source) {
        Path cached = cacheDir().resolve(key(device, source) + ".bin");
        if (Files.isRegularFile(cached)) {
            cl_program fromBinary = fromBinary(context, device, cached);
            if (fromBinary != null) return fromBinary;
        }
        cl_program program = CL.clCreateProgramWithSource(context, 1, new String[]{source}, null, null);
        try {
            CL.clBuildProgram(program, 1, new cl_device_id[]{device.id()}, OPTIONS, null, null);
        } catch (CLException e) {
            String log = buildLog(program, device.id());
            CL.clReleaseProgram(program);
            throw new IllegalStateException("OpenCL kernels failed to build on " + device.name() + " (" + e.getClass().getSimpleName()
                    + "); build log:\n" + log, e);
        }
        store(program, cached);
        return program;
    }

    /** System property naming another cache folder (tests use a temporary one). */
    static final String CACHE_PROPERTY = "pocket.opencl.cache";

    static Path cacheDir() {
        String dir = System.getProperty(CACHE_PROPERTY);
        return dir != null ? Path.of(dir) : Path.of(System.getProperty("user.home"), ".cache", "pocket", "opencl");
    }

    private static cl_program fromBinary(cl_context context, OpenClDevice device, Path file) {
        cl_program program = null;
        try {
            byte[] binary = Files.readAllBytes(file);
            program = CL.clCreateProgramWithBinary(context, 1, new cl_device_id[]{device.id()},
                    new long[]{binary.length}, new byte[][]{binary}, null, null);
            CL.clBuildProgram(program, 1, new cl_device_id[]{device.id()}, OPTIONS, null, null);
            return program;
        } catch (IOException | CLException e) {
            if (program != null) CL.clReleaseProgram(program);
            return null; // stale or foreign binary: rebuild from source
        }
    }

    /** Saves the device binary; a cache that cannot be written only costs the next start a rebuild. */
    private static void store(cl_program program, Path file) {
        long[] size = new long[1];
        CL.clGetProgramInfo(program, CL.CL_PROGRAM_BINARY_SIZES, Sizeof.size_t, Pointer.to(size), null);
        if (size[0] == 0) return;
        byte[] binary = new byte[Math.toIntExact(size[0])];
        CL.clGetProgramInfo(program, CL.CL_PROGRAM_BINARIES, Sizeof.POINTER, Pointer.to(Pointer.to(binary)), null);
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), "program", ".tmp");
            Files.write(tmp, binary);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            System.err.println("pocket: cannot cache the OpenCL program binary at " + file + ": " + e.getMessage());
        }
    }

    private static String buildLog(cl_program program, cl_device_id device) {
        long[] size = new long[1];
        CL.clGetProgramBuildInfo(program, device, CL.CL_PROGRAM_BUILD_LOG, 0, null, size);
        byte[] log = new byte[Math.toIntExact(size[0])];
        CL.clGetProgramBuildInfo(program, device, CL.CL_PROGRAM_BUILD_LOG, log.length, Pointer.to(log), null);
        return OpenClDevice.cString(log);
    }

    private static String key(OpenClDevice device, String source) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : new String[]{device.name(), device.platformName(), device.driverVersion(), OPTIONS, source}) {
                sha.update(part.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
