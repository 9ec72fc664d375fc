package org.maesil.tensor.fast;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.maesil.tensor.Conv3dGeometry;
import org.maesil.tensor.Parallel;

/**
 * Convolution forward and weight gradient with the unfolded input built straight into the
 * register tile's packed panel layout, one NR-wide panel at a time, in a per-thread buffer
 * (no full col matrix, no second packing pass of it). Same math as {@link Im2colConv3d}:
 * K = cin*kD*kH*kW rows (ci, kd, kh, kw), P = outD*outH*outW voxels.
 * <pre>
 *   forward:  y[n][co, v] = sum_k W[co, k] col[k, v]
 *             work item = (n, panel of NR voxels): gather col[0:K, panel] as a K x NR panel,
 *             then 6 x NR tiles of W (packed once into 6-row panels) times it.
 *   dW:       dW[co, k] = sum_n sum_v dy[n][co, v] col[k, v]
 *             A = dy packed into 6-row panels (once), B panel = col[panel of NR rows k, v]^T
 *             gathered KC voxels at a time; work item = (panel of NR rows k, voxel range).
 * </pre>
 * Determinism: the voxel ranges of dW are fixed by the geometry (not by the thread count);
 * each range sums into its own partial dW (KC blocks in order), and the partials are added in
 * range order. Every forward output element is computed by one work item. So 1 and N threads
 * give identical bits.
 */
final class PanelConv3d {
    private static final VectorSpecies<Float> S = MicroKernel6x16.S;
    private static final int LANES = MicroKernel6x16.LANES;
    private static final int MR = MicroKernel6x16.MR;
    private static final int NR = MicroKernel6x16.NR;
    private static final int KC = FastMatmul.KC;
    /** Lane j takes lane 2j mod LANES: the even lanes, twice. */
    private static final VectorShuffle<Float> EVEN_LANES = VectorShuffle.fromOp(S, j -> 2 * j % LANES);
    private static final VectorMask<Float> UPPER_HALF = VectorMask.fromLong(S, -1L << (LANES / 2));
    /** Lane j takes lane (2j + 1) mod LANES: the odd lanes, twice. */
    private static final VectorShuffle<Float> ODD_LANES = VectorShuffle.fromOp(S, j -> (2 * j + 1) % LANES);
    /** Lane 2j takes lane j (the odd lanes too, masked off by {@link #EVEN}). */
    private static final VectorShuffle<Float> SPREAD_TO_EVEN = VectorShuffle.fromOp(S, j -> j / 2);
    private static final VectorMask<Float> EVEN = VectorMask.fromLong(S, 0x5555_5555_5555_5555L & ((1L << LANES) - 1));
    /** Work items wanted for dW before splitting the voxel sum (fixed, not the thread count). */
    static final int DW_ITEMS = 16;

    private final Parallel parallel;
    private float[] packedA = new float[0];
    private float[] partial = new float[0];
    private float[] phased = new float[0];
    /** Per thread: one K x NR (or KC x NR) B panel, then MR*NR floats of edge-tile scratch. */
    private final ThreadLocal<float[][]> panel = ThreadLocal.withInitial(() -> new float[1][0]);
    /** Per thread: the gathers' small index tables. */
    private final ThreadLocal<int[]> tables = ThreadLocal.withInitial(() -> new int[6 * NR]);

    PanelConv3d(Parallel parallel) {
        this.parallel = parallel;
    }

    private float[] panelBuffer(int floats) {
        float[][] h = panel.get();
        if (h[0].length < floats + MR * NR) h[0] = new float[floats + MR * NR];
        return h[0];
    }

    private int[] tableBuffer(int ints) {
        int[] t = tables.get();
        if (t.length < ints) {
            t = new int[ints];
            tables.set(t);
        }
        return t;
    }

    /**
     * x padded and phase-split ({@link #padAndSplit}), in a buffer kept between calls (also
     * {@link DirectConv3d}'s), with LANES floats of slack at the end: a vector load of the
     * direct convolution's last segment may read past its row.
     */
    float[] phased(float[] x, Conv3dGeometry g, boolean channelsLast) {
        long need = (long) g.n() * g.cin() * paddedD(g) * paddedH(g) * g.sW() * phaseLength(g) + LANES;
        if (phased.length < need) phased = new float[(int) need];
        padAndSplit(x, g, phased, channelsLast);
        return phased;
    }

