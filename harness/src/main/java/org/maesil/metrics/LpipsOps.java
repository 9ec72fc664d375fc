package org.maesil.metrics;

/**
 * The small non-convolution steps of LPIPS, as static functions over flat NCHW arrays (the
 * convolutions run on the engine's Backend). Each computes one output element (or one pixel
 * position) from its index, like the engine's kernels.
 */
final class LpipsOps {
    private LpipsOps() {}

    /** lpips ScalingLayer (v0.1): x_c = (x - shift_c) / scale_c. */
    static final float[] SHIFT = {-.030f, -.088f, -.188f};
    static final float[] SCALE = {.458f, .448f, .450f};
    /** lpips.normalize_tensor's epsilon. */
    static final float NORM_EPS = 1e-10f;

    /**
     * grey [n, h*w] in [0, 1] to the network input [n, 3, h*w]:
     * out[i, c, p] = ((2 g[i, p] - 1) - SHIFT[c]) / SCALE[c] (grey replicated to 3 channels).
     */
    static void greyToScaledRgb(float[] grey, int n, int hw, float[] out) {
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < 3; c++) {
                for (int p = 0; p < hw; p++) {
                    float x = 2f * grey[i * hw + p] - 1f;
                    out[(i * 3 + c) * hw + p] = (x - SHIFT[c]) / SCALE[c];
                }
            }
        }
    }

    /** x = max(x, 0) in place, n elements. */
    static void relu(float[] x, int n) {
        for (int i = 0; i < n; i++) x[i] = Math.max(x[i], 0f);
    }

    /** Output side of a 3x3, stride-2 max-pool without padding: (s - 3) / 2 + 1. */
    static int pooledSize(int s) {
        return (s - 3) / 2 + 1;
    }

    /** out[p, oy, ox] = max over 3x3 of in[p, 2 oy + dy, 2 ox + dx]; planes = n * channels. */
    static void maxPool3x3s2(float[] in, int planes, int h, int w, float[] out) {
        int oh = pooledSize(h), ow = pooledSize(w);
        for (int p = 0; p < planes; p++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    float m = Float.NEGATIVE_INFINITY;
                    for (int dy = 0; dy < 3; dy++) {
                        int row = (p * h + 2 * oy + dy) * w + 2 * ox;
                        for (int dx = 0; dx < 3; dx++) m = Math.max(m, in[row + dx]);
                    }
                    out[(p * oh + oy) * ow + ox] = m;
                }
            }
        }
    }

    /**
     * Channel unit-normalisation (lpips.normalize_tensor), in place on [n, c, hw]:
     * x[i, :, p] /= sqrt(sum_c x[i, c, p]^2) + eps.
     */
    static void unitNormaliseChannels(float[] x, int n, int c, int hw) {
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < hw; p++) {
                double sq = 0;
                for (int ch = 0; ch < c; ch++) {
                    double v = x[(i * c + ch) * hw + p];
                    sq += v * v;
                }
                float denom = (float) Math.sqrt(sq) + NORM_EPS;
                for (int ch = 0; ch < c; ch++) x[(i * c + ch) * hw + p] /= denom;
            }
        }
    }

    /**
     * One LPIPS layer term for image i: the 1x1 linear head on squared differences of the
     * unit-normalised features, averaged over space:
     * term = (1 / hw) sum_p sum_c lin[c] (f0[i, c, p] - f1[i, c, p])^2, with f0, f1 [n, c, hw].
     */
    static double linearHeadSpatialMean(float[] f0, float[] f1, float[] lin, int i, int c, int hw) {
        double sum = 0;
        for (int p = 0; p < hw; p++) {
            double head = 0;
            for (int ch = 0; ch < c; ch++) {
                int idx = (i * c + ch) * hw + p;
                double d = (double) f0[idx] - f1[idx];
                head += lin[ch] * d * d;
            }
            sum += head;
        }
        return sum / hw;
    }
}
