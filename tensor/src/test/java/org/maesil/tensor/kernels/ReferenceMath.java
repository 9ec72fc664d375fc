package org.maesil.tensor.kernels;

import java.util.Random;

/**
 * Plain float64 references for the attention, layer-norm, GELU, softmax and MSE kernels,
 * written the naive way (full score matrices, two-pass statistics), and the error measure the
 * tests use.
 */
final class ReferenceMath {
    private ReferenceMath() {}

    /**
     * The error measure of every kernel test: max_i |x_i - ref_i| / max(|ref_i|, floor) with the
     * absolute floor = FLOOR_FRACTION * max_j |ref_j|. Elements at least a tenth of the tensor's
     * largest are judged relatively; smaller ones (near zero after cancellation, where float32
     * rows can only be accurate in absolute terms) against a tenth of the largest. A bound of 1e-5
     * thus means: every element within 1e-5 relative, or within 1e-6 * max|ref| absolute.
     */
    static final double FLOOR_FRACTION = 0.1;

    /** max_i |x_i - ref_i| / max(|ref_i|, FLOOR_FRACTION * max_j |ref_j|); NaN counts as infinitely wrong. */
    static double maxRelError(float[] x, double[] ref) {
        if (x.length < ref.length) throw new IllegalArgumentException("length " + x.length + " < " + ref.length);
        double maxRef = 0;
        for (double r : ref) maxRef = Math.max(maxRef, Math.abs(r));
        double floor = Math.max(FLOOR_FRACTION * maxRef, Double.MIN_NORMAL);
        double worst = 0;
        for (int i = 0; i < ref.length; i++) {
            double err = Math.abs(x[i] - ref[i]) / Math.max(Math.abs(ref[i]), floor);
            if (!(err <= worst)) worst = err; // NaN propagates as the worst error
        }
        return worst;
    }

    static double maxRelError(float[] x, float[] ref) {
        return maxRelError(x, toDouble(ref));
    }

    static double[] toDouble(float[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[i];
        return r;
    }

    static float[] gaussian(Random rnd, int n, double sigma) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (sigma * rnd.nextGaussian());
        return a;
    }

    // ------------------------------------------------------------------ attention