    /** y = conv3d(x, w) (no bias): y[n][co, v] = sum_k w[co, k] col_n[k, v]. */
    synchronized void forward(float[] x, float[] w, float[] y, Conv3dGeometry g) {
        int kk = g.cin() * g.kD() * g.kH() * g.kW(), cout = g.cout();
        int p = g.outD() * g.outH() * g.outW();
        int coutPad = (cout + MR - 1) / MR * MR;
        if (packedA.length < coutPad * kk) packedA = new float[coutPad * kk];
        float[] pa = packedA;
        // W [cout, K] into 6-row panels, KC block p0 at pa[p0 * coutPad]
        for (int p0 = 0; p0 < kk; p0 += KC) Packing.packA(w, 0, kk, false, 0, cout, p0, Math.min(KC, kk - p0), pa, p0 * coutPad);
        float[] xs = phased(x, g, true);
        int panels = (p + NR - 1) / NR;
        parallel.forRange(g.n() * panels, 1, (s, e) -> {
            float[] bp = panelBuffer(kk * NR);
            int[] tab = tableBuffer(g.kW());
            for (int item = s; item < e; item++) {
                int n = item / panels, v0 = (item % panels) * NR, cols = Math.min(NR, p - v0);
                gatherVoxelPanel(xs, n, v0, cols, g, bp, tab);
                int yOff = n * cout * p + v0;
                for (int p0 = 0; p0 < kk; p0 += KC) {
                    int kc = Math.min(KC, kk - p0);
                    for (int r0 = 0; r0 < cout; r0 += MR) {
                        MicroKernel6x16.tile(pa, p0 * coutPad + r0 * kc, bp, p0 * NR, kc, y, yOff + r0 * p, p,
                                Math.min(MR, cout - r0), cols, p0 > 0, bp, kk * NR);
                    }
                }
            }
        });
    }

    /** Padded extents along d and h: every index od*s + k (k < kernel) of the padded input exists. */
    static int paddedD(Conv3dGeometry g) {
        return Math.max(g.inD() + g.pD(), (g.outD() - 1) * g.sD() + g.kD());
    }

    static int paddedH(Conv3dGeometry g) {
        return Math.max(g.inH() + g.pH(), (g.outH() - 1) * g.sH() + g.kH());
    }

    /** Entries of one phase of a padded row: ceil(Wp / sW), Wp the padded width. */
    static int phaseLength(Conv3dGeometry g) {
        int wp = Math.max(g.inW() + g.pW(), (g.outW() - 1) * g.sW() + g.kW());
        return (wp + g.sW() - 1) / g.sW();
    }

    /**
     * xp = x zero-padded (pD, pH, pW in front, enough behind for every tap) with each padded row
     * split by the phase of w modulo the stride sW; channels last (the forward gather, which walks
     * all channels of a few rows) or first, xp[(((n*cin + ci)*Dp + d)*Hp + h)*L + ...] (the dW
     * gathers, which walk the taps of one or two channels). Channels last:
     * xp[(((n*Dp + d)*Hp + h)*cin + ci)*L + (w % sW)*M + w / sW] = x[n, ci, d - pD, h - pH, w - pW] (0 outside),
     * M = {@link #phaseLength}, L = sW*M (the rows of all channels side by side, so a gather over
     * the channels streams through memory). Tap (kd, kh, kw) of channel ci at output voxel
     * (od, oh, ow) is xp[(((n*Dp + od*sD + kd)*Hp + oh*sH + kh)*cin + ci)*L + (kw % sW)*M + kw / sW + ow]:
     * contiguous in ow, no bounds checks.
     */
    void padAndSplit(float[] x, Conv3dGeometry g, float[] xp, boolean channelsLast) {
        int inW = g.inW(), inH = g.inH(), inD = g.inD(), sw = g.sW(), m = phaseLength(g), len = sw * m;
        int dp = paddedD(g), hp = paddedH(g);
        // phase ph of a padded row (w = i*sW + ph) reads x at iw = i*sW + ph - pW: inside for i in [lo, hi)
        // (the same for every row: computed once, the divisions cost half the copy's time otherwise)
        int[] lo = new int[sw], hi = new int[sw];
        for (int ph = 0; ph < sw; ph++) {
            int off = ph - g.pW();
            lo[ph] = Math.min(m, Im2colConv3d.firstInside(-off, sw));
            hi[ph] = Math.max(lo[ph], Math.min(m, Im2colConv3d.firstInside(inW - off, sw)));
        }
        // stride 2, padding 1, rows of whole vector pairs, one zero behind (k3 s2 p1 and k4 s2 p1 on
        // even widths): each plane's data in one loop over its vector pairs, both phases from each
        // pair, and the rows' two zeros stored alone (per row and phase, the general code's short
        // loops cost more than their copying: [2,32,32^3] split in 1.7-1.8 -> 1.0-1.1 ms channels
        // last, 1.1-1.8 -> 0.7 ms channels first, one thread; conv stack 1.6-3% faster)
        boolean pairs = sw == 2 && g.pW() == 1 && inW % (2 * LANES) == 0 && m == inW / 2 + 1;
        if (pairs && channelsLast) {
            splitPairsChannelsLast(x, g, xp);
            return;
        }
        parallel.forRange(g.n() * g.cin() * dp, (s, e) -> {
            for (int r = s; r < e; r++) {
                // r = (n, ci, padded d), or (n, padded d, ci) for channels last: a thread writes whole
                // runs of memory (neighbouring channels on two threads share cache lines: 2x slower)
                int n, ci, d;
                if (channelsLast) {
                    n = r / (dp * g.cin());
                    d = (r / g.cin()) % dp - g.pD();
                    ci = r % g.cin();
                } else {
                    n = r / (g.cin() * dp);
                    ci = (r / dp) % g.cin();
                    d = r % dp - g.pD();
                }
                int nc = n * g.cin() + ci;
                for (int h = 0; h < hp; h++) {
                    int dst = channelsLast ? (((n * dp + d + g.pD()) * hp + h) * g.cin() + ci) * len : ((nc * dp + d + g.pD()) * hp + h) * len;
                    int ih = h - g.pH();
                    if (d < 0 || d >= inD || ih < 0 || ih >= inH) {
                        java.util.Arrays.fill(xp, dst, dst + len, 0f);
                        continue;
                    }
                    if (pairs) { // phase 0 = (0, x[1], x[3], ..), phase 1 = (x[0], x[2], .., 0): the zeros here, the data below
                        xp[dst] = 0f;
                        xp[dst + m + inW / 2] = 0f;
                        continue;
                    }
                    int src = ((nc * inD + d) * inH + ih) * inW;
                    for (int ph = 0; ph < sw; ph++) {
                        int o = dst + ph * m, off = ph - g.pW(), a = lo[ph], b = hi[ph];
                        for (int i = 0; i < a; i++) xp[o + i] = 0f;
                        int i = a;
                        if (sw == 1) {
                            System.arraycopy(x, src + a + off, xp, o + a, b - a);
                            i = b;
                        } else if (sw == 2) {
                            // every second float of two vectors: x[s + 2j], j < LANES (a scalar loop: ~3x slower)
                            for (int s2 = src + 2 * a + off; i + LANES <= b && s2 + 2 * LANES <= x.length; i += LANES, s2 += 2 * LANES) {
                                FloatVector first = FloatVector.fromArray(S, x, s2).rearrange(EVEN_LANES);
                                FloatVector second = FloatVector.fromArray(S, x, s2 + LANES).rearrange(EVEN_LANES);
                                first.blend(second, UPPER_HALF).intoArray(xp, o + i);
                            }
                        }
                        for (; i < b; i++) xp[o + i] = x[src + i * sw + off];
                        for (i = b; i < m; i++) xp[o + i] = 0f;
                    }
                }
                if (pairs && d >= 0 && d < inD) { // channels first here (channels last: splitPairsChannelsLast)
                    int firstRow = ((nc * dp + d + g.pD()) * hp + g.pH()) * len;
                    splitPairs(x, (nc * inD + d) * inH * inW, inH * inW / (2 * LANES), inW / (2 * LANES), xp, firstRow, len, m);
                }
            }
        });
    }

