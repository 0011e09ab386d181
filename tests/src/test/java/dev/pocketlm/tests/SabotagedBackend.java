package dev.pocketlm.tests;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Kernels;
import dev.pocketlm.tensor.spi.DeviceInfo;
import dev.pocketlm.tensor.spi.Storage;

import java.lang.foreign.MemorySegment;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

/** A real backend with one kernel deliberately broken after it runs: proves the suite catches wrong kernels. */
final class SabotagedBackend implements Backend {

    /** Damage done after the real kernel ran, given the real backend and the kernel's arguments. */
    @FunctionalInterface
    interface Damage {
        void apply(Backend real, Object[] args);
    }

    private final Backend real;
    private final Kernels kernels;

    SabotagedBackend(Backend real, String kernel, Damage damage) {
        this.real = real;
        Kernels base = real.kernels();
        this.kernels = (Kernels) Proxy.newProxyInstance(Kernels.class.getClassLoader(), new Class<?>[]{Kernels.class},
                (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(base, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (method.getName().equals(kernel)) damage.apply(real, args);
                    return result;
                });
    }

    @Override public String name() { return real.name() + " (sabotaged)"; }

    @Override public DeviceInfo device() { return real.device(); }

    @Override public Kernels kernels() { return kernels; }

    @Override public Storage allocateStorage(long bytes) { return real.allocateStorage(bytes); }

    @Override public void write(Storage dst, long dstOffset, MemorySegment src) { real.write(dst, dstOffset, src); }

    @Override public void read(Storage src, long srcOffset, MemorySegment dst) { real.read(src, srcOffset, dst); }

    @Override public void synchronize() { real.synchronize(); }

    @Override public void close() {}
}
