package org.maesil.tensor.kernels;

/**
 * 3D convolution, NCDHW: y[b, co, o] = bias[co] + sum_{ci, kd, kh, kw} x[b, ci, o * s - p + k] * w[co, ci, k],
 * with x [n, cin, inD, inH, inW], w [cout, cin, kD, kH, kW], y [n, cout, outD, outH, outW],
 * out = (in + 2 pad - k) / stride + 1 per axis; input positions outside [0, in) are zero padding.
 *
 * <p>The geometry travels as one int array {@code g} (so the kernels take only primitive arrays
 * and ints); {@code Conv3dGeometry.packed()} fills it, indexed by the constants below.
 *
 * <p>Every output is computed by gathering: the input gradient loops, for one input element,
 * over the kernel taps whose output covers it; the weight gradient sums, for one weight
 * element, over the batch and all output positions. No two indices write the same element.
 */
public final class Conv3d {
    private Conv3d() {}

    /** Positions in the packed geometry array. */
    public static final int N = 0, CIN = 1, COUT = 2, IN_D = 3, IN_H = 4, IN_W = 5,
            K_D = 6, K_H = 7, K_W = 8, S_D = 9, S_H = 10, S_W = 11, P_D = 12, P_H = 13, P_W = 14,
            OUT_D = 15, OUT_H = 16, OUT_W = 17, GEOMETRY_LENGTH = 18;

    /** sum_{ci, k} x[b, ci, o * s - p + k] * w[co, ci, k] for output index = (((b * cout + co) * outD + od) * outH + oh) * outW + ow. */
    public static float forwardSum(float[] x, float[] w, int[] g, int index) {
        int cin = g[CIN], cout = g[COUT];
        int inD = g[IN_D], inH = g[IN_H], inW = g[IN_W];
        int kD = g[K_D], kH = g[K_H], kW = g[K_W];
        int outD = g[OUT_D], outH = g[OUT_H], outW = g[OUT_W];
        int ow = index % outW;
        int t = index / outW;
        int oh = t % outH;
        t = t / outH;
        int od = t % outD;
        t = t / outD;
        int co = t % cout;
        int b = t / cout;
        int d0 = od * g[S_D] - g[P_D];
        int h0 = oh * g[S_H] - g[P_H];
        int w0 = ow * g[S_W] - g[P_W];
        float sum = 0f;
        for (int ci = 0; ci < cin; ci++) {
            int xChannel = (b * cin + ci) * inD;
            int wChannel = (co * cin + ci) * kD;
            for (int kd = 0; kd < kD; kd++) {
                int id = d0 + kd;
                if (id < 0 || id >= inD) continue;
                for (int kh = 0; kh < kH; kh++) {
                    int ih = h0 + kh;
                    if (ih < 0 || ih >= inH) continue;
                    int xRow = ((xChannel + id) * inH + ih) * inW;
                    int wRow = ((wChannel + kd) * kH + kh) * kW;
                    for (int kw = 0; kw < kW; kw++) {
                        int iw = w0 + kw;
                        if (iw >= 0 && iw < inW) sum += x[xRow + iw] * w[wRow + kw];
                    }
                }
            }
        }
        return sum;
    }

    /**
     * dx[b, ci, i] = sum_{co, k : i = o * s - p + k, 0 <= o < out} dy[b, co, o] * w[co, ci, k]
     * for input index = (((b * cin + ci) * inD + id) * inH + ih) * inW + iw.
     */
    public static float inputGradSum(float[] dy, float[] w, int[] g, int index) {
        int cin = g[CIN], cout = g[COUT];
        int inD = g[IN_D], inH = g[IN_H], inW = g[IN_W];
        int kD = g[K_D], kH = g[K_H], kW = g[K_W];
        int sD = g[S_D], sH = g[S_H], sW = g[S_W];
        int outD = g[OUT_D], outH = g[OUT_H], outW = g[OUT_W];
        int iw = index % inW;
        int t = index / inW;
        int ih = t % inH;
        t = t / inH;
        int id = t % inD;
        t = t / inD;
        int ci = t % cin;
        int b = t / cin;
        // padded coordinates: tap k of output o reads padded position o * s + k
        int pd = id + g[P_D], ph = ih + g[P_H], pw = iw + g[P_W];
        float sum = 0f;
        for (int co = 0; co < cout; co++) {
            int dyChannel = (b * cout + co) * outD;
            int wChannel = (co * cin + ci) * kD;
            for (int kd = 0; kd < kD; kd++) {
                int td = pd - kd;
                if (td < 0 || td % sD != 0 || td / sD >= outD) continue;
                int od = td / sD;
                for (int kh = 0; kh < kH; kh++) {
                    int th = ph - kh;
                    if (th < 0 || th % sH != 0 || th / sH >= outH) continue;
                    int oh = th / sH;
                    int dyRow = ((dyChannel + od) * outH + oh) * outW;
                    int wRow = ((wChannel + kd) * kH + kh) * kW;
                    for (int kw = 0; kw < kW; kw++) {
                        int tw = pw - kw;
                        if (tw >= 0 && tw % sW == 0 && tw / sW < outW) sum += dy[dyRow + tw / sW] * w[wRow + kw];
                    }
                }
            }
        }
        return sum;
    }