    /**
     * {@link #padAndSplit} channels last, stride 2, padding 1, rows of whole vector pairs: each work
     * item one padded plane (n, d) of xp, written in order, row h of every channel in turn (a
     * contiguous run of cin*L floats per h), read from cin planes of x. Written channel by channel
     * instead (rows cin*L apart, the others' rows filled in later), the split of [2,32,32^3] took
     * 0.55 ms with x in the caches and 1.05 ms without; this way 0.35 and 0.68 ms (2 threads).
     */
    private void splitPairsChannelsLast(float[] x, Conv3dGeometry g, float[] xp) {
        int inW = g.inW(), inH = g.inH(), inD = g.inD(), m = phaseLength(g), len = 2 * m, cin = g.cin();
        int dp = paddedD(g), hp = paddedH(g), pairsPerRow = inW / (2 * LANES);
        parallel.forRange(g.n() * dp, (s, e) -> {
            for (int r = s; r < e; r++) {
                int n = r / dp, d = r % dp - g.pD();
                for (int h = 0, dst = r * hp * cin * len; h < hp; h++) {
                    int ih = h - g.pH();
                    if (d < 0 || d >= inD || ih < 0 || ih >= inH) {
                        java.util.Arrays.fill(xp, dst, dst + cin * len, 0f);
                        dst += cin * len;
                        continue;
                    }
                    for (int ci = 0; ci < cin; ci++, dst += len) { // phase 0 = (0, x[1], x[3], ..), phase 1 = (x[0], x[2], .., 0)
                        xp[dst] = 0f;
                        xp[dst + m + inW / 2] = 0f;
                        splitPairs(x, (((n * cin + ci) * inD + d) * inH + ih) * inW, pairsPerRow, pairsPerRow, xp, dst, len, m);
                    }
                }
            }
        });
    }

    /**
     * The data of one plane split by pairs of vectors (stride 2, padding 1): row h's pair q, x[s +
     * 2j] and x[s + 2j + 1] for j < LANES, goes to phase 1 at o + M + q*LANES + j and phase 0 at
     * o + 1 + q*LANES + j, o the row's start (rows rowStride apart).
     */
    private static void splitPairs(float[] x, int s, int pairCount, int perRow, float[] xp, int o, int rowStride, int m) {
        for (int k = 0, q = 0; k < pairCount; k++) {
            FloatVector a = FloatVector.fromArray(S, x, s), b = FloatVector.fromArray(S, x, s + LANES);
            a.rearrange(ODD_LANES).blend(b.rearrange(ODD_LANES), UPPER_HALF).intoArray(xp, o + 1 + q * LANES);
            a.rearrange(EVEN_LANES).blend(b.rearrange(EVEN_LANES), UPPER_HALF).intoArray(xp, o + m + q * LANES);
            s += 2 * LANES;
            if (++q == perRow) {
                q = 0;
                o += rowStride;
            }
        }
    }

