package org.maesil.tensor.fast;

import org.maesil.tensor.Conv3dGeometry;

/**
 * The patch matrix of a patch embedding (kernel = stride, no padding) of one sample,
 * P[i, t] = x[n, ci, od*kD+kd, oh*kH+kh, ow*kW+kw] for patch i = (od, oh, ow) and tap
 * t = (ci, kd, kh, kw), packed into the matmul's B panels straight from the volume x: the
 * copy into an unfolded P (32 MiB per sample for the paper's [1,128^3] volumes, 3.8 ms of
 * the 26 ms forward) is skipped, the panels come out the same.
 *
 * <p>P[i, t] = x[patchBase[i] + tapOffset[t]]: two small index tables (one int per patch and
 * per tap) instead of four divisions per element.
 */
final class PatchPanels implements FastMatmul.PanelSource {
    private static final int NR = MicroKernel6x16.NR;

    private final float[] x;
    private final int[] patchBase, tapOffset;
    /** true: op(B) = P^T (rows = taps, columns = patches; the forward), false: op(B) = P (dW). */
    private final boolean transposed;

    PatchPanels(float[] x, int n, Conv3dGeometry g, boolean transposed) {
        this.x = x;
        this.transposed = transposed;
        int inHW = g.inH() * g.inW(), inDHW = g.inD() * inHW;
        patchBase = new int[g.outD() * g.outH() * g.outW()];
        for (int od = 0, i = 0; od < g.outD(); od++)
            for (int oh = 0; oh < g.outH(); oh++)
                for (int ow = 0; ow < g.outW(); ow++, i++)
                    patchBase[i] = n * g.cin() * inDHW + od * g.kD() * inHW + oh * g.kH() * g.inW() + ow * g.kW();
        tapOffset = new int[g.cin() * g.kD() * g.kH() * g.kW()];
        for (int ci = 0, t = 0; ci < g.cin(); ci++)
            for (int kd = 0; kd < g.kD(); kd++)
                for (int kh = 0; kh < g.kH(); kh++)
                    for (int kw = 0; kw < g.kW(); kw++, t++)
                        tapOffset[t] = ci * inDHW + kd * inHW + kh * g.inW() + kw;
    }

    /** Columns of op(B): patches (forward) or taps (dW). */
    int columns() {
        return transposed ? patchBase.length : tapOffset.length;
    }

    /** Panels [q0, q1) of op(B)[p0 .. p0+kc, all columns], panel q from dst[dstOff + q*NR*kc] (layout: {@link Packing}). */
    @Override
    public void pack(int p0, int kc, int q0, int q1, float[] dst, int dstOff) {
        int[] rowIndex = transposed ? tapOffset : patchBase, colIndex = transposed ? patchBase : tapOffset;
        int n = colIndex.length;
        for (int q = q0; q < q1; q++) {
            int j0 = q * NR, cols = Math.min(NR, n - j0);
            int d = dstOff + q * NR * kc;
            for (int p = 0; p < kc; p++, d += NR) { // one row of the panel: B[p0+p, j0 .. j0+NR)
                int row = rowIndex[p0 + p];
                for (int j = 0; j < cols; j++) dst[d + j] = x[row + colIndex[j0 + j]];
                for (int j = cols; j < NR; j++) dst[d + j] = 0f;
            }
        }
    }
}
