package dev.pocketlm.tensor;

import java.util.Arrays;

/** A row-major shape; dims[0] is outermost, the last dimension is contiguous. */
public record Shape(int... dims) {

    public Shape {
        dims = dims.clone();
        if (dims.length == 0) throw new IllegalArgumentException("a shape needs at least one dimension");
        for (int d : dims) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(dims));
        }
    }

    public static Shape of(int... dims) { return new Shape(dims); }

    public int rank() { return dims.length; }

    /** Dimension {@code i}; negative counts from the end. */
    public int dim(int i) { return dims[i < 0 ? dims.length + i : i]; }

    public long size() {
        long n = 1;
        for (int d : dims) n *= d;
        return n;
    }

    /** Length of the last (contiguous) dimension. */
    public int cols() { return dims[dims.length - 1]; }

    /** Product of every dimension but the last. */
    public long rows() {
        long n = 1;
        for (int i = 0; i < dims.length - 1; i++) n *= dims[i];
        return n;
    }

    public long[] contiguousStrides() {
        long[] s = new long[dims.length];
        long st = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = st;
            st *= dims[i];
        }
        return s;
    }

    public Shape withDim(int i, int value) {
        int[] d = dims.clone();
        d[i < 0 ? d.length + i : i] = value;
        return new Shape(d);
    }

    @Override public int[] dims() { return dims.clone(); }

    @Override public boolean equals(Object o) { return o instanceof Shape s && Arrays.equals(dims, s.dims); }

    @Override public int hashCode() { return Arrays.hashCode(dims); }

    @Override public String toString() { return Arrays.toString(dims); }
}
