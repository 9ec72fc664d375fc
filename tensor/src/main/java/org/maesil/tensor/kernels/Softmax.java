package org.maesil.tensor.kernels;

/**
 * Row-wise softmax of x [rows, cols]: y_rc = exp(x_rc - max_c x_rc) / sum_c exp(x_rc - max_c x_rc),
 * and its backward dx_rc = y_rc (dy_rc - sum_c dy_rc y_rc). One row per index; sums are kept in
 * double, arrays in float.
 */
public final class Softmax {
    private Softmax() {}

    /** y_rc = exp(x_rc - m_r) / sum_c exp(x_rc - m_r), m_r = max_c x_rc; one row of [rows, cols]. */
    public static void softmaxForwardRow(float[] x, float[] y, int cols, int row) {
        int off = row * cols;
        float max = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < cols; c++) {
            max = Math.max(max, x[off + c]);
        }
        double sum = 0.0;
        for (int c = 0; c < cols; c++) {
            double e = Math.exp(x[off + c] - max);
            y[off + c] = (float) e;
            sum += e;
        }
        double inv = 1.0 / sum;
        for (int c = 0; c < cols; c++) {
            y[off + c] = (float) (y[off + c] * inv);
        }
    }

    /** dx_rc = y_rc (dy_rc - sum_c dy_rc y_rc); one row of [rows, cols]. */
    public static void softmaxBackwardRow(float[] y, float[] dy, float[] dx, int cols, int row) {
        int off = row * cols;
        double dot = 0.0;
        for (int c = 0; c < cols; c++) {
            dot += (double) dy[off + c] * y[off + c];
        }
        for (int c = 0; c < cols; c++) {
            dx[off + c] = (float) (y[off + c] * (dy[off + c] - dot));
        }
    }
}
