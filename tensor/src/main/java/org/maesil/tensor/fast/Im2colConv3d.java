package org.maesil.tensor.fast;

import java.util.Arrays;
import org.maesil.tensor.Conv3dGeometry;
import org.maesil.tensor.Parallel;

/**
 * 3D convolution (NCDHW) as matrix products over an unfolded input ("im2col"), with the
 * products done by {@link FastMatmul}. Same contract as the reference kernels
 * (org.maesil.tensor.kernels.Conv3d); tested against them.
 *
 * <p>For one sample n, with K = cin*kD*kH*kW (one row per input channel and kernel tap) and
 * P = outD*outH*outW (one column per output voxel):
 * <pre>
 *   col[K, P]:  col[(ci, kd, kh, kw), (od, oh, ow)] = x[n, ci, od*sD-pD+kd, oh*sH-pH+kh, ow*sW-pW+kw] (0 outside)
 *   forward:    y[n][cout, P]  = W[cout, K] . col[K, P]            (+ bias)
 *   dW:         dW[cout, K]   += dy[n][cout, P] . col[K, P]^T      (summed over n)
 *   dx:         dcol[K, P]     = W^T[K, cout] . dy[n][cout, P],  then col2im: dx += scatter of dcol
 * </pre>
 * When kernel == stride and there is no padding (the patch embedding) the patches do not
 * overlap and the convolution is a plain matrix product with the patch matrix P[P, K] (the
 * transpose of col): forward and dW pack P's panels straight from x ({@link PatchPanels}), dx
 * multiplies into a patch-major dP and puts its rows back into the volume.
 *
 * <p>General (overlapping) convolutions run forward, dW and dx through {@link PanelConv3d}
 * instead, which gathers the unfolded input straight into per-thread packed panels (no full
 * col matrix); the im2col + matmul path below remains for dx planes too large for a
 * per-thread buffer, and for tests (usePanels false).
 *
 * <p>Blocking: col would be K*P floats per sample (e.g. 864 x 32768 for a 32-channel 3^3
 * layer at 64^3), so P is cut into chunks of whole output planes (od) of at most
 * {@link #COL_BUDGET} floats; each chunk is unfolded, multiplied, and (for dx) folded back.
 * The col buffer is kept between calls.
 *
 * <p>Determinism: im2col runs in parallel over the rows of col (disjoint writes); col2im in
 * parallel over input channels (the rows of channel ci only touch dx[n, ci]), adding its taps
 * in a fixed order; dW sums over samples and chunks in a fixed order; the bias gradient sums
 * each channel in a fixed order. So 1 and N threads give identical bits.
 */
public final class Im2colConv3d {
    /** Largest col chunk, in floats (16 MiB). */
    static final int COL_BUDGET = 1 << 22;

    private final Parallel parallel;
    private final FastMatmul mm;
    private final int colBudget;
    private float[] col = new float[0];
    /** Forward and dW of general (overlapping) convolutions gathered straight into packed panels; null: im2col + matmul. */
    private final PanelConv3d panels;
    /** Forward of general convolutions with rows of at least half a vector, read straight from the input; null: panels. */
    private final DirectConv3d direct;

    public Im2colConv3d(Parallel parallel, FastMatmul mm) {
        this(parallel, mm, COL_BUDGET, true, true);
    }

    /**
     * With another chunk budget (tests use a small one to exercise the chunking); usePanels
     * false runs forward and dW of general convolutions as im2col + matmul too; useDirect false
     * keeps the forward on the gathered panels even where {@link DirectConv3d} takes it.
     */
    Im2colConv3d(Parallel parallel, FastMatmul mm, int colBudget, boolean usePanels, boolean useDirect) {
        this(parallel, mm, colBudget, usePanels, useDirect, DirectConv3d.WIDE_BY_DEFAULT);
    }

    /** As above; wideTiles: whether {@link DirectConv3d} runs its wide (24-accumulator) tiles. */
    Im2colConv3d(Parallel parallel, FastMatmul mm, int colBudget, boolean usePanels, boolean useDirect, boolean wideTiles) {
        this.parallel = parallel;
        this.mm = mm;
        this.colBudget = colBudget;
        this.panels = usePanels ? new PanelConv3d(parallel) : null;
        this.direct = usePanels && useDirect ? new DirectConv3d(parallel, panels, wideTiles) : null;
    }