    /**
     * bp[k*NR + j] = col_n[k, v0 + j] for k < K, j < cols (0 for j >= cols): the input voxel
     * read by tap k for output voxel v0 + j (0 in the padding), from the padded split xp.
     */
    static void gatherVoxelPanel(float[] xp, int n, int v0, int cols, Conv3dGeometry g, float[] bp, int[] tab) {
        int kk = g.cin() * g.kD() * g.kH() * g.kW();
        int oh = g.outH(), ow = g.outW(), sw = g.sW(), m = phaseLength(g), len = sw * m;
        int dp = paddedD(g), hp = paddedH(g);
        if (cols < NR) {
            for (int k = 0; k < kk; k++) java.util.Arrays.fill(bp, k * NR + cols, k * NR + NR, 0f);
        }
        for (int kw = 0; kw < g.kW(); kw++) tab[kw] = (kw % sw) * m + kw / sw;
        // the panel's voxels are runs of one output row (od, oh): j in [j0, j1), ow = q0 + j - j0
        for (int j0 = 0; j0 < cols; ) {
            int v = v0 + j0, q0 = v % ow, h = (v / ow) % oh, d = v / (ow * oh);
            int j1 = Math.min(cols, j0 + ow - q0), q1 = q0 + j1 - j0;
            for (int kd = 0; kd < g.kD(); kd++) {
                for (int kh = 0; kh < g.kH(); kh++) {
                    int xr0 = ((n * dp + d * g.sD() + kd) * hp + h * g.sH() + kh) * g.cin() * len;
                    for (int ci = 0; ci < g.cin(); ci++) {
                        int xr = xr0 + ci * len;
                        int o = ((ci * g.kD() + kd) * g.kH() + kh) * g.kW() * NR + j0 - q0;
                        for (int kw = 0; kw < g.kW(); kw++, o += NR) {
                            int base = xr + tab[kw], q = q0;
                            for (; q + LANES <= q1; q += LANES) {
                                FloatVector.fromArray(S, xp, base + q).intoArray(bp, o + q);
                            }
                            if (q < q1 && j0 + q - q0 + LANES <= cols && base + q + LANES <= xp.length) {
                                // a short run (e.g. 8 voxels of a 16-lane vector): one whole vector,
                                // its extra lanes land on later runs of this panel row, written after
                                FloatVector.fromArray(S, xp, base + q).intoArray(bp, o + q);
                                q = q1;
                            }
                            for (; q < q1; q++) bp[o + q] = xp[base + q];
                        }
                    }
                }
            }
            j0 = j1;
        }
    }

    /**
     * bp[(v - va)*NR + j] = col_n[k0 + j, v] for v in [va, vb), j < rows (0 for j >= rows):
     * NR rows of col, transposed, for a range of output voxels, from the padded split xp.
     */
    static void gatherRowPanel(float[] xp, int n, int k0, int rows, int va, int vb, Conv3dGeometry g, float[] bp, int[] tab) {
        int oh = g.outH(), ow = g.outW(), sw = g.sW(), m = phaseLength(g), len = sw * m;
        int dp = paddedD(g), hp = paddedH(g);
        int khw = g.kH() * g.kW(), kvol = g.kD() * khw;
        for (int j = rows; j < NR; j++) {
            for (int v = va; v < vb; v++) bp[(v - va) * NR + j] = 0f;
        }
        // per row j = tap (ci, kd, kh, kw): (n*cin + ci)*Dp + kd, kh, phase offset (channels-first xp)
        for (int j = 0; j < rows; j++) {
            int k = k0 + j, ci = k / kvol, t = k % kvol, kw = t % g.kW();
            tab[3 * j] = (n * g.cin() + ci) * dp + t / khw;
            tab[3 * j + 1] = (t / g.kW()) % g.kH();
            tab[3 * j + 2] = (kw % sw) * m + kw / sw;
        }
        for (int v = va; v < vb; ) { // runs of one output row (od, oh)
            int q0 = v % ow, h = (v / ow) % oh, d = v / (ow * oh);
            int q1 = Math.min(ow, q0 + vb - v);
            int dd = d * g.sD(), hh = h * g.sH();
            for (int j = 0; j < rows; j++) {
                int base = ((tab[3 * j] + dd) * hp + hh + tab[3 * j + 1]) * len + tab[3 * j + 2];
                for (int q = q0, o = (v - va) * NR + j; q < q1; q++, o += NR) bp[o] = xp[base + q];
            }
            v += q1 - q0;
        }
    }

    /** Voxel ranges of the dW sum (a fixed function of the geometry): ranges of whole KC blocks. */
    static int voxelRanges(Conv3dGeometry g) {
        int kk = g.cin() * g.kD() * g.kH() * g.kW();
        int p = g.outD() * g.outH() * g.outW();
        int kPanels = (kk + NR - 1) / NR, blocks = (p + KC - 1) / KC;
        // enough items, and ranges of about two KC blocks: the packed dy of one range (for all
        // samples) then stays in L2 while the row panels of that range are worked through
        return Math.max(1, Math.min(blocks, Math.max((DW_ITEMS + kPanels - 1) / kPanels, blocks / 2)));
    }

