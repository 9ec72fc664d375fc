package org.maesil.tensor.fast;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.maesil.tensor.Parallel;

/**
 * Layer norm (forward, dx) and group norm (forward, dx, dgamma, dbeta) on float vectors; the
 * math of org.maesil.tensor.kernels.LayerNorm and GroupNorm, which keep every sum in double.
 *
 * <p>Sums: each lane adds at most {@link #BLOCK} / lanes values in float; at the end of a block
 * the lanes are added pairwise in a fixed tree of float additions (not reduceLanes, whose order
 * is left to the JIT) and the block total joins a double sum, blocks in order. Rows are
 * independent and each is summed by one thread in this fixed order, so any thread count gives
 * the same bits. Measured against the double kernels: about 1e-7 to 7e-7 of the output's
 * scale (VectorNormTest prints the errors). Variance is two-pass (sum of squares about the mean).
 * Group norm's backward pass keeps, per (sample, channel), sum(dy) and sum(dy (x - mean)); dx
 * needs their gamma-weighted totals per group, and dgamma, dbeta are their sums over samples,
 * so dy and x are read once for the sums and once for dx.
 *
 * <p>No vector crosses a method call (see {@link VectorExp}): the helpers take arrays and return
 * doubles. Each row is read completely before any of it is written, so y may be x and dx may be
 * dy or x. Tails beyond the last whole vector use scalar float code with the same formulas.
 */
final class VectorNorm {
    private VectorNorm() {}

