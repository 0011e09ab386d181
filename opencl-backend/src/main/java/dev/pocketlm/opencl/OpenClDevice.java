package dev.pocketlm.opencl;

import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** One OpenCL device with the facts selection, scoring and the program cache need. */
record OpenClDevice(int index, cl_platform_id platform, cl_device_id id, String name, String platformName,
                    String driverVersion, String openclCVersion, boolean gpu, long globalMemory) {

    /** The installed platforms; empty when the ICD loader finds no driver. */
    static List<cl_platform_id> platforms() {
        CL.setExceptionsEnabled(true);
        int[] count = new int[1];
        try {
            CL.clGetPlatformIDs(0, null, count);
        } catch (CLException e) {
            return List.of(); // CL_PLATFORM_NOT_FOUND_KHR: the loader found no ICD
        }
        cl_platform_id[] platforms = new cl_platform_id[count[0]];
        CL.clGetPlatformIDs(platforms.length, platforms, null);
        return List.of(platforms);
    }

    /** Every device of these platforms, numbered across platforms in platform order. */
    static List<OpenClDevice> all(List<cl_platform_id> platforms) {
        List<OpenClDevice> out = new ArrayList<>();
        for (cl_platform_id p : platforms) {
            int[] n = new int[1];
            try {
                CL.clGetDeviceIDs(p, CL.CL_DEVICE_TYPE_ALL, 0, null, n);
            } catch (CLException e) {
                continue; // CL_DEVICE_NOT_FOUND: a platform without devices
            }
            cl_device_id[] ids = new cl_device_id[n[0]];
            CL.clGetDeviceIDs(p, CL.CL_DEVICE_TYPE_ALL, ids.length, ids, null);
            String platformName = platformString(p, CL.CL_PLATFORM_NAME);
            for (cl_device_id d : ids) {
                long[] type = new long[1];
                CL.clGetDeviceInfo(d, CL.CL_DEVICE_TYPE, Sizeof.cl_ulong, Pointer.to(type), null);
                long[] mem = new long[1];
                CL.clGetDeviceInfo(d, CL.CL_DEVICE_GLOBAL_MEM_SIZE, Sizeof.cl_ulong, Pointer.to(mem), null);
                out.add(new OpenClDevice(out.size(), p, d, deviceString(d, CL.CL_DEVICE_NAME), platformName,
                        deviceString(d, CL.CL_DRIVER_VERSION), deviceString(d, CL.CL_DEVICE_OPENCL_C_VERSION),
                        (type[0] & CL.CL_DEVICE_TYPE_GPU) != 0, mem[0]));
            }
        }
        return out;
    }

    String details() {
        return (gpu ? "GPU" : "non-GPU") + ", " + platformName + ", driver " + driverVersion + ", " + openclCVersion;
    }

    static String deviceString(cl_device_id d, int param) {
        long[] size = new long[1];
        CL.clGetDeviceInfo(d, param, 0, null, size);
        byte[] bytes = new byte[(int) size[0]];
        CL.clGetDeviceInfo(d, param, bytes.length, Pointer.to(bytes), null);
        return cString(bytes);
    }

    private static String platformString(cl_platform_id p, int param) {
        long[] size = new long[1];
        CL.clGetPlatformInfo(p, param, 0, null, size);
        byte[] bytes = new byte[(int) size[0]];
        CL.clGetPlatformInfo(p, param, bytes.length, Pointer.to(bytes), null);
        return cString(bytes);
    }

    static String cString(byte[] bytes) {
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) end++;
        return new String(bytes, 0, end, StandardCharsets.UTF_8).trim();
    }
}