    /** Output planes (od) per chunk so that K * planes * outH * outW <= the budget (at least 1). */
    int planesPerChunk(Conv3dGeometry g) {
        long k = (long) g.cin() * g.kD() * g.kH() * g.kW();
        long plane = (long) g.outH() * g.outW();
        return (int) Math.max(1, Math.min(g.outD(), colBudget / (k * plane)));
    }

    private float[] colBuffer(Conv3dGeometry g) {
        long need = (long) g.cin() * g.kD() * g.kH() * g.kW() * planesPerChunk(g) * g.outH() * g.outW();
        if (col.length < need) col = new float[(int) need];
        return col;
    }

    /** y = conv3d(x, w) + bias (bias may be null). */
    public synchronized void forward(float[] x, float[] w, float[] bias, float[] y, Conv3dGeometry g) {
        int kk = g.cin() * g.kD() * g.kH() * g.kW();
        int plane = g.outH() * g.outW(), p = g.outD() * plane, ppc = planesPerChunk(g);
        if (isPatchEmbedding(g)) { // y[n][cout, patches] = W[cout, K] . P_n^T, P_n packed straight from x
            for (int n = 0; n < g.n(); n++) {
                mm.gemm(w, 0, kk, false, new PatchPanels(x, n, g, true), y, n * g.cout() * p, p, g.cout(), p, kk, false);
            }
        } else if (direct != null && DirectConv3d.takes(g)) {
            direct.forward(x, w, y, g);
        } else if (panels != null) {
            panels.forward(x, w, y, g);
        } else {
            float[] c = colBuffer(g);
            for (int n = 0; n < g.n(); n++) {
                for (int od0 = 0; od0 < g.outD(); od0 += ppc) {
                    int planes = Math.min(ppc, g.outD() - od0), pc = planes * plane;
                    im2col(x, n, od0, planes, g, c);
                    mm.gemm(w, 0, kk, false, c, 0, pc, false, y, n * g.cout() * p + od0 * plane, p, g.cout(), pc, kk, false);
                }
            }
        }
        if (bias != null) {
            parallel.forRange(g.n() * g.cout(), (s, e) -> {
                for (int r = s; r < e; r++) {
                    float b = bias[r % g.cout()];
                    for (int i = r * p, end = i + p; i < end; i++) y[i] += b;
                }
            });
        }
    }

    /** dw (overwritten) and dbias (overwritten, if not null) from x and dy. */
    public synchronized void backwardWeight(float[] x, float[] dy, float[] dw, float[] dbias, Conv3dGeometry g) {
        int kk = g.cin() * g.kD() * g.kH() * g.kW();
        int plane = g.outH() * g.outW(), p = g.outD() * plane, ppc = planesPerChunk(g);
        if (isPatchEmbedding(g)) { // dW[cout, K] (+)= dy[n][cout, patches] . P_n, P_n packed straight from x
            for (int n = 0; n < g.n(); n++) {
                mm.gemm(dy, n * g.cout() * p, p, false, new PatchPanels(x, n, g, false), dw, 0, kk, g.cout(), kk, p, n > 0);
            }
        } else if (panels != null) {
            // K <= NR (e.g. cin 1, 3^3 taps): one column of tiles, the dot-product form is faster
            // (measured 2-3x at 1 -> 32, [2,1,64^3]), read straight from the split input where output
            // rows are whole vectors (8-11% faster there than gathering the rows first); larger K:
            // the packed-panel matrix product.
            if (direct != null && DirectConv3d.takesDot(g)) direct.backwardWeightDot(x, dy, dw, g);
            else if (kk <= MicroKernel6x16.NR) panels.backwardWeightDot(x, dy, dw, g);
            else if (direct != null) direct.backwardWeight(x, dy, dw, g);
            else panels.backwardWeight(x, dy, dw, g);
        } else {
            float[] c = colBuffer(g);
            for (int n = 0; n < g.n(); n++) {
                for (int od0 = 0; od0 < g.outD(); od0 += ppc) { // dW[cout, K] (+)= dy[n][cout, chunk] . col[K, chunk]^T
                    int planes = Math.min(ppc, g.outD() - od0), pc = planes * plane;
                    im2col(x, n, od0, planes, g, c);
                    mm.gemm(dy, n * g.cout() * p + od0 * plane, p, false, c, 0, pc, true, dw, 0, kk,
                            g.cout(), kk, pc, n > 0 || od0 > 0);
                }
            }
        }
        if (dbias != null) RowVectorOps.sumPerChannel(parallel, dy, dbias, g.n(), g.cout(), p);
    }

