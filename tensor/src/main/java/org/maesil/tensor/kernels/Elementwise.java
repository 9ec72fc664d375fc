package org.maesil.tensor.kernels;

/** Elementwise kernels over flat arrays; each computes one output element from its index i. */
public final class Elementwise {
    private Elementwise() {}

    /** y[r, c] = x[r, c] + bias[c] for x, y [rows, cols]; i = r * cols + c. */
    public static void addBiasElement(float[] x, float[] bias, float[] y, int cols, int i) {
        y[i] = x[i] + bias[i % cols];
    }

    /** y[i] = a[i] + b[i]. */
    public static void addElement(float[] a, float[] b, float[] y, int i) {
        y[i] = a[i] + b[i];
    }

    /** y[i] = y[i] + alpha * x[i]. */
    public static void axpyElement(float alpha, float[] x, float[] y, int i) {
        y[i] = y[i] + alpha * x[i];
    }

    /** y[i] = alpha * x[i]. */
    public static void scaleElement(float[] x, float alpha, float[] y, int i) {
        y[i] = alpha * x[i];
    }
}
