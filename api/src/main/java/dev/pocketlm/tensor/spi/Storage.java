package dev.pocketlm.tensor.spi;

/** A block of device memory owned by one backend; backends downcast it to their own type. */
public interface Storage {
    long byteSize();

    boolean isFreed();

    /** Frees the device memory; idempotent. */
    void free();
}