    /** Naive attention: full score matrix per (batch, head). Returns {out [bh*lq*d], lse [bh*lq]}. */
    static double[][] attentionForward(double[] q, double[] k, double[] v, int bh, int lq, int lk, int d, double scale) {
        double[] out = new double[bh * lq * d];
        double[] lse = new double[bh * lq];
        double[] s = new double[lk];
        for (int b = 0; b < bh; b++) {
            for (int i = 0; i < lq; i++) {
                int qo = (b * lq + i) * d;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < lk; j++) {
                    int ko = (b * lk + j) * d;
                    double dot = 0;
                    for (int t = 0; t < d; t++) dot += q[qo + t] * k[ko + t];
                    s[j] = scale * dot;
                    max = Math.max(max, s[j]);
                }
                double sum = 0;
                for (int j = 0; j < lk; j++) sum += Math.exp(s[j] - max);
                for (int j = 0; j < lk; j++) {
                    double p = Math.exp(s[j] - max) / sum;
                    int vo = (b * lk + j) * d;
                    for (int t = 0; t < d; t++) out[qo + t] += p * v[vo + t];
                }
                lse[b * lq + i] = max + Math.log(sum);
            }
        }
        return new double[][] {out, lse};
    }

    /** Naive attention backward with the full probability matrix. Returns {dq, dk, dv}. */
    static double[][] attentionBackward(double[] q, double[] k, double[] v, double[] dout,
                                        int bh, int lq, int lk, int d, double scale) {
        double[] dq = new double[bh * lq * d];
        double[] dk = new double[bh * lk * d];
        double[] dv = new double[bh * lk * d];
        double[] p = new double[lk];
        double[] dp = new double[lk];
        for (int b = 0; b < bh; b++) {
            for (int i = 0; i < lq; i++) {
                int qo = (b * lq + i) * d;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < lk; j++) {
                    int ko = (b * lk + j) * d;
                    double dot = 0;
                    for (int t = 0; t < d; t++) dot += q[qo + t] * k[ko + t];
                    p[j] = scale * dot;
                    max = Math.max(max, p[j]);
                }
                double sum = 0;
                for (int j = 0; j < lk; j++) {
                    p[j] = Math.exp(p[j] - max);
                    sum += p[j];
                }
                double rowDot = 0; // sum_j p_j dp_j
                for (int j = 0; j < lk; j++) {
                    p[j] /= sum;
                    int vo = (b * lk + j) * d;
                    double dot = 0;
                    for (int t = 0; t < d; t++) dot += dout[qo + t] * v[vo + t];
                    dp[j] = dot;
                    rowDot += p[j] * dot;
                }
                for (int j = 0; j < lk; j++) {
                    int ko = (b * lk + j) * d;
                    double ds = p[j] * (dp[j] - rowDot) * scale;
                    for (int t = 0; t < d; t++) {
                        dq[qo + t] += ds * k[ko + t];
                        dk[ko + t] += ds * q[qo + t];
                        dv[ko + t] += p[j] * dout[qo + t];
                    }
                }
            }
        }
        return new double[][] {dq, dk, dv};
    }

    // ------------------------------------------------------------------ layer norm

    /** Returns {y, mean, rstd}. */
    static double[][] layerNormForward(double[] x, double[] gamma, double[] beta, int rows, int cols, double eps) {
        double[] y = new double[rows * cols];
        double[] mean = new double[rows];
        double[] rstd = new double[rows];
        for (int r = 0; r < rows; r++) {
            double m = 0;
            for (int c = 0; c < cols; c++) m += x[r * cols + c];
            m /= cols;
            double var = 0;
            for (int c = 0; c < cols; c++) var += (x[r * cols + c] - m) * (x[r * cols + c] - m);
            var /= cols;
            double rs = 1 / Math.sqrt(var + eps);
            for (int c = 0; c < cols; c++) y[r * cols + c] = (x[r * cols + c] - m) * rs * gamma[c] + beta[c];
            mean[r] = m;
            rstd[r] = rs;
        }
        return new double[][] {y, mean, rstd};
    }

    /** Returns {dx, dgamma, dbeta}. */
    static double[][] layerNormBackward(double[] x, double[] gamma, double[] dy, int rows, int cols, double eps) {
        double[][] f = layerNormForward(x, gamma, new double[cols], rows, cols, eps);
        double[] mean = f[1];
        double[] rstd = f[2];
        double[] dx = new double[rows * cols];
        double[] dgamma = new double[cols];
        double[] dbeta = new double[cols];
        for (int r = 0; r < rows; r++) {
            double sg = 0;
            double sgx = 0;
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                double xhat = (x[i] - mean[r]) * rstd[r];
                double g = dy[i] * gamma[c];
                sg += g;
                sgx += g * xhat;
                dgamma[c] += dy[i] * xhat;
                dbeta[c] += dy[i];
            }
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                double xhat = (x[i] - mean[r]) * rstd[r];
                dx[i] = rstd[r] * (dy[i] * gamma[c] - sg / cols - xhat * sgx / cols);
            }
        }
        return new double[][] {dx, dgamma, dbeta};
    }

    // ------------------------------------------------------------------ erf and GELU

    /**
     * erfc in (close to) full double precision: 1 - (Maclaurin series of erf) for |z| < 2,
     * the continued fraction erfc(z) = exp(-z^2)/sqrt(pi) / (z + (1/2)/(z + 1/(z + (3/2)/(z + ...))))
     * for z >= 2, and erfc(-z) = 2 - erfc(z).
     */
    static double erfc(double z) {
        if (z < 0) return 2 - erfc(-z);
        if (z < 2) return 1 - erfSeries(z);
        double f = z;
        for (int n = 300; n >= 1; n--) f = z + (n / 2.0) / f;
        return Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
    }

    static double erf(double z) {
        if (Math.abs(z) < 2) return erfSeries(z);
        return z > 0 ? 1 - erfc(z) : erfc(-z) - 1;
    }

    /** erf(z) = 2/sqrt(pi) exp(-z^2) sum_n 2^n z^(2n+1) / (1 3 5 ... (2n+1)): positive terms only. */
    private static double erfSeries(double z) {
        double term = z;
        double sum = z;
        for (int n = 1; n < 200; n++) {
            term *= 2 * z * z / (2 * n + 1);
            sum += term;
            if (Math.abs(term) < 1e-18 * Math.abs(sum)) break;
        }
        return 2 / Math.sqrt(Math.PI) * Math.exp(-z * z) * sum;
    }

    static double gelu(double x) {
        return x * 0.5 * erfc(-x / Math.sqrt(2));
    }

    static double geluDerivative(double x) {
        return 0.5 * erfc(-x / Math.sqrt(2)) + x * Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
    }

    // ------------------------------------------------------------------ softmax and MSE

    static double[] softmax(double[] x, int rows, int cols) {
        double[] y = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) max = Math.max(max, x[r * cols + c]);
            double sum = 0;
            for (int c = 0; c < cols; c++) sum += Math.exp(x[r * cols + c] - max);
            for (int c = 0; c < cols; c++) y[r * cols + c] = Math.exp(x[r * cols + c] - max) / sum;
        }
        return y;
    }

    static double[] softmaxBackward(double[] y, double[] dy, int rows, int cols) {
        double[] dx = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            double dot = 0;
            for (int c = 0; c < cols; c++) dot += dy[r * cols + c] * y[r * cols + c];
            for (int c = 0; c < cols; c++) dx[r * cols + c] = y[r * cols + c] * (dy[r * cols + c] - dot);
        }
        return dx;
    }

    /** sum_r w_r mean_c (p - t)^2 / sum_r w_r; w null means all ones. */
    static double mse(double[] p, double[] t, double[] w, int rows, int cols) {
        double num = 0;
        double den = 0;
        for (int r = 0; r < rows; r++) {
            double sq = 0;
            for (int c = 0; c < cols; c++) sq += (p[r * cols + c] - t[r * cols + c]) * (p[r * cols + c] - t[r * cols + c]);
            double wr = w == null ? 1 : w[r];
            num += wr * sq / cols;
            den += wr;
        }
        return num / den;
    }

    // ------------------------------------------------------------------ finite differences

    /** A scalar function of one double array. */
    interface ScalarFunction {
        double apply(double[] x);
    }

    /** Central differences (f(x + h e_i) - f(x - h e_i)) / 2h for every i, in double. */
    static double[] centralDifferences(ScalarFunction f, double[] x, double h) {
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double keep = x[i];
            x[i] = keep + h;
            double plus = f.apply(x);
            x[i] = keep - h;
            double minus = f.apply(x);
            x[i] = keep;
            g[i] = (plus - minus) / (2 * h);
        }
        return g;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
