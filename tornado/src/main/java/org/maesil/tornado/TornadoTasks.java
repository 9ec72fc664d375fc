package org.maesil.tornado;

import org.maesil.tensor.kernels.AdamW;
import org.maesil.tensor.kernels.Attention;
import org.maesil.tensor.kernels.Conv3d;
import org.maesil.tensor.kernels.ConvTranspose3d;
import org.maesil.tensor.kernels.Elementwise;
import org.maesil.tensor.kernels.Gelu;
import org.maesil.tensor.kernels.GroupNorm;
import org.maesil.tensor.kernels.LayerNorm;
import org.maesil.tensor.kernels.Matmul;
import org.maesil.tensor.kernels.MseLoss;
import org.maesil.tensor.kernels.Reduction;
import org.maesil.tensor.kernels.Relu;
import org.maesil.tensor.kernels.Softmax;
import uk.ac.manchester.tornado.api.annotations.Parallel;

/**
 * The TornadoVM schedule of the engine's kernels: each method here is one task of a task
 * graph, a single {@code @Parallel} loop over the kernel's index space whose body calls the
 * kernel function of {@code org.maesil.tensor.kernels} for one index. TornadoVM inlines that
 * function into the generated device code, so the GPU runs the very Java a reader finds in the
 * kernels package; nothing of a kernel's arithmetic is written here.
 *
 * <p>Scalars that change from call to call (learning rate, scale factors) travel in a small
 * {@code float[] f} that is copied to the device on every execution; ints are task constants.
 * Method names avoid OpenCL C keywords (TornadoVM rejects a method named {@code kernel}).
 */
public final class TornadoTasks {
    private TornadoTasks() {}

    // ------------------------------------------------------------ matrix multiply

    /** c[index] for every index of [batch, m, n]. */
    public static void matmul(float[] a, float[] b, float[] c, int m, int n, int k, int transA, int transB,
                              int accumulate, int strideA, int strideB, int total) {
        for (@Parallel int i = 0; i < total; i++) {
            Matmul.matmulElement(a, b, c, m, n, k, transA, transB, accumulate, strideA, strideB, i);
        }
    }

    // ------------------------------------------------------------ 3D convolution

    public static void conv3dForward(float[] x, float[] w, float[] bias, int hasBias, float[] y, int[] g, int total) {
        for (@Parallel int i = 0; i < total; i++) {
            Conv3d.forwardElement(x, w, bias, hasBias, y, g, i);
        }
    }

    public static void conv3dBackwardInput(float[] dy, float[] w, float[] dx, int[] g, int total) {
        for (@Parallel int i = 0; i < total; i++) {
            Conv3d.backwardInputElement(dy, w, dx, g, i);
        }
    }

    public static void conv3dBackwardWeight(float[] x, float[] dy, float[] dw, int[] g, int total) {
        for (@Parallel int i = 0; i < total; i++) {
            Conv3d.backwardWeightElement(x, dy, dw, g, i);
        }
    }

    /** db[c] = sum over batch and space of t [n, channels, spatial]. */
    public static void channelSum(float[] t, float[] db, int n, int channels, int spatial) {
        for (@Parallel int c = 0; c < channels; c++) {
            Conv3d.channelSumElement(t, db, n, channels, spatial, c);
        }
    }

    public static void convTranspose3dForward(float[] x, float[] w, float[] bias, int hasBias, float[] y, int[] g, int total) {
        for (@Parallel int i = 0; i < total; i++) {
            ConvTranspose3d.forwardElement(x, w, bias, hasBias, y, g, i);
        }
    }

    public static void convTranspose3dBackwardInput(float[] dy, float[] w, float[] dx, int[] g, int total) {
        for (@Parallel int i = 0; i < total; i++) {
            ConvTranspose3d.backwardInputElement(dy, w, dx, g, i);
        }
    }

    public static void convTranspose3dBackwardWeight(float[] x, float[] dy, float[] dw, int[] g, int total) {
        for (@Parallel int i = 0; i < total; i++) {
            ConvTranspose3d.backwardWeightElement(x, dy, dw, g, i);
        }
    }

    // ------------------------------------------------------------ attention; f = {scale}

    public static void attentionForward(float[] q, float[] k, float[] v, float[] out, float[] lse,
                                        int lq, int lk, int d, float[] f, int rows) {
        for (@Parallel int row = 0; row < rows; row++) {
            Attention.attentionForwardRow(q, k, v, out, lse, lq, lk, d, f[0], row);
        }
    }

    public static void attentionDelta(float[] dout, float[] out, float[] delta, int d, int rows) {
        for (@Parallel int row = 0; row < rows; row++) {
            Attention.attentionDeltaRow(dout, out, delta, d, row);
        }
    }

    public static void attentionGradQuery(float[] q, float[] k, float[] v, float[] dout, float[] lse, float[] delta,
                                          float[] dq, int lq, int lk, int d, float[] f, int rows) {
        for (@Parallel int row = 0; row < rows; row++) {
            Attention.attentionGradQueryRow(q, k, v, dout, lse, delta, dq, lq, lk, d, f[0], row);
        }
    }

    public static void attentionGradKeyValue(float[] q, float[] k, float[] v, float[] dout, float[] lse, float[] delta,
                                             float[] dk, float[] dv, int lq, int lk, int d, float[] f, int rows) {
        for (@Parallel int row = 0; row < rows; row++) {
            Attention.attentionGradKeyValueRow(q, k, v, dout, lse, delta, dk, dv, lq, lk, d, f[0], row);
        }
    }

    // ------------------------------------------------------------ normalisation, activations