    /** dw[co, k] = sum_n sum_v dy[n][co, v] col_n[k, v] (overwritten). */
    synchronized void backwardWeight(float[] x, float[] dy, float[] dw, Conv3dGeometry g) {
        int kk = g.cin() * g.kD() * g.kH() * g.kW(), cout = g.cout(), nb = g.n();
        int p = g.outD() * g.outH() * g.outW();
        int coutPad = (cout + MR - 1) / MR * MR;
        int blocks = (p + KC - 1) / KC, kPanels = (kk + NR - 1) / NR;
        int ranges = voxelRanges(g), blocksPerRange = (blocks + ranges - 1) / ranges;
        int nRanges = (blocks + blocksPerRange - 1) / blocksPerRange;
        int perSample = coutPad * p;
        if (packedA.length < nb * perSample) packedA = new float[nb * perSample];
        float[] pa = packedA;
        // dy[n] [cout, P] into 6-row panels, KC block p0 of sample n at pa[n*perSample + p0*coutPad]
        parallel.forRange(nb * blocks, (s, e) -> {
            for (int t = s; t < e; t++) {
                int n = t / blocks, p0 = (t % blocks) * KC;
                Packing.packA(dy, n * cout * p, p, false, 0, cout, p0, Math.min(KC, p - p0), pa, n * perSample + p0 * coutPad);
            }
        });
        if (nRanges > 1 && partial.length < nRanges * cout * kk) partial = new float[nRanges * cout * kk];
        float[] out = nRanges > 1 ? partial : dw;
        float[] xs = phased(x, g, false);
        parallel.forRange(kPanels * nRanges, 1, (s, e) -> {
            float[] bp = panelBuffer(KC * NR);
            int[] tab = tableBuffer(3 * NR);
            for (int item = s; item < e; item++) {
                int range = item / kPanels, kp = item % kPanels; // consecutive items share a voxel range
                int k0 = kp * NR, rows = Math.min(NR, kk - k0);
                int cOff = range * cout * kk * (nRanges > 1 ? 1 : 0) + k0;
                boolean acc = false;
                int bEnd = Math.min(blocks, (range + 1) * blocksPerRange);
                for (int n = 0; n < nb; n++) {
                    for (int b = range * blocksPerRange; b < bEnd; b++) {
                        int va = b * KC, kc = Math.min(KC, p - va);
                        gatherRowPanel(xs, n, k0, rows, va, va + kc, g, bp, tab);
                        for (int r0 = 0; r0 < cout; r0 += MR) {
                            MicroKernel6x16.tile(pa, n * perSample + va * coutPad + r0 * kc, bp, 0, kc,
                                    out, cOff + r0 * kk, kk, Math.min(MR, cout - r0), rows, acc, bp, KC * NR);
                        }
                        acc = true;
                    }
                }
            }
        });
        if (nRanges > 1) { // dw = partial[0] + partial[1] + ... in range order
            int size = cout * kk;
            parallel.forRange(size, (s, e) -> {
                for (int i = s; i < e; i++) {
                    float sum = partial[i];
                    for (int r = 1; r < nRanges; r++) sum += partial[r * size + i];
                    dw[i] = sum;
                }
            });
        }
    }

    /** Largest per-thread dcol plane (K x outH*outW floats) for {@link #backwardInput}. */
    static final int DCOL_PLANE_LIMIT = 1 << 21;

    /** Whether {@link #backwardInput} takes this geometry (else the caller uses im2col + col2im). */
    static boolean takesBackwardInput(Conv3dGeometry g) {
        return (long) g.cin() * g.kD() * g.kH() * g.kW() * g.outH() * g.outW() <= DCOL_PLANE_LIMIT;
    }

    /**
     * dx (overwritten) = col2im(W^T dy), one output plane od at a time:
     * dcol[K, plane] = W^T[K, cout] . dy[n][cout, plane od] (6 x NR tiles, in a per-thread
     * buffer), then added into dx[n] where im2col took it from (input planes
     * od*sD - pD .. + kD). Planes od in the same group (od mod G, G = ceil(kD / sD)) touch
     * disjoint input planes, so each group runs in parallel and the groups in order: every dx
     * element receives its terms in a fixed order whatever the thread count.
     */
    synchronized void backwardInput(float[] dy, float[] w, float[] dx, Conv3dGeometry g) {
        int kk = g.cin() * g.kD() * g.kH() * g.kW(), cout = g.cout(), nb = g.n();
        int plane = g.outH() * g.outW(), p = g.outD() * plane;
        int kPad = (kk + MR - 1) / MR * MR;
        if (packedA.length < kPad * cout) packedA = new float[kPad * cout];
        float[] pa = packedA;
        // W^T [K, cout] into 6-row panels, KC block c0 (of cout) at pa[c0 * kPad]
        for (int c0 = 0; c0 < cout; c0 += KC) Packing.packA(w, 0, kk, true, 0, kk, c0, Math.min(KC, cout - c0), pa, c0 * kPad);
        parallel.forRange(g.inputSize(), (s, e) -> java.util.Arrays.fill(dx, s, e, 0f));
        int groups = (g.kD() + g.sD() - 1) / g.sD();
        for (int grp = 0; grp < groups; grp++) {
            int first = grp, perSample = (g.outD() - grp + groups - 1) / groups;
            if (perSample <= 0) continue;
            parallel.forRange(nb * perSample, 1, (s, e) -> {
                float[] bp = panelBuffer(kk * plane + cout * NR);
                for (int item = s; item < e; item++) {
                    int n = item / perSample, od = first + (item % perSample) * groups;
                    int dyOff = n * cout * p + od * plane, dcolOff = cout * NR;
                    for (int v0 = 0; v0 < plane; v0 += NR) {
                        int cols = Math.min(NR, plane - v0);
                        for (int co = 0; co < cout; co++) { // B panel: dy[n][co, od plane, v0 .. v0+cols)
                            int src = dyOff + co * p + v0, dst = co * NR;
                            for (int j = 0; j < cols; j++) bp[dst + j] = dy[src + j];
                            for (int j = cols; j < NR; j++) bp[dst + j] = 0f;
                        }
                        for (int c0 = 0; c0 < cout; c0 += KC) {
                            int kc = Math.min(KC, cout - c0);
                            for (int r0 = 0; r0 < kk; r0 += MR) {
                                MicroKernel6x16.tile(pa, c0 * kPad + r0 * kc, bp, c0 * NR, kc, bp, dcolOff + r0 * plane + v0, plane,
                                        Math.min(MR, kk - r0), cols, c0 > 0, bp, kk * plane + cout * NR);
                            }
                        }
                    }
                    col2imPlane(bp, dcolOff, n, od, g, dx);
                }
            });
        }
    }

