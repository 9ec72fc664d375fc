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

    /** First tap k >= 0 with start + k >= 0: the taps of a window starting at {@code start} that are not left padding. */
    static int firstTap(int start) {
        return start < 0 ? -start : 0;
    }

    /** One past the last tap k < size with start + k < in: the taps that are not right padding. */
    static int endTap(int start, int size, int in) {
        return Math.min(size, in - start);
    }

    /** First output o >= 0 with o * stride + offset >= 0. */
    static int firstOutput(int offset, int stride) {
        return offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    }

    /** One past the last output o < out with o * stride + offset < in. */
    static int endOutput(int offset, int stride, int in, int out) {
        return in - offset <= 0 ? 0 : Math.min(out, (in - offset - 1) / stride + 1);
    }

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
        // the window starts at input position o * s - p; taps falling into the padding are skipped
        int d0 = od * g[S_D] - g[P_D];
        int h0 = oh * g[S_H] - g[P_H];
        int w0 = ow * g[S_W] - g[P_W];
        int kdLo = firstTap(d0), kdHi = endTap(d0, kD, inD);
        int khLo = firstTap(h0), khHi = endTap(h0, kH, inH);
        int kwLo = firstTap(w0), kwHi = endTap(w0, kW, inW);
        float sum = 0f;
        for (int ci = 0; ci < cin; ci++) {
            int xChannel = (b * cin + ci) * inD;
            int wChannel = (co * cin + ci) * kD;
            for (int kd = kdLo; kd < kdHi; kd++) {
                for (int kh = khLo; kh < khHi; kh++) {
                    int xRow = ((xChannel + d0 + kd) * inH + h0 + kh) * inW + w0;
                    int wRow = ((wChannel + kd) * kH + kh) * kW;
                    for (int kw = kwLo; kw < kwHi; kw++) {
                        sum += x[xRow + kw] * w[wRow + kw];
                    }
                }
            }
        }
        return sum;
    }

    /**
     * dx[b, ci, i] = sum_{co, k : i = o * s - p + k, 0 <= o < out} dy[b, co, o] * w[co, ci, k]
     * for input index = (((b * cin + ci) * inD + id) * inH + ih) * inW + iw.
     * Only the taps k = (i + p) mod s, + s, + 2s, ... land on an output, o = (i + p - k) / s.
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
        int kd0 = pd % sD, kh0 = ph % sH, kw0 = pw % sW;
        float sum = 0f;
        for (int co = 0; co < cout; co++) {
            int dyChannel = (b * cout + co) * outD;
            int wChannel = (co * cin + ci) * kD;
            // kd <= pd keeps od = (pd - kd) / sD >= 0; larger taps reach earlier outputs
            for (int kd = kd0; kd < kD && kd <= pd; kd += sD) {
                int od = (pd - kd) / sD;
                if (od >= outD) continue;
                for (int kh = kh0; kh < kH && kh <= ph; kh += sH) {
                    int oh = (ph - kh) / sH;
                    if (oh >= outH) continue;
                    int dyRow = ((dyChannel + od) * outH + oh) * outW;
                    int wRow = ((wChannel + kd) * kH + kh) * kW;
                    // ow = (pw - kw) / sW, stepped down by one as kw steps up by sW
                    for (int kw = kw0, ow = (pw - kw0) / sW; kw < kW && ow >= 0; kw += sW, ow--) {
                        if (ow < outW) sum += dy[dyRow + ow] * w[wRow + kw];
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
        // output o reads input o * s + (k - p); outputs whose input is padding are skipped
        int dOff = kd - g[P_D], hOff = kh - g[P_H], wOff = kw - g[P_W];
        int odLo = firstOutput(dOff, sD), odHi = endOutput(dOff, sD, inD, outD);
        int ohLo = firstOutput(hOff, sH), ohHi = endOutput(hOff, sH, inH, outH);
        int owLo = firstOutput(wOff, sW), owHi = endOutput(wOff, sW, inW, outW);
        float sum = 0f;
        for (int b = 0; b < n; b++) {
            int dyChannel = (b * cout + co) * outD;
            int xChannel = (b * cin + ci) * inD;
            for (int od = odLo; od < odHi; od++) {
                for (int oh = ohLo; oh < ohHi; oh++) {
                    int dyRow = ((dyChannel + od) * outH + oh) * outW;
                    int xRow = ((xChannel + od * sD + dOff) * inH + oh * sH + hOff) * inW + wOff;
                    for (int ow = owLo; ow < owHi; ow++) {
                        sum += dy[dyRow + ow] * x[xRow + ow * sW];
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
