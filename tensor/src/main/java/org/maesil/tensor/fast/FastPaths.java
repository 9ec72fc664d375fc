package org.maesil.tensor.fast;

import org.maesil.tensor.Conv3dGeometry;
import org.maesil.tensor.Parallel;

/**
 * The CPU fast paths that {@link org.maesil.tensor.JavaBackend} routes to when they apply:
 * the packed Vector API matmul, convolution (direct from the input, gathered panels or im2col; the transposed convolution read
 * backwards), tiled attention, vector GELU, the row-broadcast bias ops of linear layers, and layer and group norm. Each method returns false when it does not take the call
 * (the backend then runs its reference kernel). Arguments are validated by the backend first.
 *
 * <p>Off when the Vector API module is absent, or with {@code -Dmaesil.referenceKernels=true}
 * (every op then runs the readable reference kernels, e.g. to compare speed or results).
 */
public final class FastPaths {
    /** Whether fast paths are used in this JVM. */
    public static final boolean ENABLED = VectorSupport.AVAILABLE && !Boolean.getBoolean("maesil.referenceKernels");

    /** Below this many multiply-adds per matrix the reference row loop is as fast. */
    static final long MIN_MATMUL_MACS = 16L * 16 * 16;

    private final Parallel parallel;
    private final FastMatmul matmul;
    private final Im2colConv3d conv;
    private final FlashAttention attention;

    private FastPaths(Parallel parallel) {
        this.parallel = parallel;
        this.matmul = new FastMatmul(parallel);
        this.conv = new Im2colConv3d(parallel, matmul);
        this.attention = new FlashAttention(parallel);
    }

    /** The fast paths over a backend's thread team, or null when they are off. */
    public static FastPaths createOrNull(Parallel parallel) {
        return ENABLED ? new FastPaths(parallel) : null;
    }

    public boolean matmul(float[] a, float[] b, float[] c, int batch, int m, int n, int k,
                          boolean transA, boolean transB, boolean accumulate, int strideA, int strideB) {
        if ((long) m * n * k < MIN_MATMUL_MACS) return false;
        matmul.matmul(a, b, c, batch, m, n, k, transA, transB, accumulate, strideA, strideB);
        return true;
    }

    public boolean conv3dForward(float[] x, float[] w, float[] bias, float[] y, Conv3dGeometry g) {
        conv.forward(x, w, bias, y, g);
        return true;
    }

    public boolean conv3dBackwardInput(float[] dy, float[] w, float[] dx, Conv3dGeometry g) {
        conv.backwardInput(dy, w, dx, g);
        return true;
    }

    public boolean conv3dBackwardWeight(float[] x, float[] dy, float[] dw, float[] dbias, Conv3dGeometry g) {
        conv.backwardWeight(x, dy, dw, dbias, g);
        return true;
    }

    /** Transposed convolution = the convolution's input gradient (col2im), plus bias over g.cin() channels. */
    public boolean convTranspose3dForward(float[] x, float[] w, float[] bias, float[] y, Conv3dGeometry g) {
        conv.backwardInput(x, w, y, g);
        if (bias != null) {
            int spatial = g.inD() * g.inH() * g.inW();
            parallel.forRange(g.n() * g.cin(), (s, e) -> {
                for (int r = s; r < e; r++) {
                    float bv = bias[r % g.cin()];
                    for (int i = r * spatial, end = i + spatial; i < end; i++) y[i] += bv;
                }
            });
        }
        return true;
    }

    /** Its input gradient is a plain convolution of dy. */
    public boolean convTranspose3dBackwardInput(float[] dy, float[] w, float[] dx, Conv3dGeometry g) {
        conv.forward(dy, w, null, dx, g);
        return true;
    }

    /** Its weight gradient is the convolution's, with the roles of input and output swapped. */
    public boolean convTranspose3dBackwardWeight(float[] x, float[] dy, float[] dw, float[] dbias, Conv3dGeometry g) {
        conv.backwardWeight(dy, x, dw, null, g);
        if (dbias != null) RowVectorOps.sumPerChannel(parallel, dy, dbias, g.n(), g.cin(), g.inD() * g.inH() * g.inW());
        return true;
    }