    /** dx[n, ci, ...] += dcol[(ci, kd, kh, kw), (oh, ow)] of output plane od, where im2col read it from. */
    static void col2imPlane(float[] c, int cOff, int n, int od, Conv3dGeometry g, float[] dx) {
        int oh = g.outH(), ow = g.outW(), plane = oh * ow, sw = g.sW();
        int inHW = g.inH() * g.inW(), inDHW = g.inD() * inHW;
        // output columns [lo, hi) of tap kw land inside the input row (the same for every row)
        int[] lo = new int[g.kW()], hi = new int[g.kW()];
        for (int kw = 0; kw < g.kW(); kw++) {
            lo[kw] = Im2colConv3d.firstColumnInside(g, kw);
            hi[kw] = Im2colConv3d.endColumnInside(g, kw);
        }
        // k3 s2 p1 along w with inW = 2 outW (the usual down-sampling): the three taps of a row at once
        boolean triples = sw == 2 && g.kW() == 3 && g.pW() == 1 && g.inW() == 2 * ow && ow % (LANES / 2) == 0 && oh >= 2;
        int o = cOff;
        for (int ci = 0; ci < g.cin(); ci++) {
            int xc = (n * g.cin() + ci) * inDHW;
            for (int kd = 0; kd < g.kD(); kd++) {
                int id = od * g.sD() - g.pD() + kd;
                for (int kh = 0; kh < g.kH(); kh++) {
                    if (triples) {
                        if (id >= 0 && id < g.inD()) col2imTriple(c, o, plane, xc + id * inHW, kh, g, dx);
                        o += 3 * plane;
                        continue;
                    }
                    for (int kw = 0; kw < g.kW(); kw++, o += plane) {
                        if (id < 0 || id >= g.inD()) continue;
                        int wLo = lo[kw], wHi = hi[kw];
                        for (int h = 0; h < oh; h++) {
                            int ih = h * g.sH() - g.pH() + kh;
                            if (ih < 0 || ih >= g.inH()) continue;
                            int rowStart = xc + id * inHW + ih * g.inW(), xr = rowStart - g.pW() + kw, cr = o + h * ow;
                            int q = wLo;
                            if (sw == 2) {
                                // LANES/2 columns at a time, spread to the even lanes of one vector of the row
                                // (its odd lanes are stored back unchanged; the vector stays inside the row,
                                // which only this work item touches)
                                for (; q + LANES / 2 <= wHi && xr + 2 * q + LANES <= rowStart + g.inW(); q += LANES / 2) {
                                    FloatVector spread = FloatVector.fromArray(S, c, cr + q).rearrange(SPREAD_TO_EVEN);
                                    int xo = xr + 2 * q;
                                    FloatVector row = FloatVector.fromArray(S, dx, xo);
                                    row.blend(row.add(spread), EVEN).intoArray(dx, xo);
                                }
                            }
                            for (; q < wHi; q++) dx[xr + q * sw] += c[cr + q];
                        }
                    }
                }
            }
        }
    }

