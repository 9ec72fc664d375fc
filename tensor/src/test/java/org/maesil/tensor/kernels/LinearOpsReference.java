package org.maesil.tensor.kernels;

import java.util.Random;
import org.maesil.tensor.Conv3dGeometry;

/**
 * Plain float64 references for the matmul and convolution kernels, written the naive way
 * (convolution gradients and the transposed convolution as scatters, the opposite of the
 * kernels' gathers), and the error measure their tests use.
 */
final class LinearOpsReference {
    private LinearOpsReference() {}

    /**
     * Normwise relative error: max_i |x_i - ref_i| / max(max_i |ref_i|, 1e-30). Every element is
     * judged against the largest reference magnitude, so cancellation near zero (where float32
     * is only accurate in absolute terms) does not inflate it. NaN gives infinity.
     */
    static double relError(float[] x, double[] ref) {
        if (x.length < ref.length) throw new IllegalArgumentException("length " + x.length + " < " + ref.length);
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < ref.length; i++) {
            double d = Math.abs(x[i] - ref[i]);
            if (!(d <= maxDiff)) maxDiff = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
        }
        return maxDiff / Math.max(maxRef, 1e-30);
    }

    static double relError(float[] x, float[] ref) {
        return relError(x, toDouble(ref));
    }

    static double relError(double[] x, double[] ref) {
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < ref.length; i++) {
            double d = Math.abs(x[i] - ref[i]);
            if (!(d <= maxDiff)) maxDiff = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
        }
        return maxDiff / Math.max(maxRef, 1e-30);
    }

    static double[] toDouble(float[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[i];
        return r;
    }

    static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    /** True when the two arrays hold the same bits. */
    static boolean sameBits(float[] a, float[] b) {
        if (a.length != b.length) return false;
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) return false;
        }
        return true;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    // ------------------------------------------------------------------ matmul

    /** c[b] = opA(a[b]) opB(b[b]) (+ c0[b] if c0 != null), all in double. */
    static double[] matmul(double[] a, double[] b, double[] c0, int batch, int m, int n, int k,
                           boolean transA, boolean transB, int strideA, int strideB) {
        double[] c = new double[batch * m * n];
        for (int bt = 0; bt < batch; bt++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        double av = transA ? a[bt * strideA + p * m + i] : a[bt * strideA + i * k + p];
                        double bv = transB ? b[bt * strideB + j * k + p] : b[bt * strideB + p * n + j];
                        s += av * bv;
                    }
                    int idx = (bt * m + i) * n + j;
                    c[idx] = s + (c0 == null ? 0 : c0[idx]);
                }
            }
        }
        return c;
    }

    // ------------------------------------------------------------------ convolution

    /** y = conv3d(x, w) + bias (bias may be null), the textbook loop. */
    static double[] conv3d(double[] x, double[] w, double[] bias, Conv3dGeometry g) {
        int oD = g.outD(), oH = g.outH(), oW = g.outW();
        double[] y = new double[g.outputSize()];
        for (int b = 0; b < g.n(); b++)
            for (int co = 0; co < g.cout(); co++)
                for (int od = 0; od < oD; od++)
                    for (int oh = 0; oh < oH; oh++)
                        for (int ow = 0; ow < oW; ow++) {
                            double s = bias == null ? 0 : bias[co];
                            for (int ci = 0; ci < g.cin(); ci++)
                                for (int kd = 0; kd < g.kD(); kd++)
                                    for (int kh = 0; kh < g.kH(); kh++)
                                        for (int kw = 0; kw < g.kW(); kw++) {
                                            int id = od * g.sD() - g.pD() + kd;
                                            int ih = oh * g.sH() - g.pH() + kh;
                                            int iw = ow * g.sW() - g.pW() + kw;
                                            if (id < 0 || id >= g.inD() || ih < 0 || ih >= g.inH() || iw < 0 || iw >= g.inW()) continue;
                                            s += x[xIndex(g, b, ci, id, ih, iw)] * w[wIndex(g, co, ci, kd, kh, kw)];
                                        }
                            y[yIndex(g, b, co, od, oh, ow)] = s;
                        }
        return y;
    }

    /**
     * The scatter form of the convolution's adjoints: for every output position o and tap k
     * that reads input i = o s - p + k, dx[i] += dy[o] w[k] and dw[k] += dy[o] x[i].
     * Returns {dx, dw, db}; also the transposed convolution (dx = convT(dy, w)).
     */
    static double[][] conv3dAdjoint(double[] x, double[] w, double[] dy, Conv3dGeometry g) {
        double[] dx = new double[g.inputSize()];
        double[] dw = new double[g.weightSize()];
        double[] db = new double[g.cout()];
        for (int b = 0; b < g.n(); b++)
            for (int co = 0; co < g.cout(); co++)
                for (int od = 0; od < g.outD(); od++)
                    for (int oh = 0; oh < g.outH(); oh++)
                        for (int ow = 0; ow < g.outW(); ow++) {
                            double gy = dy[yIndex(g, b, co, od, oh, ow)];
                            db[co] += gy;
                            for (int ci = 0; ci < g.cin(); ci++)
                                for (int kd = 0; kd < g.kD(); kd++)
                                    for (int kh = 0; kh < g.kH(); kh++)
                                        for (int kw = 0; kw < g.kW(); kw++) {
                                            int id = od * g.sD() - g.pD() + kd;
                                            int ih = oh * g.sH() - g.pH() + kh;
                                            int iw = ow * g.sW() - g.pW() + kw;
                                            if (id < 0 || id >= g.inD() || ih < 0 || ih >= g.inH() || iw < 0 || iw >= g.inW()) continue;
                                            int xi = xIndex(g, b, ci, id, ih, iw);
                                            int wi = wIndex(g, co, ci, kd, kh, kw);
                                            if (x != null) dw[wi] += gy * x[xi];
                                            dx[xi] += gy * w[wi];
                                        }
                        }
        return new double[][] {dx, dw, db};
    }

    /** y = convT(x, w) + bias[cin] (bias may be null), as a scatter. */
    static double[] convTranspose3d(double[] x, double[] w, double[] bias, Conv3dGeometry g) {
        double[] y = conv3dAdjoint(null, w, x, g)[0];
        if (bias != null) {
            int spatial = g.inD() * g.inH() * g.inW();
            for (int i = 0; i < y.length; i++) y[i] += bias[(i / spatial) % g.cin()];
        }
        return y;
    }

    static int xIndex(Conv3dGeometry g, int b, int ci, int id, int ih, int iw) {
        return (((b * g.cin() + ci) * g.inD() + id) * g.inH() + ih) * g.inW() + iw;
    }

    static int yIndex(Conv3dGeometry g, int b, int co, int od, int oh, int ow) {
        return (((b * g.cout() + co) * g.outD() + od) * g.outH() + oh) * g.outW() + ow;
    }

    static int wIndex(Conv3dGeometry g, int co, int ci, int kd, int kh, int kw) {
        return (((co * g.cin() + ci) * g.kD() + kd) * g.kH() + kh) * g.kW() + kw;
    }

    /** Central finite difference of a float64 scalar function at every coordinate of p (p is restored). */
    static double[] finiteDifference(double[] p, java.util.function.ToDoubleFunction<double[]> loss, double h) {
        double[] grad = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            double keep = p[i];
            p[i] = keep + h;
            double up = loss.applyAsDouble(p);
            p[i] = keep - h;
            double down = loss.applyAsDouble(p);
            p[i] = keep;
            grad[i] = (up - down) / (2 * h);
        }
        return grad;
    }
}
