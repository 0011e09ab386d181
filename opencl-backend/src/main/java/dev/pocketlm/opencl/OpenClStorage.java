package dev.pocketlm.opencl;

import dev.pocketlm.tensor.spi.Storage;
import org.jocl.CL;
import org.jocl.cl_mem;

import java.util.function.Consumer;

/** One OpenCL buffer; freeing releases it and tells the backend to stop tracking it. */
final class OpenClStorage implements Storage {
    private final cl_mem mem;
    private final long byteSize;
    private final Consumer<OpenClStorage> onFree;
    private volatile boolean freed;

    OpenClStorage(cl_mem mem, long byteSize, Consumer<OpenClStorage> onFree) {
        this.mem = mem;
        this.byteSize = byteSize;
        this.onFree = onFree;
    }

    cl_mem mem() {
        if (freed) throw new IllegalStateException("OpenCL buffer of " + byteSize + " bytes used after it was freed");
        return mem;
    }

    @Override public long byteSize() { return byteSize; }

    @Override public boolean isFreed() { return freed; }

    @Override public synchronized void free() {
        if (freed) return;
        freed = true;
        CL.clReleaseMemObject(mem);
        onFree.accept(this);
    }
}