    /** f = {eps}. */
    public static void layerNormForward(float[] x, float[] gamma, float[] beta, float[] y, float[] mean, float[] rstd,
                                        int cols, float[] f, int rows) {
        for (@Parallel int row = 0; row < rows; row++) {
            LayerNorm.layerNormForwardRow(x, gamma, beta, y, mean, rstd, cols, f[0], row);
        }
    }

    public static void layerNormGradInput(float[] x, float[] gamma, float[] mean, float[] rstd, float[] dy, float[] dx,
                                          int cols, int rows) {
        for (@Parallel int row = 0; row < rows; row++) {
            LayerNorm.layerNormGradInputRow(x, gamma, mean, rstd, dy, dx, cols, row);
        }
    }

    public static void layerNormGradParams(float[] x, float[] mean, float[] rstd, float[] dy, float[] dgamma,
                                           float[] dbeta, int rows, int cols) {
        for (@Parallel int col = 0; col < cols; col++) {
            LayerNorm.layerNormGradParamsColumn(x, mean, rstd, dy, dgamma, dbeta, rows, cols, col);
        }
    }

    /** f = {eps}; one row per (sample, group). */
    public static void groupNormForward(float[] x, float[] gamma, float[] beta, float[] y, float[] mean, float[] rstd,
                                        int c, int l, int groups, float[] f, int rows) {
        for (@Parallel int row = 0; row < rows; row++) {
            GroupNorm.groupNormForwardRow(x, gamma, beta, y, mean, rstd, c, l, groups, f[0], row);
        }
    }

    public static void groupNormGradInput(float[] x, float[] gamma, float[] mean, float[] rstd, float[] dy, float[] dx,
                                          int c, int l, int groups, int rows) {
        for (@Parallel int row = 0; row < rows; row++) {
            GroupNorm.groupNormGradInputRow(x, gamma, mean, rstd, dy, dx, c, l, groups, row);
        }
    }

    public static void groupNormGradParams(float[] x, float[] mean, float[] rstd, float[] dy, float[] dgamma, float[] dbeta,
                                           int n, int c, int l, int groups) {
        for (@Parallel int ch = 0; ch < c; ch++) {
            GroupNorm.groupNormGradParamsChannel(x, mean, rstd, dy, dgamma, dbeta, n, c, l, groups, ch);
        }
    }

    public static void geluForward(float[] x, float[] y, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            Gelu.geluForwardElement(x, y, i);
        }
    }

    public static void geluBackward(float[] x, float[] dy, float[] dx, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            Gelu.geluBackwardElement(x, dy, dx, i);
        }
    }

    public static void reluForward(float[] x, float[] y, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            Relu.reluForwardElement(x, y, i);
        }
    }

    public static void reluBackward(float[] x, float[] dy, float[] dx, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            Relu.reluBackwardElement(x, dy, dx, i);
        }
    }

    public static void softmaxForward(float[] x, float[] y, int cols, int rows) {
        for (@Parallel int row = 0; row < rows; row++) {
            Softmax.softmaxForwardRow(x, y, cols, row);
        }
    }

    public static void softmaxBackward(float[] y, float[] dy, float[] dx, int cols, int rows) {
        for (@Parallel int row = 0; row < rows; row++) {
            Softmax.softmaxBackwardRow(y, dy, dx, cols, row);
        }
    }

    // ------------------------------------------------------------ loss

    /** rowSum[r] = sum_c (p - t)^2; the host finishes the weighted mean. */
    public static void squaredErrorRowSum(float[] pred, float[] target, double[] rowSum, int cols, int rows) {
        for (@Parallel int row = 0; row < rows; row++) {
            MseLoss.squaredErrorRowSum(pred, target, rowSum, cols, row);
        }
    }

    /** f = {factor}. */
    public static void mseGrad(float[] pred, float[] target, float[] dpred, float[] f, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            MseLoss.mseGradElement(pred, target, dpred, f[0], i);
        }
    }

    /** f = {factor}. */
    public static void weightedMseGrad(float[] pred, float[] target, float[] rowWeight, float[] dpred, int cols,
                                       float[] f, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            MseLoss.weightedMseGradElement(pred, target, rowWeight, dpred, cols, f[0], i);
        }
    }

    // ------------------------------------------------------------ elementwise, reductions, optimiser

    public static void addBias(float[] x, float[] bias, float[] y, int cols, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            Elementwise.addBiasElement(x, bias, y, cols, i);
        }
    }

    public static void sumRows(float[] dy, float[] db, int rows, int cols) {
        for (@Parallel int c = 0; c < cols; c++) {
            Reduction.sumRowsElement(dy, db, rows, cols, c);
        }
    }

    public static void addArrays(float[] a, float[] b, float[] y, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            Elementwise.addElement(a, b, y, i);
        }
    }

    /** f = {alpha}. */
    public static void axpy(float[] f, float[] x, float[] y, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            Elementwise.axpyElement(f[0], x, y, i);
        }
    }

    /** f = {alpha}. */
    public static void scaleArray(float[] x, float[] f, float[] y, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            Elementwise.scaleElement(x, f[0], y, i);
        }
    }

    /** partial[block] = sum of x[i]^2 over one block of Reduction.SUM_BLOCK elements, in double. */
    public static void sumOfSquaresBlocks(float[] x, double[] partial, int n, int blocks) {
        for (@Parallel int block = 0; block < blocks; block++) {
            Reduction.sumOfSquaresBlock(x, partial, n, block);
        }
    }

    /** f = {lr, beta1, beta2, eps, weightDecay, bc1, bc2}. */
    public static void adamw(float[] p, float[] g, float[] m, float[] v, float[] f, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            AdamW.stepElement(p, g, m, v, f[0], f[1], f[2], f[3], f[4], f[5], f[6], i);
        }
    }
}
