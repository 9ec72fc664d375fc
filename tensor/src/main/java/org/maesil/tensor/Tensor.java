package org.maesil.tensor;

import java.util.Arrays;

/**
 * A dense float tensor: one flat {@code float[]} in row-major (C) order and a shape.
 *
 * <p>The data array is exposed on purpose: kernels are static functions over primitive
 * arrays, and a backend hands {@link #data} to them directly. A tensor never changes size.
 */
public final class Tensor {
    public final float[] data;
    private final int[] shape;

    public Tensor(int... shape) {
        this(new float[checkedSize(shape)], shape);
    }

    public Tensor(float[] data, int... shape) {
        if (data.length != checkedSize(shape)) {
            throw new IllegalArgumentException("data length " + data.length + " does not match shape "
                    + Arrays.toString(shape));
        }
        this.data = data;
        this.shape = shape.clone();
    }

    /** Number of elements of a shape, with an error for negative or overflowing sizes. */
    public static int checkedSize(int... shape) {
        long n = 1;
        for (int s : shape) {
            if (s < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            n *= s;
            if (n > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("tensor too large for one float[]: " + Arrays.toString(shape));
            }
        }
        return (int) n;
    }

    public int[] shape() { return shape.clone(); }
    public int rank() { return shape.length; }
    public int dim(int axis) { return shape[axis < 0 ? shape.length + axis : axis]; }
    public int size() { return data.length; }

    /** A tensor over the same data with another shape of the same size. */
    public Tensor reshape(int... newShape) { return new Tensor(data, newShape); }

    public Tensor copy() { return new Tensor(data.clone(), shape); }
    public void fill(float v) { Arrays.fill(data, v); }
    public void zero() { Arrays.fill(data, 0f); }

    /** Flat index of a multi-index, row-major. */
    public int index(int... idx) {
        if (idx.length != shape.length) throw new IllegalArgumentException("rank mismatch");
        int flat = 0;
        for (int a = 0; a < shape.length; a++) {
            if (idx[a] < 0 || idx[a] >= shape[a]) throw new IndexOutOfBoundsException(Arrays.toString(idx));
            flat = flat * shape[a] + idx[a];
        }
        return flat;
    }

    public float get(int... idx) { return data[index(idx)]; }
    public void set(float v, int... idx) { data[index(idx)] = v; }

    @Override
    public String toString() { return "Tensor" + Arrays.toString(shape); }
}