    /** dx (overwritten) from dy and w. */
    public synchronized void backwardInput(float[] dy, float[] w, float[] dx, Conv3dGeometry g) {
        int kk = g.cin() * g.kD() * g.kH() * g.kW();
        int plane = g.outH() * g.outW(), p = g.outD() * plane, ppc = planesPerChunk(g);
        if (!isPatchEmbedding(g) && panels != null && PanelConv3d.takesBackwardInput(g)) {
            panels.backwardInput(dy, w, dx, g);
            return;
        }
        float[] c = colBuffer(g);
        Arrays.fill(dx, 0, g.inputSize(), 0f);
        for (int n = 0; n < g.n(); n++) {
            for (int od0 = 0; od0 < g.outD(); od0 += ppc) {
                int planes = Math.min(ppc, g.outD() - od0), pc = planes * plane;
                if (isPatchEmbedding(g)) { // dpatches[chunk, K] = dy[n][cout, chunk]^T . W[cout, K]
                    mm.gemm(dy, n * g.cout() * p + od0 * plane, p, true, w, 0, kk, false, c, 0, kk, pc, kk, g.cout(), false);
                    foldPatches(c, n, od0, planes, g, dx);
                } else { // dcol[K, chunk] = W^T[K, cout] . dy[n][cout, chunk]
                    mm.gemm(w, 0, kk, true, dy, n * g.cout() * p + od0 * plane, p, false, c, 0, pc, kk, pc, g.cout(), false);
                    col2im(c, n, od0, planes, g, dx);
                }
            }
        }
    }

    /** Kernel = stride and no padding: the patches do not overlap, unfolding is a reshape. */
    static boolean isPatchEmbedding(Conv3dGeometry g) {
        return g.kD() == g.sD() && g.kH() == g.sH() && g.kW() == g.sW() && g.pD() == 0 && g.pH() == 0 && g.pW() == 0;
    }

    /**
     * dx[n, ...] = the patch rows of dpt put back into the volume (no overlap), with
     * dpt[(od-od0, oh, ow), (ci, kd, kh, kw)] the gradient of x[n, ci, od*kD+kd, oh*kH+kh, ow*kW+kw].
     */
    void foldPatches(float[] dpt, int n, int od0, int planes, Conv3dGeometry g, float[] dx) {
        int kk = g.cin() * g.kD() * g.kH() * g.kW();
        int oh = g.outH(), ow = g.outW(), inHW = g.inH() * g.inW(), inDHW = g.inD() * inHW;
        parallel.forRange(planes * oh, (s, e) -> {
            for (int row = s; row < e; row++) {
                int od = od0 + row / oh, h = row % oh;
                for (int wq = 0; wq < ow; wq++) {
                    int o = ((row * ow) + wq) * kk;
                    for (int ci = 0; ci < g.cin(); ci++) {
                        for (int kd = 0; kd < g.kD(); kd++) {
                            for (int kh = 0; kh < g.kH(); kh++, o += g.kW()) {
                                int dst = (n * g.cin() + ci) * inDHW + (od * g.kD() + kd) * inHW
                                        + (h * g.kH() + kh) * g.inW() + wq * g.kW();
                                System.arraycopy(dpt, o, dx, dst, g.kW());
                            }
                        }
                    }
                }
            }
        });
    }

