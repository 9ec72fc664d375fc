package org.maesil.model;

/**
 * Kernels that move token rows between the full token grid and the visible-token list of a
 * masked batch. Plain static loops over primitive arrays in the kernel style of
 * {@code org.maesil.tensor.kernels}: each method computes its outputs element by element from
 * the element's index. Per sample b of a batch of B:
 * {@code visible[b*nv + j]} is the token index of visible slot j (ascending), and
 * {@code slot[b*n + t]} is the visible slot of token t, or -1 when t is masked.
 */
public final class TokenKernels {
    private TokenKernels() {}

    /** out[b, j, c] = x[b, visible[b, j], c]; x [B, n, C], out [B, nv, C]. */
    public static void gatherRows(float[] x, int[] visible, float[] out, int batch, int n, int nv, int cols) {
        int total = batch * nv * cols;
        for (int i = 0; i < total; i++) {
            int c = i % cols;
            int bj = i / cols;
            int b = bj / nv;
            out[i] = x[(b * n + visible[bj]) * cols + c];
        }
    }

    /**
     * Backward of {@link #gatherRows}: dx[b, t, c] = dout[b, slot[b, t], c] for visible t, else 0;
     * dout [B, nv, C], dx [B, n, C].
     */
    public static void gatherRowsBackward(float[] dout, int[] slot, float[] dx, int batch, int n, int nv, int cols) {
        int total = batch * n * cols;
        for (int i = 0; i < total; i++) {
            int c = i % cols;
            int bt = i / cols;
            int b = bt / n;
            int j = slot[bt];
            dx[i] = j >= 0 ? dout[(b * nv + j) * cols + c] : 0f;
        }
    }

    /**
     * Fills the full sequence for the decoder: full[b, t, c] = y[b, slot[b, t], c] for visible t,
     * maskToken[c] for masked t; y [B, nv, C], full [B, n, C].
     */
    public static void scatterWithMaskToken(float[] y, float[] maskToken, int[] slot, float[] full,
                                            int batch, int n, int nv, int cols) {
        int total = batch * n * cols;
        for (int i = 0; i < total; i++) {
            int c = i % cols;
            int bt = i / cols;
            int b = bt / n;
            int j = slot[bt];
            full[i] = j >= 0 ? y[(b * nv + j) * cols + c] : maskToken[c];
        }
    }

    /**
     * Gradient of the mask token: dMaskToken[c] = sum over (b, t) with t masked of dfull[b, t, c],
     * summed in double in (b, t) order (one output element per column, fixed order: thread-count independent).
     */
    public static void maskTokenGrad(float[] dfull, int[] slot, float[] dMaskToken, int batch, int n, int cols) {
        for (int c = 0; c < cols; c++) {
            double s = 0.0;
            for (int bt = 0; bt < batch * n; bt++) {
                if (slot[bt] < 0) s += dfull[bt * cols + c];
            }
            dMaskToken[c] = (float) s;
        }
    }

    /** y[b, t, c] = x[b, t, c] + table[t, c] (positions broadcast over the batch); y may be x. */
    public static void addPositions(float[] x, float[] table, float[] y, int batch, int n, int cols) {
        int per = n * cols;
        int total = batch * per;
        for (int i = 0; i < total; i++) y[i] = x[i] + table[i % per];
    }

    /** x[b, j, c] += table[visible[b, j], c]: positions of the visible tokens; x [B, nv, C], table [n, C]. */
    public static void addGatheredPositions(float[] x, float[] table, int[] visible, int batch, int nv, int cols) {
        int total = batch * nv * cols;
        for (int i = 0; i < total; i++) {
            int c = i % cols;
            x[i] += table[visible[i / cols] * cols + c];
        }
    }
}
