package dev.pocketlm.cuda;

import dev.pocketlm.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * One kernel launch being assembled: name, geometry (groups x local size, as in KERNELS.md) and typed arguments.
 * A buffer argument is the tensor's device address followed by the {@code long} element offset the shared kernels
 * take; the offset is always 0 because the address already includes the tensor's byte offset.
 */
final class KernelLaunch {
    /** Kernel parameter kinds, as they appear in the PTX: pointers and longs are 64-bit. */
    enum Kind { POINTER, LONG, INT, FLOAT }

    record Arg(Kind kind, Object value) {}

    /** Runs assembled launches (the device, or a recorder in tests). */
    interface Launcher {
        void launch(KernelLaunch launch);
    }

    final String kernel;
    final int groupsX, groupsY, localX, localY;
    final List<Arg> args = new ArrayList<>();
    private final Launcher launcher;

    KernelLaunch(Launcher launcher, String kernel, int groupsX, int groupsY, int localX, int localY) {
        this.launcher = launcher;
        this.kernel = kernel;
        this.groupsX = groupsX;
        this.groupsY = groupsY;
        this.localX = localX;
        this.localY = localY;
    }

    KernelLaunch buffer(Tensor t) { return buffer(CudaStorage.address(t)); }

    KernelLaunch buffer(DeviceAddress address) {
        args.add(new Arg(Kind.POINTER, address));
        return i64(0);
    }

    KernelLaunch i64(long v) {
        args.add(new Arg(Kind.LONG, v));
        return this;
    }

    KernelLaunch i32(int v) {
        args.add(new Arg(Kind.INT, v));
        return this;
    }

    KernelLaunch i32(boolean v) { return i32(v ? 1 : 0); }

    KernelLaunch f32(float v) {
        args.add(new Arg(Kind.FLOAT, v));
        return this;
    }

    void run() { launcher.launch(this); }
}
