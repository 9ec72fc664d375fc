package org.maesil.tensor.fast;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
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
    private static final VectorSpecies<Float> S = MicroKernel6x16.S;
    private static final int LANES = MicroKernel6x16.LANES;
    private static final VectorMask<Float> UPPER_HALF = VectorMask.fromLong(S, -1L << (LANES / 2));

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
            if (!transposed && cols == NR && inRuns(j0)) {
                packRuns(p0, kc, j0, dst, d);
                continue;
            }
            for (int p = 0; p < kc; p++, d += NR) { // one row of the panel: B[p0+p, j0 .. j0+NR)
                int row = rowIndex[p0 + p];
                for (int j = 0; j < cols; j++) dst[d + j] = x[row + colIndex[j0 + j]];
                for (int j = cols; j < NR; j++) dst[d + j] = 0f;
            }
        }
    }

    /**
     * Whether taps j0 .. j0+NR come in contiguous runs of half a vector (kW = LANES/2: the patch
     * embedding's k8 with 16 lanes) or of whole vectors (k8 with 8 lanes).
     */
    private boolean inRuns(int j0) {
        int run = LANES / 2;
        for (int j = j0; j < j0 + NR; j += run) {
            for (int u = 1; u < run; u++) if (tapOffset[j + u] != tapOffset[j] + u) return false;
        }
        return true;
    }

    /**
     * A dW panel whose taps come in runs (see {@link #inRuns}): each vector of a row is two
     * half-vector runs of the patch, loaded as they lie and joined by a blend (a scalar gather
     * per float: 2.3 ms per sample of the paper's volumes on one thread).
     */
    private void packRuns(int p0, int kc, int j0, float[] dst, int d) {
        for (int p = 0; p < kc; p++, d += NR) {
            int row = patchBase[p0 + p];
            for (int v = 0; v < NR; v += LANES) {
                int lo = row + tapOffset[j0 + v], hi = row + tapOffset[j0 + v + LANES / 2] - LANES / 2;
                if (lo + LANES <= x.length && hi >= 0) {
                    FloatVector.fromArray(S, x, lo).blend(FloatVector.fromArray(S, x, hi), UPPER_HALF).intoArray(dst, d + v);
                } else {
                    for (int j = 0; j < LANES; j++) dst[d + v + j] = x[row + tapOffset[j0 + v + j]];
                }
            }
        }
    }
}