    /**
     * The taps kw = 0, 1, 2 of one (ci, kd, kh) at once, for k3 s2 p1 along w and inW = 2 outW:
     * dx[2q] += c1[q]; dx[2q+1] += c0[q+1], then += c2[q] (c_kw = the tap's dcol rows from
     * c[o + kw*plane], row h at h*outW). A vector of the dx row is read and written once instead of
     * three times, and each element gets its terms in the order of the tap-by-tap loop (even lanes
     * add 0 in the second step: dx is never -0, it starts at +0). c0[q+1] comes as one vector from
     * c0 + 1, whose last lane, c0[h][outW], is c0[h+1][0] (input column -1: unused, set to 0 here)
     * or, in the last row, c1[0][0] (set to 0 after row 0 has read it).
     */
    private static void col2imTriple(float[] c, int o, int plane, int xPlane, int kh, Conv3dGeometry g, float[] dx) {
        int oh = g.outH(), ow = g.outW(), inW = g.inW(), step = g.sH() * inW;
        for (int h = 1; h < oh; h++) c[o + h * ow] = 0f;
        // rows h in [hA, hB) read input row ih = h*sH - pH + kh inside the input; the rows before
        // the last in one loop, the last after c1[0][0] (the last lane of its c0 vector) is zeroed.
        // (With the vector loop nested in a loop over the rows here, C2 left it to the Vector API's
        // Java fallback in 4 of 12 JVMs of a microbenchmark, 2.4x slower and 724 KB allocated per
        // 32 planes; one flat loop in its own method: 0 of 8, and 8-15% faster than the good case.)
        int hA = Math.min(oh, Im2colConv3d.firstInside(g.pH() - kh, g.sH()));
        int hB = Math.min(oh, Im2colConv3d.firstInside(g.inH() + g.pH() - kh, g.sH()));
        int rows = Math.min(hB, oh - 1) - hA;
        if (rows > 0) triples(c, o + hA * ow, plane, xPlane + (hA * g.sH() - g.pH() + kh) * inW, rows * ow, ow, step, dx);
        c[o + plane] = 0f;
        if (hB == oh && hA <= oh - 1) triples(c, o + (oh - 1) * ow, plane, xPlane + ((oh - 1) * g.sH() - g.pH() + kh) * inW, ow, ow, step, dx);
    }

    /**
     * col2imTriple's sums for `count` columns of dcol rows starting at c[o] (rows of ow columns, one
     * after another), into dx rows starting at dx[xr], `step` apart: the columns q of a row go to
     * dx[2q] (tap 1) and dx[2q + 1] (taps 0 and 2), LANES/2 columns per vector.
     */
    private static void triples(float[] c, int o, int plane, int xr, int count, int ow, int step, float[] dx) {
        FloatVector zero = FloatVector.zero(S);
        int half = LANES / 2;
        for (int k = 0, q = 0, c0 = o + 1, c1 = o + plane, c2 = c1 + plane, xo = xr; k < count; k += half) {
            // SPREAD_TO_EVEN puts value j in lanes 2j and 2j+1
            FloatVector first = FloatVector.fromArray(S, c, c0).rearrange(SPREAD_TO_EVEN)
                    .blend(FloatVector.fromArray(S, c, c1).rearrange(SPREAD_TO_EVEN), EVEN);
            FloatVector second = FloatVector.fromArray(S, c, c2).rearrange(SPREAD_TO_EVEN).blend(zero, EVEN);
            FloatVector.fromArray(S, dx, xo).add(first).add(second).intoArray(dx, xo);
            c0 += half;
            c1 += half;
            c2 += half;
            xo += LANES;
            q += half;
            if (q == ow) { // the next row of dx (a row of dx is 2*ow long)
                q = 0;
                xo += step - 2 * ow;
            }
        }
    }

    /** Voxels per block of the dot-product weight gradient (a multiple of the vector length). */
    static final int DOT_BLOCK = 512;
    /** The gathered rows as DirectConv3d.dotTile's operand: row j at j*DOT_BLOCK, vector c of a row at c*LANES. */
    private static final int[] CB_ROWS = java.util.stream.IntStream.range(0, NR).map(j -> j * DOT_BLOCK).toArray();
    private static final int[] CB_VECTORS = java.util.stream.IntStream.range(0, DOT_BLOCK / LANES).map(c -> c * LANES).toArray();
    private float[] dyPadded = new float[0];