    private static final VectorSpecies<Float> S = MicroKernel6x16.S;
    /** Values per float block (a multiple of every vector length). */
    static final int BLOCK = 512;
    /** Per-thread scratch: the lanes of an accumulator, and the two sums the gradSums helpers return. */
    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[S.length()]);
    private static final ThreadLocal<double[]> PAIR = ThreadLocal.withInitial(() -> new double[2]);

    // ------------------------------------------------------------------ layer norm

    /** Per row of x [rows, cols]: mean, rstd = 1/sqrt(var + eps), y = (x - mean) rstd gamma + beta. */
    static void layerNormForward(Parallel parallel, float[] x, float[] gamma, float[] beta, float[] y,
                                 float[] mean, float[] rstd, int rows, int cols, float eps) {
        parallel.forRange(rows, (s, e) -> {
            float[] lanes = LANES.get();
            for (int row = s; row < e; row++) {
                int off = row * cols;
                float m = (float) (sum(x, off, cols, lanes) / cols);
                float r = (float) (1.0 / Math.sqrt(sumSquaresAbout(x, off, cols, m, lanes) / cols + eps));
                normaliseRow(x, gamma, beta, y, off, cols, m, r);
                mean[row] = m;
                rstd[row] = r;
            }
        });
    }

    /** dx = rstd (g - mean(g) - xhat mean(g xhat)), g = dy gamma, xhat = (x - mean) rstd, per row. */
    static void layerNormGradInput(Parallel parallel, float[] x, float[] gamma, float[] mean, float[] rstd,
                                   float[] dy, float[] dx, int rows, int cols) {
        parallel.forRange(rows, (s, e) -> {
            float[] lanes = LANES.get();
            double[] pair = PAIR.get();
            for (int row = s; row < e; row++) {
                int off = row * cols;
                float m = mean[row], r = rstd[row];
                weightedGradSums(x, dy, gamma, off, cols, m, lanes, pair);
                // dx = r g - r mean(g) - (x - m) r^3 mean(g (x - m))
                float b = (float) (-r * pair[0] / cols);
                float k = (float) (-(double) r * r * r * pair[1] / cols);
                weightedGradInputRow(x, dy, gamma, dx, off, cols, m, r, k, b);
            }
        });
    }

    // ------------------------------------------------------------------ group norm

    /** Per row = (sample, group) of cg * l contiguous values: mean, rstd; y = (x - mean) rstd gamma_ch + beta_ch. */
    static void groupNormForward(Parallel parallel, float[] x, float[] gamma, float[] beta, float[] y,
                                 float[] mean, float[] rstd, int n, int c, int l, int groups, float eps) {
        int cg = c / groups, len = cg * l;
        parallel.forRange(n * groups, (s, e) -> {
            float[] lanes = LANES.get();
            for (int row = s; row < e; row++) {
                int off = row * len, ch0 = (row % groups) * cg;
                float m = (float) (sum(x, off, len, lanes) / len);
                float r = (float) (1.0 / Math.sqrt(sumSquaresAbout(x, off, len, m, lanes) / len + eps));
                for (int j = 0; j < cg; j++) {
                    scaleShiftSegment(x, y, off + j * l, l, m, r * gamma[ch0 + j], beta[ch0 + j]);
                }
                mean[row] = m;
                rstd[row] = r;
            }
        });
    }

    /**
     * dx = rstd (g - mean(g) - xhat mean(g xhat)) per (sample, group), g = dy gamma_ch;
     * dgamma_ch = sum over samples and positions of dy xhat, dbeta_ch = sum of dy.
     */
    static void groupNormBackward(Parallel parallel, float[] x, float[] gamma, float[] mean, float[] rstd, float[] dy,
                                  float[] dx, float[] dgamma, float[] dbeta, int n, int c, int l, int groups) {
        int cg = c / groups, len = cg * l;
        double[] sums = new double[2 * n * c]; // [s, ch]: sum(dy), sum(dy (x - mean))
        parallel.forRange(n * groups, (s, e) -> {
            float[] lanes = LANES.get();
            double[] pair = PAIR.get();
            for (int row = s; row < e; row++) {
                int off = row * len, ch0 = (row % groups) * cg, sc0 = (row / groups) * c + ch0;
                float m = mean[row], r = rstd[row];
                double sumG = 0, sumGX = 0;
                for (int j = 0; j < cg; j++) {
                    gradSums(x, dy, off + j * l, l, m, lanes, pair);
                    sums[2 * (sc0 + j)] = pair[0];
                    sums[2 * (sc0 + j) + 1] = pair[1];
                    sumG += gamma[ch0 + j] * pair[0];
                    sumGX += gamma[ch0 + j] * pair[1];
                }
                float b = (float) (-r * sumG / len);
                float k = (float) (-(double) r * r * r * sumGX / len);
                for (int j = 0; j < cg; j++) {
                    gradInputSegment(x, dy, dx, off + j * l, l, m, r * gamma[ch0 + j], k, b);
                }
            }
        });
        for (int ch = 0; ch < c; ch++) {
            int group = ch / cg;
            double sumGamma = 0, sumBeta = 0;
            for (int s = 0; s < n; s++) {
                sumBeta += sums[2 * (s * c + ch)];
                sumGamma += sums[2 * (s * c + ch) + 1] * rstd[s * groups + group];
            }
            dgamma[ch] = (float) sumGamma;
            dbeta[ch] = (float) sumBeta;
        }
    }

    // ------------------------------------------------------------------ row helpers (arrays in, doubles out)

    /** sum of a[off .. off + len). */
    static double sum(float[] a, int off, int len, float[] lanes) {
        int step = S.length(), vecLen = len - len % step;
        double total = 0;
        for (int b = 0; b < vecLen; b += BLOCK) {
            int end = Math.min(vecLen, b + BLOCK);
            FloatVector acc = FloatVector.zero(S);
            for (int i = b; i < end; i += step) {
                acc = acc.add(FloatVector.fromArray(S, a, off + i));
            }
            acc.intoArray(lanes, 0);
            total += VectorSupport.laneTotal(lanes);
        }
        for (int i = vecLen; i < len; i++) total += a[off + i];
        return total;
    }

    /** sum of (a - m)^2 over a[off .. off + len). */
    static double sumSquaresAbout(float[] a, int off, int len, float m, float[] lanes) {
        int step = S.length(), vecLen = len - len % step;
        double total = 0;
        for (int b = 0; b < vecLen; b += BLOCK) {
            int end = Math.min(vecLen, b + BLOCK);
            FloatVector acc = FloatVector.zero(S);
            for (int i = b; i < end; i += step) {
                FloatVector d = FloatVector.fromArray(S, a, off + i).sub(m);
                acc = d.fma(d, acc);
            }
            acc.intoArray(lanes, 0);
            total += VectorSupport.laneTotal(lanes);
        }
        for (int i = vecLen; i < len; i++) {
            float d = a[off + i] - m;
            total += d * d;
        }
        return total;
    }

    /** pair = (sum dy, sum dy (x - m)) over [off, off + len). */
    static void gradSums(float[] x, float[] dy, int off, int len, float m, float[] lanes, double[] pair) {
        int step = S.length(), vecLen = len - len % step;
        double sumG = 0, sumGX = 0;
        for (int b = 0; b < vecLen; b += BLOCK) {
            int end = Math.min(vecLen, b + BLOCK);
            FloatVector accG = FloatVector.zero(S), accGX = FloatVector.zero(S);
            for (int i = b; i < end; i += step) {
                FloatVector g = FloatVector.fromArray(S, dy, off + i);
                accG = accG.add(g);
                accGX = FloatVector.fromArray(S, x, off + i).sub(m).fma(g, accGX);
            }
            accG.intoArray(lanes, 0);
            sumG += VectorSupport.laneTotal(lanes);
            accGX.intoArray(lanes, 0);
            sumGX += VectorSupport.laneTotal(lanes);
        }
        for (int i = vecLen; i < len; i++) {
            float g = dy[off + i];
            sumG += g;
            sumGX += g * (x[off + i] - m);
        }
        pair[0] = sumG;
        pair[1] = sumGX;
    }

    /** pair = (sum g, sum g (x - m)) with g = dy gamma[c], over one row of cols values at off. */
    static void weightedGradSums(float[] x, float[] dy, float[] gamma, int off, int cols, float m,
                                 float[] lanes, double[] pair) {
        int step = S.length(), vecLen = cols - cols % step;
        double sumG = 0, sumGX = 0;
        for (int b = 0; b < vecLen; b += BLOCK) {
            int end = Math.min(vecLen, b + BLOCK);
            FloatVector accG = FloatVector.zero(S), accGX = FloatVector.zero(S);
            for (int c = b; c < end; c += step) {
                FloatVector g = FloatVector.fromArray(S, dy, off + c).mul(FloatVector.fromArray(S, gamma, c));
                accG = accG.add(g);
                accGX = FloatVector.fromArray(S, x, off + c).sub(m).fma(g, accGX);
            }
            accG.intoArray(lanes, 0);
            sumG += VectorSupport.laneTotal(lanes);
            accGX.intoArray(lanes, 0);
            sumGX += VectorSupport.laneTotal(lanes);
        }
        for (int c = vecLen; c < cols; c++) {
            float g = dy[off + c] * gamma[c];
            sumG += g;
            sumGX += g * (x[off + c] - m);
        }
        pair[0] = sumG;
        pair[1] = sumGX;
    }

    /** y = (x - m) r gamma[c] + beta[c] over one row of cols values at off. */
    static void normaliseRow(float[] x, float[] gamma, float[] beta, float[] y, int off, int cols, float m, float r) {
        int step = S.length(), vecLen = cols - cols % step;
        for (int c = 0; c < vecLen; c += step) {
            FloatVector.fromArray(S, x, off + c).sub(m).mul(r)
                    .fma(FloatVector.fromArray(S, gamma, c), FloatVector.fromArray(S, beta, c)).intoArray(y, off + c);
        }
        for (int c = vecLen; c < cols; c++) y[off + c] = Math.fma((x[off + c] - m) * r, gamma[c], beta[c]);
    }

    /** y = (x - m) scale + shift over [off, off + len). */
    static void scaleShiftSegment(float[] x, float[] y, int off, int len, float m, float scale, float shift) {
        int step = S.length(), vecLen = len - len % step;
        for (int i = 0; i < vecLen; i += step) {
            FloatVector.fromArray(S, x, off + i).sub(m).fma(scale, shift).intoArray(y, off + i);
        }
        for (int i = vecLen; i < len; i++) y[off + i] = Math.fma(x[off + i] - m, scale, shift);
    }

    /** dx = dy gamma[c] r + (x - m) k + b over one row of cols values at off. */
    static void weightedGradInputRow(float[] x, float[] dy, float[] gamma, float[] dx, int off, int cols,
                                     float m, float r, float k, float b) {
        int step = S.length(), vecLen = cols - cols % step;
        FloatVector vr = FloatVector.broadcast(S, r);
        for (int c = 0; c < vecLen; c += step) {
            FloatVector base = FloatVector.fromArray(S, x, off + c).sub(m).fma(k, b);
            FloatVector.fromArray(S, dy, off + c).mul(FloatVector.fromArray(S, gamma, c)).fma(vr, base).intoArray(dx, off + c);
        }
        for (int c = vecLen; c < cols; c++) {
            dx[off + c] = Math.fma(dy[off + c] * gamma[c], r, Math.fma(x[off + c] - m, k, b));
        }
    }

    /** dx = dy a + (x - m) k + b over [off, off + len). */
    static void gradInputSegment(float[] x, float[] dy, float[] dx, int off, int len, float m, float a, float k, float b) {
        int step = S.length(), vecLen = len - len % step;
        FloatVector va = FloatVector.broadcast(S, a);
        for (int i = 0; i < vecLen; i += step) {
            FloatVector base = FloatVector.fromArray(S, x, off + i).sub(m).fma(k, b);
            FloatVector.fromArray(S, dy, off + i).fma(va, base).intoArray(dx, off + i);
        }
        for (int i = vecLen; i < len; i++) dx[off + i] = Math.fma(dy[off + i], a, Math.fma(x[off + i] - m, k, b));
    }
}