    public boolean attentionForward(float[] q, float[] k, float[] v, float[] out, float[] lse,
                                    int bh, int lq, int lk, int d, float scale) {
        if (!FlashAttention.supports(d) || lk < 1) return false;
        attention.forward(q, k, v, out, lse, bh, lq, lk, d, scale);
        return true;
    }

    public boolean attentionBackward(float[] q, float[] k, float[] v, float[] out, float[] lse, float[] dout,
                                     float[] dq, float[] dk, float[] dv, float[] delta,
                                     int bh, int lq, int lk, int d, float scale) {
        if (!FlashAttention.supports(d) || lk < 1) return false;
        attention.backward(q, k, v, out, lse, dout, dq, dk, dv, delta, bh, lq, lk, d, scale);
        return true;
    }

    public boolean geluForward(float[] x, float[] y, int n) {
        VectorGelu.forward(parallel, x, y, n);
        return true;
    }

    public boolean geluBackward(float[] x, float[] dy, float[] dx, int n) {
        VectorGelu.backward(parallel, x, dy, dx, n);
        return true;
    }

    /** Bit-identical to the reference (a selection, no arithmetic). */
    public boolean reluForward(float[] x, float[] y, int n) {
        VectorRelu.forward(parallel, x, y, n);
        return true;
    }

    /** Bit-identical to the reference (a selection, no arithmetic). */
    public boolean reluBackward(float[] x, float[] dy, float[] dx, int n) {
        VectorRelu.backward(parallel, x, dy, dx, n);
        return true;
    }

    /** Bit-identical to the reference (same additions, same order). */
    public boolean addBias(float[] x, float[] bias, float[] y, int rows, int cols) {
        RowVectorOps.addBias(parallel, x, bias, y, rows, cols);
        return true;
    }

    /** Bit-identical to the reference (each column summed over rows in order). */
    public boolean sumRows(float[] dy, float[] db, int rows, int cols) {
        RowVectorOps.sumRows(parallel, dy, db, rows, cols);
        return true;
    }

    /** Layer norm's dgamma, dbeta in row order; bit-identical to the reference. */
    public boolean layerNormGradParams(float[] x, float[] mean, float[] rstd, float[] dy,
                                       float[] dgamma, float[] dbeta, int rows, int cols) {
        RowVectorOps.layerNormGradParams(parallel, x, mean, rstd, dy, dgamma, dbeta, rows, cols);
        return true;
    }

    /** Layer norm forward on float vectors (VectorNorm): statistics within ~1e-6 of the double reference, not its bits. */
    public boolean layerNormForward(float[] x, float[] gamma, float[] beta, float[] y, float[] mean, float[] rstd,
                                    int rows, int cols, float eps) {
        VectorNorm.layerNormForward(parallel, x, gamma, beta, y, mean, rstd, rows, cols, eps);
        return true;
    }

    /** Layer norm's dx on float vectors (VectorNorm). */
    public boolean layerNormGradInput(float[] x, float[] gamma, float[] mean, float[] rstd, float[] dy, float[] dx,
                                      int rows, int cols) {
        VectorNorm.layerNormGradInput(parallel, x, gamma, mean, rstd, dy, dx, rows, cols);
        return true;
    }

    /** Group norm forward on float vectors (VectorNorm). */
    public boolean groupNormForward(float[] x, float[] gamma, float[] beta, float[] y, float[] mean, float[] rstd,
                                    int n, int c, int l, int groups, float eps) {
        VectorNorm.groupNormForward(parallel, x, gamma, beta, y, mean, rstd, n, c, l, groups, eps);
        return true;
    }

    /** Group norm's dx, dgamma, dbeta on float vectors, one pass of sums over dy and x (VectorNorm). */
    public boolean groupNormBackward(float[] x, float[] gamma, float[] mean, float[] rstd, float[] dy,
                                     float[] dx, float[] dgamma, float[] dbeta, int n, int c, int l, int groups) {
        VectorNorm.groupNormBackward(parallel, x, gamma, mean, rstd, dy, dx, dgamma, dbeta, n, c, l, groups);
        return true;
    }
}