    /**
     * dw[co, ci, k] = sum_{b, o} dy[b, co, o] * x[b, ci, o * s - p + k]
     * for weight index = (((co * cin + ci) * kD + kd) * kH + kh) * kW + kw.
     */
    public static float weightGradSum(float[] x, float[] dy, int[] g, int index) {
        int n = g[N], cin = g[CIN], cout = g[COUT];
        int inD = g[IN_D], inH = g[IN_H], inW = g[IN_W];
        int kD = g[K_D], kH = g[K_H], kW = g[K_W];
        int sD = g[S_D], sH = g[S_H], sW = g[S_W];
        int outD = g[OUT_D], outH = g[OUT_H], outW = g[OUT_W];
        int kw = index % kW;
        int t = index / kW;
        int kh = t % kH;
        t = t / kH;
        int kd = t % kD;
        t = t / kD;
        int ci = t % cin;
        int co = t / cin;
        int dOff = kd - g[P_D], hOff = kh - g[P_H], wOff = kw - g[P_W];
        float sum = 0f;
        for (int b = 0; b < n; b++) {
            int dyChannel = (b * cout + co) * outD;
            int xChannel = (b * cin + ci) * inD;
            for (int od = 0; od < outD; od++) {
                int id = od * sD + dOff;
                if (id < 0 || id >= inD) continue;
                for (int oh = 0; oh < outH; oh++) {
                    int ih = oh * sH + hOff;
                    if (ih < 0 || ih >= inH) continue;
                    int dyRow = ((dyChannel + od) * outH + oh) * outW;
                    int xRow = ((xChannel + id) * inH + ih) * inW;
                    for (int ow = 0; ow < outW; ow++) {
                        int iw = ow * sW + wOff;
                        if (iw >= 0 && iw < inW) sum += dy[dyRow + ow] * x[xRow + iw];
                    }
                }
            }
        }
        return sum;
    }

    /** y[b, co, o] = forwardSum + (hasBias == 1 ? bias[co] : 0); index over y [n, cout, outD, outH, outW]. */
    public static void forwardElement(float[] x, float[] w, float[] bias, int hasBias, float[] y, int[] g, int index) {
        float sum = forwardSum(x, w, g, index);
        if (hasBias == 1) {
            int co = (index / (g[OUT_D] * g[OUT_H] * g[OUT_W])) % g[COUT];
            sum += bias[co];
        }
        y[index] = sum;
    }

    /** dx[b, ci, i] = inputGradSum(dy, w); index over dx [n, cin, inD, inH, inW]. */
    public static void backwardInputElement(float[] dy, float[] w, float[] dx, int[] g, int index) {
        dx[index] = inputGradSum(dy, w, g, index);
    }

    /** dw[co, ci, k] = weightGradSum(x, dy); index over dw [cout, cin, kD, kH, kW]. */
    public static void backwardWeightElement(float[] x, float[] dy, float[] dw, int[] g, int index) {
        dw[index] = weightGradSum(x, dy, g, index);
    }

    /** db[co] = sum_{b, o} dy[b, co, o]; index = co. */
    public static void biasGradElement(float[] dy, float[] db, int[] g, int co) {
        channelSumElement(dy, db, g[N], g[COUT], g[OUT_D] * g[OUT_H] * g[OUT_W], co);
    }

    /** db[c] = sum_{b, s} t[b, c, s] for t [n, channels, spatial] (the bias gradient); index = c. */
    public static void channelSumElement(float[] t, float[] db, int n, int channels, int spatial, int c) {
        float sum = 0f;
        for (int b = 0; b < n; b++) {
            int base = (b * channels + c) * spatial;
            for (int s = 0; s < spatial; s++) sum += t[base + s];
        }
        db[c] = sum;
    }
}
