package org.maesil.tensor.kernels;

/**
 * Layer normalisation over the last dimension of x [rows, cols], as torch.nn.LayerNorm:
 * mean and biased variance per row, y = (x - mean) * rstd * gamma + beta with
 * rstd = 1 / sqrt(var + eps); gamma and beta are [cols], mean and rstd are [rows].
 *
 * <p>The backward pass has one kernel per output: dx one row per index, dgamma and dbeta one
 * column per index (each column sums over all rows itself, in row order: no atomics, and the
 * same bits for any thread count). Sums are kept in double, arrays in float.
 */
public final class LayerNorm {
    private LayerNorm() {}

    /** mean_r = sum_c x_rc / cols; var_r = sum_c (x_rc - mean_r)^2 / cols; y_rc = (x_rc - mean_r) rstd_r gamma_c + beta_c, rstd_r = 1/sqrt(var_r + eps). */
    public static void layerNormForwardRow(float[] x, float[] gamma, float[] beta, float[] y,
                                           float[] mean, float[] rstd, int cols, float eps, int row) {
        int off = row * cols;
        double sum = 0.0;
        for (int c = 0; c < cols; c++) {
            sum += x[off + c];
        }
        double mu = sum / cols;
        double sq = 0.0;
        for (int c = 0; c < cols; c++) {
            double centred = x[off + c] - mu;
            sq += centred * centred;
        }
        double r = 1.0 / Math.sqrt(sq / cols + eps);
        for (int c = 0; c < cols; c++) {
            y[off + c] = (float) ((x[off + c] - mu) * r * gamma[c] + beta[c]);
        }
        mean[row] = (float) mu;
        rstd[row] = (float) r;
    }

    /** dx_rc = rstd_r (g_rc - mean_c g_rc - xhat_rc mean_c(g_rc xhat_rc)) with g = dy * gamma, xhat = (x - mean) rstd; one row of [rows, cols]. */
    public static void layerNormGradInputRow(float[] x, float[] gamma, float[] mean, float[] rstd, float[] dy,
                                             float[] dx, int cols, int row) {
        int off = row * cols;
        double mu = mean[row];
        double r = rstd[row];
        double sumG = 0.0;
        double sumGXhat = 0.0;
        for (int c = 0; c < cols; c++) {
            double g = (double) dy[off + c] * gamma[c];
            double xhat = (x[off + c] - mu) * r;
            sumG += g;
            sumGXhat += g * xhat;
        }
        double meanG = sumG / cols;
        double meanGXhat = sumGXhat / cols;
        for (int c = 0; c < cols; c++) {
            double g = (double) dy[off + c] * gamma[c];
            double xhat = (x[off + c] - mu) * r;
            dx[off + c] = (float) (r * (g - meanG - xhat * meanGXhat));
        }
    }

    /** dgamma_c = sum_r dy_rc (x_rc - mean_r) rstd_r and dbeta_c = sum_r dy_rc; one column c of [rows, cols]. */
    public static void layerNormGradParamsColumn(float[] x, float[] mean, float[] rstd, float[] dy,
                                                 float[] dgamma, float[] dbeta, int rows, int cols, int col) {
        double sumGamma = 0.0;
        double sumBeta = 0.0;
        for (int r = 0; r < rows; r++) {
            int i = r * cols + col;
            double xhat = ((double) x[i] - mean[r]) * rstd[r];
            sumGamma += dy[i] * xhat;
            sumBeta += dy[i];
        }
        dgamma[col] = (float) sumGamma;
        dbeta[col] = (float) sumBeta;
    }
}
