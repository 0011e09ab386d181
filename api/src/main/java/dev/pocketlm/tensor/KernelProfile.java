package dev.pocketlm.tensor;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The time each {@link Kernels} method takes while a profile runs: {@link Ops} then calls a backend's kernels through
 * a proxy that times every call and synchronizes the backend after it, so an asynchronous device's time is its
 * kernel's, not the launch's. One profile runs at a time, process-wide, between {@link #start} and {@link #stop}. The
 * ops' own work (checks, allocating outputs, views) is outside the kernels: the caller's clock minus the total.
 * Without a running profile, {@link #kernels} is the backend's own object and costs one volatile read.
 */
public final class KernelProfile {
    /** A kernel's calls and their total time, {@code kernel} being the {@link Kernels} method's name. */
    public record Entry(String kernel, long calls, long nanos) {}

    private static volatile KernelProfile running;

    private final Map<String, long[]> totals = new HashMap<>();
    private final Map<Backend, Kernels> timed = new IdentityHashMap<>();

    private KernelProfile() {}

    /** Starts a profile; fails if one is running. */
    public static synchronized void start() {
        if (running != null) throw new IllegalStateException("a kernel profile is already running");
        running = new KernelProfile();
    }

    /** Ends the running profile; its entries, the longest total first. */
    public static synchronized List<Entry> stop() {
        KernelProfile p = running;
        if (p == null) throw new IllegalStateException("no kernel profile is running");
        running = null;
        List<Entry> entries = new ArrayList<>();
        synchronized (p) {
            p.totals.forEach((kernel, t) -> entries.add(new Entry(kernel, t[0], t[1])));
        }
        entries.sort(Comparator.comparingLong(Entry::nanos).reversed().thenComparing(Entry::kernel));
        return entries;
    }

    /** The kernels {@link Ops} calls on {@code be}: timed while a profile runs. */
    static Kernels kernels(Backend be) {
        KernelProfile p = running;
        return p == null ? be.kernels() : p.timed(be);
    }

    private synchronized Kernels timed(Backend be) {
        return timed.computeIfAbsent(be, b -> {
            Kernels target = b.kernels();
            InvocationHandler handler = (proxy, method, args) -> {
                if (method.getDeclaringClass() == Object.class) return method.invoke(target, args);
                long start = System.nanoTime();
                try {
                    return method.invoke(target, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                } finally {
                    b.synchronize();
                    add(method.getName(), System.nanoTime() - start);
                }
            };
            return (Kernels) Proxy.newProxyInstance(Kernels.class.getClassLoader(), new Class<?>[]{Kernels.class}, handler);
        });
    }

    private synchronized void add(String kernel, long nanos) {
        long[] t = totals.computeIfAbsent(kernel, k -> new long[2]);
        t[0]++;
        t[1] += nanos;
    }
}
