package org.maesil.model.baselines;

/**
 * Kernels of the baselines' latent space, in the engine's kernel style (static methods over
 * primitive arrays, one output element or row per index; no objects, no allocation). Latents
 * are channel-first [B, C, L] (L = latent voxels); a latent vector is the C values of one
 * (sample, voxel), row r = b L + p. They are small (a quarter of the input or less) and run on
 * the calling thread.
 */
public final class LatentKernels {
    private LatentKernels() {}

    // ---------------------------------------------------------------- VAE

    /** z_i = mu_i + exp(logvar_i / 2) eps_i (reparameterisation). */
    public static void reparameteriseElement(float[] mu, float[] logvar, float[] eps, float[] z, int i) {
        z[i] = (float) (mu[i] + Math.exp(0.5 * logvar[i]) * eps[i]);
    }

    /**
     * Gradients of loss = f(z) + klScale sum_i kl_i with kl_i = (mu_i^2 + exp(logvar_i) - 1 - logvar_i) / 2:
     * dmu_i = dz_i + klScale mu_i; dlogvar_i = dz_i exp(logvar_i / 2) eps_i / 2 + klScale (exp(logvar_i) - 1) / 2.
     */
    public static void reparameteriseBackwardElement(float[] mu, float[] logvar, float[] eps, float[] dz,
                                                     float[] dmu, float[] dlogvar, float klScale, int i) {
        double sd = Math.exp(0.5 * logvar[i]);
        dmu[i] = (float) (dz[i] + (double) klScale * mu[i]);
        dlogvar[i] = (float) (dz[i] * 0.5 * sd * eps[i] + (double) klScale * 0.5 * (sd * sd - 1.0));
    }

    /** sum_i (mu_i^2 + exp(logvar_i) - 1 - logvar_i) / 2 over n elements, in double (the KL to N(0, I)). */
    public static double klDivergenceSum(float[] mu, float[] logvar, int n) {
        double s = 0.0;
        for (int i = 0; i < n; i++) {
            s += 0.5 * ((double) mu[i] * mu[i] + Math.exp(logvar[i]) - 1.0 - logvar[i]);
        }
        return s;
    }

    // ---------------------------------------------------------------- VQ-VAE

    /**
     * code[r] = argmin_k sum_c (z[b, c, p] - codebook[k, c])^2 for the latent vector r = b l + p of
     * z [B, C, l], ties to the lower index, with the codebook given transposed in double,
     * codebookT [C, K]. The loop over channels is the outer one, so that the inner loop runs over
     * the codes (contiguous) and the JIT can vectorise it: dist[j] accumulates the squared
     * differences over c = 0, 1, ... in order, in double. dist: K doubles of scratch.
     */
    public static void nearestCodeRow(float[] z, double[] codebookT, double[] dist, int[] code,
                                               int c, int l, int k, int row) {
        int b = row / l;
        int base = b * c * l + (row - b * l);
        for (int j = 0; j < k; j++) dist[j] = 0.0;
        for (int ch = 0; ch < c; ch++) {
            double zc = z[base + ch * l];
            int o = ch * k;
            for (int j = 0; j < k; j++) {
                double diff = zc - codebookT[o + j];
                dist[j] += diff * diff;
            }
        }
        int best = 0;
        double bestDist = Double.MAX_VALUE;
        for (int j = 0; j < k; j++) {
            if (dist[j] < bestDist) {
                bestDist = dist[j];
                best = j;
            }
        }
        code[row] = best;
    }

    /** zq[b, ch, p] = codebook[code[b l + p], ch] for element i of zq [B, C, l]. */
    public static void quantizeElement(float[] codebook, int[] code, float[] zq, int c, int l, int i) {
        int p = i % l;
        int ch = (i / l) % c;
        int b = i / (c * l);
        zq[i] = codebook[code[b * l + p] * c + ch];
    }

    /** Straight-through estimator plus commitment: dz_i = dzq_i + scale (z_i - zq_i), scale = 2 beta / numel. */
    public static void straightThroughElement(float[] z, float[] zq, float[] dzq, float[] dz, float scale, int i) {
        dz[i] = (float) (dzq[i] + (double) scale * ((double) z[i] - zq[i]));
    }

    /** sum_i (z_i - zq_i)^2 over n elements, in double. */
    public static double squaredDistanceSum(float[] z, float[] zq, int n) {
        double s = 0.0;
        for (int i = 0; i < n; i++) {
            double d = (double) z[i] - zq[i];
            s += d * d;
        }
        return s;
    }

    /**
     * For code j of [K]: count[j] = #rows r < m with code[r] = j and sum[j, ch] = sum of their
     * latent vectors z[b, ch, p] (r = b l + p); rows in order, so the sums are deterministic.
     */
    public static void codeStatisticsRow(float[] z, int[] code, float[] count, float[] sum, int c, int l, int m, int j) {
        double n = 0.0;
        for (int ch = 0; ch < c; ch++) sum[j * c + ch] = 0f;
        for (int r = 0; r < m; r++) {
            if (code[r] == j) {
                n += 1.0;
                int b = r / l;
                int base = b * c * l + (r - b * l);
                for (int ch = 0; ch < c; ch++) sum[j * c + ch] += z[base + ch * l];
            }
        }
        count[j] = (float) n;
    }

    /**
     * EMA of code j: clusterSize[j] = decay clusterSize[j] + (1 - decay) count[j];
     * embedSum[j, :] = decay embedSum[j, :] + (1 - decay) sum[j, :].
     */
    public static void emaRow(float[] count, float[] sum, float[] clusterSize, float[] embedSum, float decay, int c, int j) {
        clusterSize[j] = (float) (decay * (double) clusterSize[j] + (1.0 - decay) * count[j]);
        for (int ch = 0; ch < c; ch++) {
            int i = j * c + ch;
            embedSum[i] = (float) (decay * (double) embedSum[i] + (1.0 - decay) * sum[i]);
        }
    }

    /**
     * codebook[j, :] = embedSum[j, :] / smoothed_j with Laplace smoothing
     * smoothed_j = (clusterSize[j] + eps) / (total + K eps) total, total = sum_j clusterSize[j].
     */
    public static void codebookFromEmaRow(float[] clusterSize, float[] embedSum, float[] codebook, double total,
                                          float eps, int k, int c, int j) {
        double smoothed = (clusterSize[j] + (double) eps) / (total + k * (double) eps) * total;
        for (int ch = 0; ch < c; ch++) {
            codebook[j * c + ch] = (float) (embedSum[j * c + ch] / smoothed);
        }
    }
}
