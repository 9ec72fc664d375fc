package org.maesil.tensor.kernels;

/**
 * Group normalisation of x [n, c, l] (l = D H W for volumes), as torch.nn.GroupNorm(groups, c, eps):
 * the channels are split into {@code groups} groups of cg = c / groups consecutive channels;
 * each (sample, group) is normalised over its cg * l values (mean, biased variance), then
 * scaled and shifted per channel: y = (x - mean) * rstd * gamma[ch] + beta[ch],
 * rstd = 1 / sqrt(var + eps). mean and rstd are [n * groups], row = sample * groups + group.
 *
 * <p>In NCL order the values of one (sample, group) are contiguous: row r covers
 * x[r * cg * l .. (r + 1) * cg * l). The backward pass has one kernel per output: dx one
 * row per index, dgamma and dbeta one channel per index (each channel sums over all samples
 * and positions itself, in order: no atomics, the same bits for any thread count). Sums are
 * kept in double, arrays in float.
 */
public final class GroupNorm {
    private GroupNorm() {}

    /** Row r = (sample, group): mean_r, rstd_r over its cg*l values; y = (x - mean_r) rstd_r gamma_ch + beta_ch on them. */
    public static void groupNormForwardRow(float[] x, float[] gamma, float[] beta, float[] y, float[] mean, float[] rstd,
                                           int c, int l, int groups, float eps, int row) {
        int cg = c / groups;
        int len = cg * l;
        int off = row * len;
        int ch0 = (row % groups) * cg;
        double sum = 0.0;
        for (int i = 0; i < len; i++) {
            sum += x[off + i];
        }
        double mu = sum / len;
        double sq = 0.0;
        for (int i = 0; i < len; i++) {
            double centred = x[off + i] - mu;
            sq += centred * centred;
        }
        double r = 1.0 / Math.sqrt(sq / len + eps);
        for (int j = 0; j < cg; j++) {
            double gm = gamma[ch0 + j];
            double bt = beta[ch0 + j];
            int o = off + j * l;
            for (int i = 0; i < l; i++) {
                y[o + i] = (float) ((x[o + i] - mu) * r * gm + bt);
            }
        }
        mean[row] = (float) mu;
        rstd[row] = (float) r;
    }

    /**
     * dx over row r = (sample, group): dx = rstd (g - mean(g) - xhat mean(g xhat)), g = dy gamma_ch,
     * xhat = (x - mean_r) rstd_r, means over the row's cg*l values.
     */
    public static void groupNormGradInputRow(float[] x, float[] gamma, float[] mean, float[] rstd, float[] dy, float[] dx,
                                             int c, int l, int groups, int row) {
        int cg = c / groups;
        int len = cg * l;
        int off = row * len;
        int ch0 = (row % groups) * cg;
        double mu = mean[row];
        double r = rstd[row];
        double sumG = 0.0;
        double sumGXhat = 0.0;
        for (int j = 0; j < cg; j++) {
            double gm = gamma[ch0 + j];
            int o = off + j * l;
            for (int i = 0; i < l; i++) {
                double g = dy[o + i] * gm;
                sumG += g;
                sumGXhat += g * (x[o + i] - mu) * r;
            }
        }
        double meanG = sumG / len;
        double meanGXhat = sumGXhat / len;
        for (int j = 0; j < cg; j++) {
            double gm = gamma[ch0 + j];
            int o = off + j * l;
            for (int i = 0; i < l; i++) {
                double xhat = (x[o + i] - mu) * r;
                dx[o + i] = (float) (r * (dy[o + i] * gm - meanG - xhat * meanGXhat));
            }
        }
    }

    /** dgamma_ch = sum_{s,i} dy[s,ch,i] xhat[s,ch,i] and dbeta_ch = sum_{s,i} dy[s,ch,i]; one channel ch of [n, c, l]. */
    public static void groupNormGradParamsChannel(float[] x, float[] mean, float[] rstd, float[] dy, float[] dgamma, float[] dbeta,
                                                  int n, int c, int l, int groups, int ch) {
        int cg = c / groups;
        int group = ch / cg;
        double sumGamma = 0.0;
        double sumBeta = 0.0;
        for (int s = 0; s < n; s++) {
            int row = s * groups + group;
            double mu = mean[row];
            double r = rstd[row];
            int o = (s * c + ch) * l;
            for (int i = 0; i < l; i++) {
                sumGamma += dy[o + i] * ((x[o + i] - mu) * r);
                sumBeta += dy[o + i];
            }
        }
        dgamma[ch] = (float) sumGamma;
        dbeta[ch] = (float) sumBeta;
    }
}