    /**
     * dw[co, k] = sum_n sum_v dy[n][co, v] col_n[k, v] (overwritten), as dot products along v:
     * col rows gathered voxel-contiguous (DOT_BLOCK voxels of NR rows at a time), 4 x 4 blocks
     * of (co, k) accumulated in 16 vector registers, each block's vectors added lane by lane to
     * the item's partial sums, whose lanes are summed once at the item's end (a fixed tree).
     * Work items and voxel ranges as in {@link #backwardWeight}.
     */
    synchronized void backwardWeightDot(float[] x, float[] dy, float[] dw, Conv3dGeometry g) {
        int kk = g.cin() * g.kD() * g.kH() * g.kW(), cout = g.cout(), nb = g.n();
        int p = g.outD() * g.outH() * g.outW();
        int co4 = (cout + 3) / 4 * 4, vPad = (p + LANES - 1) / LANES * LANES;
        int blocks = (p + DOT_BLOCK - 1) / DOT_BLOCK, kPanels = (kk + NR - 1) / NR;
        int ranges = Math.max(1, Math.min(blocks, (DW_ITEMS + kPanels - 1) / kPanels));
        int blocksPerRange = (blocks + ranges - 1) / ranges, nRanges = (blocks + blocksPerRange - 1) / blocksPerRange;
        // dy as it is when it needs no padding (cout a multiple of 4, P of the vector length),
        // else a copy padded with zeros (the conv stack's first layer: 8 MiB not copied, 2.2-2.4 -> 1.7 ms)
        boolean padded = co4 != cout || vPad != p;
        if (padded && dyPadded.length < nb * co4 * vPad) dyPadded = new float[nb * co4 * vPad];
        float[] dyp = padded ? dyPadded : dy;
        if (padded) {
            parallel.forRange(nb * co4, (s, e) -> {
                for (int r = s; r < e; r++) { // dyp[n][co][v], zero past P and past cout
                    int n = r / co4, co = r % co4;
                    if (co < cout) System.arraycopy(dy, (n * cout + co) * p, dyp, r * vPad, p);
                    java.util.Arrays.fill(dyp, r * vPad + (co < cout ? p : 0), (r + 1) * vPad, 0f);
                }
            });
        }
        if (nRanges > 1 && partial.length < nRanges * cout * kk) partial = new float[nRanges * cout * kk];
        float[] out = nRanges > 1 ? partial : dw;
        float[] xs = phased(x, g, false);
        parallel.forRange(kPanels * nRanges, 1, (s, e) -> {
            // the gathered rows, then per (co, row j) LANES partial sums, in the thread's buffer
            int partOff = NR * DOT_BLOCK, partSize = co4 * NR * LANES, tileOff = partOff + partSize; // then 16 vectors of dotTile's scratch
            float[] cb = panelBuffer(tileOff + 16 * LANES);
            int[] tab = tableBuffer(3 * NR);
            for (int item = s; item < e; item++) {
                int kp = item / nRanges, range = item % nRanges;
                int k0 = kp * NR, rows = Math.min(NR, kk - k0), rows4 = (rows + 3) / 4 * 4;
                int cOff = (nRanges > 1 ? range * cout * kk : 0) + k0;
                java.util.Arrays.fill(cb, partOff, partOff + partSize, 0f);
                int bEnd = Math.min(blocks, (range + 1) * blocksPerRange);
                for (int n = 0; n < nb; n++) {
                    for (int b = range * blocksPerRange; b < bEnd; b++) {
                        int va = b * DOT_BLOCK, len = Math.min(DOT_BLOCK, p - va), lenPad = (len + LANES - 1) / LANES * LANES;
                        gatherRows(xs, n, k0, rows, va, va + len, g, cb, tab);
                        for (int j = 0; j < rows4; j++) {
                            java.util.Arrays.fill(cb, j * DOT_BLOCK + (j < rows ? len : 0), j * DOT_BLOCK + lenPad, 0f);
                        }
                        for (int c0 = 0; c0 < co4; c0 += 4) {
                            int d0 = (n * co4 + c0) * vPad + va;
                            for (int j0 = 0; j0 < rows4; j0 += 4) {
                                DirectConv3d.dotTile(dyp, d0, d0 + vPad, d0 + 2 * vPad, d0 + 3 * vPad, cb, 0, CB_VECTORS, CB_ROWS, j0,
                                        0, lenPad / LANES, cb, partOff + (c0 * NR + j0) * LANES, NR * LANES, cb, tileOff);
                            }
                        }
                    }
                }
                for (int co = 0; co < cout; co++) { // each (co, j): its lanes added in a fixed tree
                    for (int j = 0; j < rows; j++) out[cOff + co * kk + j] = VectorSupport.laneTotal(cb, partOff + (co * NR + j) * LANES, LANES);
                }
            }
        });
        if (nRanges > 1) { // dw = partial[0] + partial[1] + ... in range order
            int size = cout * kk;
            parallel.forRange(size, (s, e) -> {
                for (int i = s; i < e; i++) {
                    float sum = partial[i];
                    for (int r = 1; r < nRanges; r++) sum += partial[r * size + i];
                    dw[i] = sum;
                }
            });
        }
    }

    /**
     * cb[j*DOT_BLOCK + (v - va)] = col_n[k0 + j, v] for j < rows, v in [va, vb): NR rows of col,
     * voxel-contiguous, from the padded split xp.
     */
    static void gatherRows(float[] xp, int n, int k0, int rows, int va, int vb, Conv3dGeometry g, float[] cb, int[] tab) {
        int oh = g.outH(), ow = g.outW(), sw = g.sW(), m = phaseLength(g), len = sw * m;
        int dp = paddedD(g), hp = paddedH(g);
        int khw = g.kH() * g.kW(), kvol = g.kD() * khw;
        for (int j = 0; j < rows; j++) { // as in gatherRowPanel (channels-first xp)
            int k = k0 + j, ci = k / kvol, t = k % kvol, kw = t % g.kW();
            tab[3 * j] = (n * g.cin() + ci) * dp + t / khw;
            tab[3 * j + 1] = (t / g.kW()) % g.kH();
            tab[3 * j + 2] = (kw % sw) * m + kw / sw;
        }
        for (int v = va; v < vb; ) { // runs of one output row (od, oh)
            int q0 = v % ow, h = (v / ow) % oh, d = v / (ow * oh);
            int q1 = Math.min(ow, q0 + vb - v);
            int dd = d * g.sD(), hh = h * g.sH();
            for (int j = 0; j < rows; j++) {
                int base = ((tab[3 * j] + dd) * hp + hh + tab[3 * j + 1]) * len + tab[3 * j + 2];
                int o = j * DOT_BLOCK + v - va - q0, q = q0;
                for (; q + LANES <= q1; q += LANES) FloatVector.fromArray(S, xp, base + q).intoArray(cb, o + q);
                for (; q < q1; q++) cb[o + q] = xp[base + q];
            }
            v += q1 - q0;
        }
    }
}
