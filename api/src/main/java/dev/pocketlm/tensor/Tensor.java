package dev.pocketlm.tensor;

import dev.pocketlm.tensor.spi.Storage;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A handle to device memory: dtype, shape, element strides and a byte offset into a backend's storage.
 * Views (reshape, slices, transpose, permute) share the storage; only the tensor that allocated it frees it.
 * Moving data is explicit: {@link #download()}, {@link #toFloats()}, {@link #copyTo(Backend)}.
 */
public final class Tensor implements AutoCloseable {
    private final Backend backend;
    private final Storage storage;
    private final long byteOffset;
    private final DType dtype;
    private final Shape shape;
    private final long[] strides;
    private final boolean owner;

    // Autograd state, managed by dev.pocketlm.tensor.autograd through Autograd.
    boolean requiresGrad;
    boolean leaf;
    Tensor grad;

    Tensor(Backend backend, Storage storage, long byteOffset, DType dtype, Shape shape, long[] strides, boolean owner) {
        this.backend = backend;
        this.storage = storage;
        this.byteOffset = byteOffset;
        this.dtype = dtype;
        this.shape = shape;
        this.strides = strides;
        this.owner = owner;
    }

    /** Wraps freshly allocated storage as a contiguous tensor owning it; registers it with the open scope. */
    static Tensor owning(Backend backend, Storage storage, DType dtype, Shape shape) {
        Tensor t = new Tensor(backend, storage, 0, dtype, shape, shape.contiguousStrides(), true);
        Scope.register(t);
        return t;
    }

    public Backend backend() { return backend; }

    public Storage storage() { return storage; }

    /** Offset of element 0 in the storage, in bytes. */
    public long byteOffset() { return byteOffset; }

    public DType dtype() { return dtype; }

    public Shape shape() { return shape; }

    public int rank() { return shape.rank(); }

    public int dim(int i) { return shape.dim(i); }

    public long size() { return shape.size(); }

    /** Bytes covered by the elements of this (contiguous) tensor. */
    public long byteSize() { return dtype.bytes(size()); }

    /** Element strides, one per dimension. */
    public long[] strides() { return strides.clone(); }

    public long stride(int i) { return strides[i < 0 ? strides.length + i : i]; }

    /** Whether the elements lie in row-major order without gaps; a dimension of size 1 may have any stride. */
    public boolean isContiguous() {
        long expected = 1;
        for (int i = rank() - 1; i >= 0; i--) {
            if (shape.dim(i) != 1 && strides[i] != expected) return false;
            expected *= shape.dim(i);
        }
        return true;
    }

    public boolean isClosed() { return storage.isFreed(); }

    public boolean requiresGrad() { return requiresGrad; }

    /** Marks a leaf (a trainable parameter): the tape records ops that use it and accumulates its gradient. */
    public Tensor requireGrad() {
        if (dtype != DType.F32) {
            throw new IllegalArgumentException("only F32 tensors can require gradients, not " + dtype);
        }
        requiresGrad = true;
        leaf = true;
        return this;
    }

    /** The accumulated gradient of a leaf after {@code Tape.backward}, or null. */
    public Tensor grad() { return grad; }

    /** Frees the gradient and forgets it (the next backward allocates a new one). */
    public void zeroGrad() {
        if (grad != null) {
            grad.close();
            grad = null;
        }
    }

    void checkOpen(String op) {
        if (storage.isFreed()) {
            throw new IllegalStateException(op + ": tensor " + describe() + " is closed");
        }
    }

    public String describe() { return shape + " " + dtype + " on " + backend.name(); }

    @Override public String toString() { return "Tensor" + describe(); }

    // ---- views ----

    /** Same elements, new shape; requires a contiguous tensor. One dimension may be -1. */
    public Tensor reshape(int... dims) {
        checkOpen("reshape");
        if (!isContiguous()) {
            throw new IllegalArgumentException("reshape: " + describe() + " is not contiguous; use Ops.contiguous first");
        }
        int[] d = dims.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < d.length; i++) {
            if (d[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("reshape: more than one -1 in " + Arrays.toString(dims));
                infer = i;
            } else {
                known *= d[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || size() % known != 0) {
                throw new IllegalArgumentException("reshape: cannot infer -1 in " + Arrays.toString(dims) + " for " + describe());
            }
            d[infer] = (int) (size() / known);
        }
        Shape s = new Shape(d);
        if (s.size() != size()) {
            throw new IllegalArgumentException("reshape: " + describe() + " has " + size() + " elements, " + s + " has " + s.size());
        }
        if (dtype.isQuantized() && s.cols() % dtype.blockSize() != 0) {
            throw new IllegalArgumentException("reshape: " + dtype + " rows must hold whole blocks of " + dtype.blockSize() + ", " + s + " does not");
        }
        return view(0, s, s.contiguousStrides());
    }

    /** Rows {@code [start, start+count)} of dimension 0; contiguous when this tensor is. */
    public Tensor slice(int start, int count) {
        return narrow(0, start, count);
    }

    /** Elements {@code [start, start+length)} along {@code dim}. */
    public Tensor narrow(int dim, int start, int length) {
        checkOpen("narrow");
        int d = dim < 0 ? rank() + dim : dim;
        if (start < 0 || length < 0 || start + length > shape.dim(d)) {
            throw new IndexOutOfBoundsException("narrow: [" + start + ", " + (start + length) + ") outside dimension " + d + " of " + describe());
        }
        if (dtype.isQuantized() && d == rank() - 1) {
            throw new IllegalArgumentException("narrow: cannot cut inside the blocks of a " + dtype + " row");
        }
        return view(start * strides[d], shape.withDim(d, length), strides);
    }

    /** Swaps two dimensions (a strided view). */
    public Tensor transpose(int d0, int d1) {
        int r = rank();
        int[] perm = new int[r];
        for (int i = 0; i < r; i++) perm[i] = i;
        int a = d0 < 0 ? r + d0 : d0, b = d1 < 0 ? r + d1 : d1;
        perm[a] = b;
        perm[b] = a;
        return permute(perm);
    }

    /** Reorders dimensions: result dimension i is this tensor's dimension {@code perm[i]} (a strided view). */
    public Tensor permute(int... perm) {
        checkOpen("permute");
        if (perm.length != rank()) throw new IllegalArgumentException("permute: " + Arrays.toString(perm) + " for rank " + rank());
        if (dtype.isQuantized()) throw new IllegalArgumentException("permute: " + dtype + " tensors cannot be transposed");
        int[] d = new int[perm.length];
        long[] s = new long[perm.length];
        boolean[] seen = new boolean[perm.length];
        for (int i = 0; i < perm.length; i++) {
            if (perm[i] < 0 || perm[i] >= rank() || seen[perm[i]]) {
                throw new IllegalArgumentException("permute: " + Arrays.toString(perm) + " is not a permutation of 0.." + (rank() - 1));
            }
            seen[perm[i]] = true;
            d[i] = shape.dim(perm[i]);
            s[i] = strides[perm[i]];
        }
        return view(0, new Shape(d), s);
    }

    private Tensor view(long elementOffset, Shape s, long[] st) {
        long extraBytes = dtype.bytes(elementOffset);
        return new Tensor(backend, storage, byteOffset + extraBytes, dtype, s, st.clone(), false);
    }

    // ---- transfers ----

    /** Raw bytes of a contiguous tensor in its dtype's layout, in a new heap segment. */
    public MemorySegment download() {
        checkOpen("download");
        if (!isContiguous()) throw new IllegalArgumentException("download: " + describe() + " is not contiguous");
        MemorySegment host = MemorySegment.ofArray(new byte[Math.toIntExact(byteSize())]);
        backend.read(storage, byteOffset, host);
        return host;
    }

    /** The values as floats (dequantized or widened as needed), in row-major order. */
    public float[] toFloats() {
        checkOpen("toFloats");
        if (readsFloatsDirectly()) return readDirectly(new float[Math.toIntExact(size())]);
        Tensor c = isContiguous() ? this : Ops.contiguous(this);
        try {
            MemorySegment bytes = c.download();
            float[] out = new float[Math.toIntExact(size())];
            if (dtype == DType.I32) {
                for (int i = 0; i < out.length; i++) out[i] = bytes.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i);
            } else if (dtype == DType.I8) {
                for (int i = 0; i < out.length; i++) out[i] = bytes.get(ValueLayout.JAVA_BYTE, i);
            } else {
                dtype.codec().decode(bytes, 0, out, 0, out.length);
            }
            return out;
        } finally {
            if (c != this) c.close();
        }
    }

    /**
     * The values as {@link #toFloats}, into {@code dst} (exactly {@link #size} long): a caller reading every step (a
     * token's logits, 128 KB for a 32,000-word vocabulary) reuses one array still in cache instead of a fresh one.
     */
    public float[] readFloats(float[] dst) {
        checkOpen("readFloats");
        if (dst.length != size()) throw new IllegalArgumentException("readFloats: " + describe() + " has " + size() + " values, the array " + dst.length);
        if (readsFloatsDirectly()) return readDirectly(dst);
        System.arraycopy(toFloats(), 0, dst, 0, dst.length);
        return dst;
    }

    private boolean readsFloatsDirectly() {
        return dtype == DType.F32 && isContiguous() && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
    }

    /** F32 values straight from the backend into dst, with no byte copy in between. */
    private float[] readDirectly(float[] dst) {
        backend.read(storage, byteOffset, MemorySegment.ofArray(dst));
        return dst;
    }

    public int[] toInts() {
        if (dtype != DType.I32) throw new IllegalArgumentException("toInts: " + describe() + " is not I32");
        return download().toArray(ValueLayout.JAVA_INT_UNALIGNED);
    }

    /** The single value of a one-element tensor. */
    public float item() {
        if (size() != 1) throw new IllegalArgumentException("item: " + describe() + " has " + size() + " elements");
        return toFloats()[0];
    }

    /** A copy of this tensor on another backend (same dtype and shape, contiguous). */
    public Tensor copyTo(Backend target) {
        Tensor c = isContiguous() ? this : Ops.contiguous(this);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(Math.max(1, c.byteSize()));
            backend.read(c.storage, c.byteOffset, host.asSlice(0, c.byteSize()));
            return target.upload(dtype, shape, host.asSlice(0, c.byteSize()));
        } finally {
            if (c != this) c.close();
        }
    }

    /** Frees the storage if this tensor allocated it; closing a view does nothing. Idempotent. */
    @Override public void close() {
        if (owner) storage.free();
    }
}
