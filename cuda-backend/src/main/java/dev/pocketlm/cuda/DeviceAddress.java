package dev.pocketlm.cuda;

import jcuda.NativePointerObject;
import jcuda.driver.CUdeviceptr;

import java.lang.reflect.Method;

/** A device address: an allocation's base pointer plus a byte offset. */
record DeviceAddress(CUdeviceptr base, long offset) {
    private static final Method NATIVE_POINTER = nativePointerAccessor();

    DeviceAddress plus(long bytes) { return new DeviceAddress(base, offset + bytes); }

    /** For JCuda calls. */
    CUdeviceptr pointer() { return offset == 0 ? base : base.withByteOffset(offset); }

    /** The raw address, for APIs outside JCuda (JavaCPP's cuBLAS). */
    long address() { return rawAddress(base) + offset; }

    /** JCuda keeps a handle's native value behind a protected getter; JavaCPP needs it as a number. */
    static long rawAddress(NativePointerObject handle) {
        try {
            return (long) NATIVE_POINTER.invoke(handle);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read the native address of a JCuda handle", e);
        }
    }

    private static Method nativePointerAccessor() {
        try {
            Method m = NativePointerObject.class.getDeclaredMethod("getNativePointer");
            m.setAccessible(true);
            return m;
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
