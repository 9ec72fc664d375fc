package org.maesil.tensor.kernels;

/**
 * Transposed 3D convolution, the adjoint of {@link Conv3d} on the same geometry g read backwards:
 * y[b, ci, i] = bias[ci] + sum_{co, k : i = o * s - p + k} x[b, co, o] * w[co, ci, k],
 * with x [n, cout, outD, outH, outW] (the shape of a convolution's output), w [cout, cin, kD, kH, kW],
 * y [n, cin, inD, inH, inW] (the shape of a convolution's input), bias [cin].
 *
 * <p>PyTorch's ConvTranspose3d(in_channels = cout, out_channels = cin) stores its weight as
 * [in_channels, out_channels, k...] = [cout, cin, k...]: the same array as w here. When
 * (in + 2 pad - k) is not a multiple of the stride, PyTorch needs
 * output_padding = in - ((out - 1) * stride - 2 pad + k) to give the same output size.
 */
public final class ConvTranspose3d {
    private ConvTranspose3d() {}

    /** y[b, ci, i] = sum_{co, k} x[b, co, o] w[co, ci, k] (+ bias[ci]); index over y [n, cin, inD, inH, inW]. */
    public static void forwardElement(float[] x, float[] w, float[] bias, int hasBias, float[] y, int[] g, int index) {
        float sum = Conv3d.inputGradSum(x, w, g, index);
        if (hasBias == 1) {
            int ci = (index / (g[Conv3d.IN_D] * g[Conv3d.IN_H] * g[Conv3d.IN_W])) % g[Conv3d.CIN];
            sum += bias[ci];
        }
        y[index] = sum;
    }

    /** dx[b, co, o] = sum_{ci, k} dy[b, ci, o * s - p + k] w[co, ci, k] (a plain convolution); index over dx [n, cout, outD, outH, outW]. */
    public static void backwardInputElement(float[] dy, float[] w, float[] dx, int[] g, int index) {
        dx[index] = Conv3d.forwardSum(dy, w, g, index);
    }

    /** dw[co, ci, k] = sum_{b, o} x[b, co, o] dy[b, ci, o * s - p + k]; index over dw [cout, cin, kD, kH, kW]. */
    public static void backwardWeightElement(float[] x, float[] dy, float[] dw, int[] g, int index) {
        dw[index] = Conv3d.weightGradSum(dy, x, g, index);
    }

    /** db[ci] = sum_{b, i} dy[b, ci, i]; index = ci. */
    public static void biasGradElement(float[] dy, float[] db, int[] g, int ci) {
        Conv3d.channelSumElement(dy, db, g[Conv3d.N], g[Conv3d.CIN], g[Conv3d.IN_D] * g[Conv3d.IN_H] * g[Conv3d.IN_W], ci);
    }
}