    /** col[(ci,kd,kh,kw), (od-od0, oh, ow)] = x[n, ci, od*sD-pD+kd, oh*sH-pH+kh, ow*sW-pW+kw], 0 outside. */
    void im2col(float[] x, int n, int od0, int planes, Conv3dGeometry g, float[] c) {
        int kvol = g.kD() * g.kH() * g.kW();
        int rows = g.cin() * kvol;
        int oh = g.outH(), ow = g.outW(), pc = planes * oh * ow;
        int inHW = g.inH() * g.inW(), inDHW = g.inD() * inHW;
        parallel.forRange(rows, (s, e) -> {
            for (int r = s; r < e; r++) {
                int ci = r / kvol, t = r % kvol;
                int kd = t / (g.kH() * g.kW()), kh = (t / g.kW()) % g.kH(), kw = t % g.kW();
                int xc = (n * g.cin() + ci) * inDHW;
                int o = r * pc, sw = g.sW();
                int wLo = firstColumnInside(g, kw), wHi = endColumnInside(g, kw);
                for (int od = od0; od < od0 + planes; od++) {
                    int id = od * g.sD() - g.pD() + kd;
                    for (int h = 0; h < oh; h++, o += ow) {
                        int ih = h * g.sH() - g.pH() + kh;
                        if (id < 0 || id >= g.inD() || ih < 0 || ih >= g.inH()) {
                            Arrays.fill(c, o, o + ow, 0f);
                            continue;
                        }
                        // columns wq whose input iw = wq*sW - pW + kw is inside [0, inW): [wLo, wHi)
                        int xr = xc + id * inHW + ih * g.inW() - g.pW() + kw;
                        for (int wq = 0; wq < wLo; wq++) c[o + wq] = 0f;
                        for (int wq = wLo; wq < wHi; wq++) c[o + wq] = x[xr + wq * sw];
                        for (int wq = Math.max(wLo, wHi); wq < ow; wq++) c[o + wq] = 0f;
                    }
                }
            }
        });
    }

    /** dx[n, ci, ...] += the entries of dcol that im2col read from there, taps in order (kd, kh, kw). */
    void col2im(float[] c, int n, int od0, int planes, Conv3dGeometry g, float[] dx) {
        int kvol = g.kD() * g.kH() * g.kW();
        int oh = g.outH(), ow = g.outW(), pc = planes * oh * ow;
        int inHW = g.inH() * g.inW(), inDHW = g.inD() * inHW;
        parallel.forRange(g.cin(), 1, (s, e) -> {
            for (int ci = s; ci < e; ci++) {
                int xc = (n * g.cin() + ci) * inDHW;
                for (int t = 0; t < kvol; t++) {
                    int kd = t / (g.kH() * g.kW()), kh = (t / g.kW()) % g.kH(), kw = t % g.kW();
                    int o = (ci * kvol + t) * pc, sw = g.sW();
                    int wLo = firstColumnInside(g, kw), wHi = endColumnInside(g, kw);
                    for (int od = od0; od < od0 + planes; od++) {
                        int id = od * g.sD() - g.pD() + kd;
                        for (int h = 0; h < oh; h++, o += ow) {
                            int ih = h * g.sH() - g.pH() + kh;
                            if (id < 0 || id >= g.inD() || ih < 0 || ih >= g.inH()) continue;
                            int xr = xc + id * inHW + ih * g.inW() - g.pW() + kw;
                            for (int wq = wLo; wq < wHi; wq++) dx[xr + wq * sw] += c[o + wq];
                        }
                    }
                }
            }
        });
    }

    /** First output column ow whose tap kw reads inside the input row (ow*sW - pW + kw >= 0). */
    static int firstColumnInside(Conv3dGeometry g, int kw) {
        return firstInside(g.pW() - kw, g.sW());
    }

    /** End (exclusive) of the output columns whose tap kw reads inside the input row (ow*sW - pW + kw < inW). */
    static int endColumnInside(Conv3dGeometry g, int kw) {
        return Math.min(g.outW(), firstInside(g.inW() + g.pW() - kw, g.sW()));
    }

    /** The smallest wq >= 0 with wq * stride >= bound (bound may be negative). */
    static int firstInside(int bound, int stride) {
        return bound <= 0 ? 0 : (bound + stride - 1) / stride;
    }
}
