package org.maesil.tensor.fast;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.maesil.tensor.Conv3dGeometry;
import org.maesil.tensor.Parallel;

/**
 * Convolution forward read straight from the padded, phase-split input ("implicit GEMM"):
 * no unfolded matrix, no gathered panel. The register tile is the matmul's (6 output
 * channels x 2 vectors), but its two B vectors are loaded from the input itself:
 * <pre>
 *   y[n, co, od, oh, ow0 + j] = sum_k W[co, k] xp[row(n, od, oh) + tap(k) + ow0 + j]     j < LANES
 *   k = (kd, kh, ci, kw),  tap(k) = ((kd*Hp + kh)*cin + ci)*L + (kw % sW)*M + kw / sW
 *   row(n, od, oh) = ((n*Dp + od*sD)*Hp + oh*sH)*cin*L
 * </pre>
 * with xp the channels-last padded split of {@link PanelConv3d#padAndSplit}: there, the LANES
 * inputs that tap k reads for LANES neighbouring outputs of one row are neighbours too, so
 * each is one vector load. A "segment" is up to LANES outputs of one output row (n, od, oh);
 * a tile takes two segments (any two: rows need not be adjacent) and 6 channels.
 *
 * <p>Where it pays: output rows of at least one vector (outW >= LANES). Shorter rows waste
 * lanes and go through {@link PanelConv3d}'s gathered panels instead (measured with 16 lanes,
 * outW 8: 16 -> 32 channels k4 s2 1.9 ms direct vs 1.7 ms panels).
 *
 * <p>The weight gradient is read from the same split input, with the roles turned: a tile is
 * 6 taps x 2 vectors of output channels, summed over the voxels v, the 6 broadcasts read
 * from the input at each voxel and the 2 vectors from dy transposed to voxel-major:
 * <pre>
 *   dW^T[k, co0 + j] = sum_n sum_v xp[n][vox(v) + tap(k)] dyT[n][v, co0 + j]       (k in the weight's order)
 * </pre>
 * (there with xp split channels first, so that the taps of a work item's few channels read
 * compact blocks of memory). With few taps (K <= NR, a first layer) the weight gradient is a
 * sum of dot products along the voxels instead ({@link #backwardWeightDot}), dy and xp both
 * read as vectors where they lie.
 *
 * <p>With 32 vector registers (AVX-512, 16 lanes) both tiles come in a wide form too, with
 * 24 accumulators: 6 channels x 4 segments for the forward, 6 taps x 4 vectors of channels for
 * dW. Per multiply-add they load half as many operands; measured at 32 -> 64 channels, k3 s2,
 * [2,32,32^3], old and new in one JVM: forward 8-18% faster, dW 13-24%. With 16 registers (AVX2)
 * 24 accumulators would spill, so there the narrow tiles run.
 *
 * <p>The tiles here and {@link MicroKernel6x16#tile} are the same register tile with three ways
 * of reading its operands; they are written out on purpose.
 * The matmul's could take a tap table too (taps k*NR), but that costs it an extra load per
 * step; and the accumulators cannot go through a shared helper, because a vector passed to or
 * returned from a method that C2 does not inline is boxed (VectorCodeRulesTest).
 *
 * <p>Determinism: every output element is summed by one tile over k in order (blocks of
 * {@link #KB} taps in order), and every dW element by one work item over (n, voxel block)
 * in order, whatever the thread split: 1 and N threads give identical bits.
 */
final class DirectConv3d {
    private static final VectorSpecies<Float> S = MicroKernel6x16.S;
    private static final int LANES = MicroKernel6x16.LANES;
    private static final int MR = MicroKernel6x16.MR;
    /**
     * Taps per block of the k sum: W's 6-row panel for a block is 6 x KB floats (24 KiB). Smaller
     * blocks (96, to keep a pair's inputs in L1 across the channel panels) measured 5% slower
     * at 32 -> 64 channels, 3^3 taps: the extra loads and stores of y cost more than they save.
     */
    static final int KB = 1024;

    private final Parallel parallel;
    private final PanelConv3d split;
    private float[] packedW = new float[0];
    private int[] taps = new int[0];
    /** Per thread: where edge tiles and tiles that add to their output are stored first (6 x 4 vectors). */
    private final ThreadLocal<float[]> scratch = ThreadLocal.withInitial(() -> new float[MR * 4 * LANES]);
    private float[] dyT = new float[0];
    private float[] dwT = new float[0];
    private int[] voxels = new int[0];
    /** Voxels per block of the dW sum: a block of dyT (VB x 2 vectors) stays in L1 for a group of tap panels. */
    static final int VB = 256;
    /** Work items wanted for dW (fixed, not the thread count). */
    static final int DW_ITEMS = 16;

    /** Whether the wide tiles run by default: where the vectors have 16 lanes (AVX-512, 32 registers). */
    static final boolean WIDE_BY_DEFAULT = LANES >= 16;

    /** Whether the wide tiles run. */
    private final boolean wide;

    DirectConv3d(Parallel parallel, PanelConv3d split) {
        this(parallel, split, WIDE_BY_DEFAULT);
    }

    /** With the wide tiles on or off (tests run both). */
    DirectConv3d(Parallel parallel, PanelConv3d split, boolean wide) {
        this.parallel = parallel;
        this.split = split;
        this.wide = wide;
    }

    /** Whether this geometry's output rows fill at least one vector. */
    static boolean takes(Conv3dGeometry g) {
        return g.outW() >= LANES;
    }

    /** y = conv3d(x, w) (no bias). */
    synchronized void forward(float[] x, float[] w, float[] y, Conv3dGeometry g) {
        int kk = g.cin() * g.kD() * g.kH() * g.kW(), cout = g.cout(), coutPad = (cout + MR - 1) / MR * MR;
        int ow = g.outW(), plane = g.outH() * ow, p = g.outD() * plane;
        // W [cout, K] with its columns in tap order k = (kd, kh, ci, kw), then into 6-row panels,
        // block k0 at pw[k0 * coutPad]
        if (packedW.length < (coutPad + cout) * kk) packedW = new float[(coutPad + cout) * kk];
        float[] pw = packedW;
        int wo = coutPad * kk; // the reordered W, after the panels
        for (int co = 0; co < cout; co++) { // (nested loops: the divisions of one flat tap loop cost 3.6% of layer 2's forward)
            for (int ci = 0, src = co * kk; ci < g.cin(); ci++) {
                for (int kd = 0; kd < g.kD(); kd++) {
                    for (int kh = 0; kh < g.kH(); kh++) {
                        int dst = wo + co * kk + ((kd * g.kH() + kh) * g.cin() + ci) * g.kW();
                        for (int kw = 0; kw < g.kW(); kw++) pw[dst + kw] = w[src++];
                    }
                }
            }
        }
        for (int k0 = 0; k0 < kk; k0 += KB) Packing.packA(pw, wo, kk, false, 0, cout, k0, Math.min(KB, kk - k0), pw, k0 * coutPad);

        int hp = PanelConv3d.paddedH(g), dp = PanelConv3d.paddedD(g);
        int m = PanelConv3d.phaseLength(g), len = g.sW() * m;
        float[] xp = split.phased(x, g, true); // with slack: the last segment's vector may read past its row

        if (taps.length < kk) taps = new int[kk];
        int[] tap = taps;
        for (int k = 0; k < kk; k++) { // k = (kd, kh, ci, kw): consecutive taps read neighbouring memory
            int kw = k % g.kW(), ci = (k / g.kW()) % g.cin(), kh = (k / (g.kW() * g.cin())) % g.kH(), kd = k / (g.kW() * g.cin() * g.kH());
            tap[k] = tapOffset(ci, kd, kh, kw, g, hp, m, len);
        }

        // a tile takes `per` segments (2, or 4 for the wide tile); a short last group repeats its
        // last segment with no columns to store
        int chunks = (ow + LANES - 1) / LANES, segments = g.n() * g.outD() * g.outH() * chunks;
        int per = wide ? 4 : 2, groups = (segments + per - 1) / per;
        parallel.forRange(groups, Math.max(1, groups / (8 * parallel.threads())), (s, e) -> {
            float[] sc = scratch.get();
            int[] xs = new int[per], ys = new int[per], cols = new int[per];
            for (int t = s; t < e; t++) {
                for (int u = 0; u < per; u++) {
                    int sg = Math.min(per * t + u, segments - 1), r = sg / chunks, c = (sg % chunks) * LANES;
                    xs[u] = inputRow(r, g, dp, hp, len) + c;
                    ys[u] = outputRow(r, g, cout, p, plane) + c;
                    cols[u] = per * t + u < segments ? Math.min(LANES, ow - c) : 0;
                }
                for (int k0 = 0; k0 < kk; k0 += KB) {
                    int kb = Math.min(KB, kk - k0);
                    for (int co = 0; co < cout; co += MR) {
                        int rows = Math.min(MR, cout - co);
                        if (wide) tileWide(pw, k0 * coutPad + co * kb, xp, tap, k0, kb, xs, y, ys, co * p, p, rows, cols, k0 > 0, sc);
                        else tile(pw, k0 * coutPad + co * kb, xp, tap, k0, kb, xs, y, ys, co * p, p, rows, cols, k0 > 0, sc);
                    }
                }
            }
        });
    }

    /** Offset of tap k = (ci, kd, kh, kw) (the weight's order) from an output voxel's row in xp. */
    private static int tapOffset(int ci, int kd, int kh, int kw, Conv3dGeometry g, int hp, int m, int len) {
        return ((kd * hp + kh) * g.cin() + ci) * len + (kw % g.sW()) * m + kw / g.sW();
    }

    /** dw[co, k] = sum_n sum_v dy[n][co, v] col_n[k, v] (overwritten). */
    synchronized void backwardWeight(float[] x, float[] dy, float[] dw, Conv3dGeometry g) {
        int kk = g.cin() * g.kD() * g.kH() * g.kW(), cout = g.cout(), nb = g.n();
        int ow = g.outW(), plane = g.outH() * ow, p = g.outD() * plane;
        // channels per tile: 4 vectors with the wide tile when that pads cout no further than 2 do
        int nr = 2 * LANES, coutP = (cout + nr - 1) / nr * nr, kkPad = (kk + MR - 1) / MR * MR;
        boolean wideW = wide && coutP % (2 * nr) == 0;
        int chunk = wideW ? 2 * nr : nr;
        int hp = PanelConv3d.paddedH(g), dp = PanelConv3d.paddedD(g);
        int m = PanelConv3d.phaseLength(g), len = g.sW() * m;
        // channels first: the taps of one channel (a work item's) read one compact block of memory
        float[] xp = split.phased(x, g, false);

        // dyT[n][v][co] (zero for co >= cout): the tile's two vectors are channels of one voxel
        if (dyT.length < nb * p * coutP) dyT = new float[nb * p * coutP];
        float[] dt = dyT;
        parallel.forRange(nb * p / 64 + 1, (s, e) -> {
            for (int b = s; b < e; b++) {
                // voxels i = n*P + v in [b*64, b*64 + 64), in runs of one sample; read along v (a loop
                // along co reads at a stride of P floats, which for P = 4096 hits one cache set: 3.5x slower)
                for (int i = b * 64, end = Math.min(nb * p, i + 64); i < end; ) {
                    int n = i / p, v0 = i % p, run = Math.min(end - i, p - v0);
                    for (int co = 0; co < cout; co++) {
                        for (int v = 0, src = (n * cout + co) * p + v0, o = i * coutP + co; v < run; v++, o += coutP) dt[o] = dy[src + v];
                    }
                    for (int v = 0; v < run; v++) java.util.Arrays.fill(dt, (i + v) * coutP + cout, (i + v + 1) * coutP, 0f);
                    i += run;
                }
            }
        });
        int[] tap = channelsFirstTaps(g, kkPad, dp, hp, m, len);
        if (voxels.length < p) voxels = new int[p];
        int[] vox = voxels;
        for (int v = 0; v < p; v++) { // voxel (od, oh, ow) of sample 0 at xp[(od*sD*Hp + oh*sH)*L + ow] + tap
            int oh = (v / ow) % g.outH(), od = v / plane;
            vox[v] = (od * g.sD() * hp + oh * g.sH()) * len + v % ow;
        }
        int sampleStride = g.cin() * dp * hp * len;

        if (dwT.length < kkPad * coutP) dwT = new float[kkPad * coutP];
        float[] wt = dwT;
        // work item = a group of tap panels (all channels); each runs through the samples and voxel
        // blocks in order, and per block through its panels and the channel chunks (x read once)
        int kPanels = kkPad / MR, groups = Math.min(kPanels, DW_ITEMS), perGroup = (kPanels + groups - 1) / groups;
        parallel.forRange((kPanels + perGroup - 1) / perGroup, 1, (s, e) -> {
            float[] sc = scratch.get();
            for (int item = s; item < e; item++) {
                int q0 = item * perGroup, q1 = Math.min(kPanels, q0 + perGroup);
                for (int n = 0; n < nb; n++) {
                    for (int v0 = 0; v0 < p; v0 += VB) {
                        int vn = Math.min(VB, p - v0);
                        for (int q = q0; q < q1; q++) {
                            for (int c0 = 0; c0 < coutP; c0 += chunk) {
                                int dOff = (n * p + v0) * coutP + c0, wOff = q * MR * coutP + c0;
                                boolean acc = n > 0 || v0 > 0;
                                if (wideW) tileWeightWide(xp, tap, q * MR, vox, v0, vn, n * sampleStride, dt, dOff, coutP, wt, wOff, acc, sc);
                                else tileWeight(xp, tap, q * MR, vox, v0, vn, n * sampleStride, dt, dOff, coutP, wt, wOff, acc, sc);
                            }
                        }
                    }
                }
            }
        });
        parallel.forRange(cout, (s, e) -> { // dw[co, k] = dW^T[k, co]
            for (int co = s; co < e; co++) {
                for (int k = 0; k < kk; k++) dw[co * kk + k] = wt[k * coutP + co];
            }
        });
    }

    /**
     * wt[wOff + r*ld + j] (+)= sum_{v < vn} xp[xOff + vox[v0 + v] + tap[k0 + r]] dt[dOff + v*ld + j]
     * for r < 6, j < 2 vectors (ld = the padded channel count, a multiple of 2 vectors).
     */
    static void tileWeight(float[] xp, int[] tap, int k0, int[] vox, int v0, int vn, int xOff,
                           float[] dt, int dOff, int ld, float[] wt, int wOff, boolean accumulate, float[] sc) {
        int t0 = xOff + tap[k0], t1 = xOff + tap[k0 + 1], t2 = xOff + tap[k0 + 2];
        int t3 = xOff + tap[k0 + 3], t4 = xOff + tap[k0 + 4], t5 = xOff + tap[k0 + 5];
        FloatVector zero = FloatVector.zero(S);
        FloatVector c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero;
        FloatVector c30 = zero, c31 = zero, c40 = zero, c41 = zero, c50 = zero, c51 = zero;
        for (int v = 0; v < vn; v++) {
            int o = vox[v0 + v], bo = dOff + v * ld;
            FloatVector b0 = FloatVector.fromArray(S, dt, bo);
            FloatVector b1 = FloatVector.fromArray(S, dt, bo + LANES);
            FloatVector a = FloatVector.broadcast(S, xp[t0 + o]);
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, xp[t1 + o]);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, xp[t2 + o]);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, xp[t3 + o]);
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(S, xp[t4 + o]);
            c40 = a.fma(b0, c40); c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(S, xp[t5 + o]);
            c50 = a.fma(b0, c50); c51 = a.fma(b1, c51);
        }
        // one block of stores (the form MicroKernel6x16.tile explains): into wt, or, when adding to
        // it, into sc, added by addRows (a second block of loads and adds here: fallbacks, see tile)
        float[] dst = accumulate ? sc : wt;
        int st = accumulate ? 2 * LANES : ld, o0 = accumulate ? 0 : wOff, o1 = o0 + st, o2 = o1 + st, o3 = o2 + st, o4 = o3 + st, o5 = o4 + st;
        c00.intoArray(dst, o0); c01.intoArray(dst, o0 + LANES);
        c10.intoArray(dst, o1); c11.intoArray(dst, o1 + LANES);
        c20.intoArray(dst, o2); c21.intoArray(dst, o2 + LANES);
        c30.intoArray(dst, o3); c31.intoArray(dst, o3 + LANES);
        c40.intoArray(dst, o4); c41.intoArray(dst, o4 + LANES);
        c50.intoArray(dst, o5); c51.intoArray(dst, o5 + LANES);
        if (accumulate) addRows(sc, 2 * LANES, wt, wOff, ld);
    }

    /**
     * wt[wOff + r*ld + j] (+)= sum_{v < vn} xp[xOff + vox[v0 + v] + tap[k0 + r]] dt[dOff + v*ld + j]
     * for r < 6, j < 4 vectors: the wide form of {@link #tileWeight} (24 accumulators).
     */
    static void tileWeightWide(float[] xp, int[] tap, int k0, int[] vox, int v0, int vn, int xOff,
                               float[] dt, int dOff, int ld, float[] wt, int wOff, boolean accumulate, float[] sc) {
        int t0 = xOff + tap[k0], t1 = xOff + tap[k0 + 1], t2 = xOff + tap[k0 + 2];
        int t3 = xOff + tap[k0 + 3], t4 = xOff + tap[k0 + 4], t5 = xOff + tap[k0 + 5];
        FloatVector zero = FloatVector.zero(S);
        FloatVector c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero;
        FloatVector c30 = zero, c31 = zero, c40 = zero, c41 = zero, c50 = zero, c51 = zero;
        FloatVector c02 = zero, c03 = zero, c12 = zero, c13 = zero, c22 = zero, c23 = zero;
        FloatVector c32 = zero, c33 = zero, c42 = zero, c43 = zero, c52 = zero, c53 = zero;
        for (int v = 0; v < vn; v++) {
            int o = vox[v0 + v], bo = dOff + v * ld;
            FloatVector b0 = FloatVector.fromArray(S, dt, bo);
            FloatVector b1 = FloatVector.fromArray(S, dt, bo + LANES);
            FloatVector b2 = FloatVector.fromArray(S, dt, bo + 2 * LANES);
            FloatVector b3 = FloatVector.fromArray(S, dt, bo + 3 * LANES);
            FloatVector a = FloatVector.broadcast(S, xp[t0 + o]);
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01); c02 = a.fma(b2, c02); c03 = a.fma(b3, c03);
            a = FloatVector.broadcast(S, xp[t1 + o]);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11); c12 = a.fma(b2, c12); c13 = a.fma(b3, c13);
            a = FloatVector.broadcast(S, xp[t2 + o]);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21); c22 = a.fma(b2, c22); c23 = a.fma(b3, c23);
            a = FloatVector.broadcast(S, xp[t3 + o]);
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31); c32 = a.fma(b2, c32); c33 = a.fma(b3, c33);
            a = FloatVector.broadcast(S, xp[t4 + o]);
            c40 = a.fma(b0, c40); c41 = a.fma(b1, c41); c42 = a.fma(b2, c42); c43 = a.fma(b3, c43);
            a = FloatVector.broadcast(S, xp[t5 + o]);
            c50 = a.fma(b0, c50); c51 = a.fma(b1, c51); c52 = a.fma(b2, c52); c53 = a.fma(b3, c53);
        }
        // one block of stores (the form MicroKernel6x16.tile explains): into wt, or, when adding to
        // it, into sc, added by addRows (a second block of loads and adds here: fallbacks, see tile)
        float[] dst = accumulate ? sc : wt;
        int st = accumulate ? 4 * LANES : ld, o0 = accumulate ? 0 : wOff, o1 = o0 + st, o2 = o1 + st, o3 = o2 + st, o4 = o3 + st, o5 = o4 + st;
        c00.intoArray(dst, o0); c01.intoArray(dst, o0 + LANES); c02.intoArray(dst, o0 + 2 * LANES); c03.intoArray(dst, o0 + 3 * LANES);
        c10.intoArray(dst, o1); c11.intoArray(dst, o1 + LANES); c12.intoArray(dst, o1 + 2 * LANES); c13.intoArray(dst, o1 + 3 * LANES);
        c20.intoArray(dst, o2); c21.intoArray(dst, o2 + LANES); c22.intoArray(dst, o2 + 2 * LANES); c23.intoArray(dst, o2 + 3 * LANES);
        c30.intoArray(dst, o3); c31.intoArray(dst, o3 + LANES); c32.intoArray(dst, o3 + 2 * LANES); c33.intoArray(dst, o3 + 3 * LANES);
        c40.intoArray(dst, o4); c41.intoArray(dst, o4 + LANES); c42.intoArray(dst, o4 + 2 * LANES); c43.intoArray(dst, o4 + 3 * LANES);
        c50.intoArray(dst, o5); c51.intoArray(dst, o5 + LANES); c52.intoArray(dst, o5 + 2 * LANES); c53.intoArray(dst, o5 + 3 * LANES);
        if (accumulate) addRows(sc, 4 * LANES, wt, wOff, ld);
    }

    /**
     * The offsets of taps k < count (in the weight's order (ci, kd, kh, kw)) in the channels-first
     * split: ((ci*Dp + kd)*Hp + kh)*L + (kw % sW)*M + kw / sW. Taps past K repeat tap 0 (padding
     * rows of a tile; their sums are not read). In a buffer kept between calls.
     */
    private int[] channelsFirstTaps(Conv3dGeometry g, int count, int dp, int hp, int m, int len) {
        int kk = g.cin() * g.kD() * g.kH() * g.kW(), kvol = g.kD() * g.kH() * g.kW();
        if (taps.length < count) taps = new int[count];
        for (int k = 0; k < count; k++) {
            int kq = k < kk ? k : 0, ci = kq / kvol, t = kq % kvol;
            int kd = t / (g.kH() * g.kW()), kh = (t / g.kW()) % g.kH(), kw = t % g.kW();
            taps[k] = ((ci * dp + kd) * hp + kh) * len + (kw % g.sW()) * m + kw / g.sW();
        }
        return taps;
    }

    /** Whether {@link #backwardWeightDot} takes this geometry: few taps (K <= NR), output rows of whole vectors. */
    static boolean takesDot(Conv3dGeometry g) {
        return g.cin() * g.kD() * g.kH() * g.kW() <= MicroKernel6x16.NR && g.outW() % LANES == 0;
    }

    /** Vectors of voxels per block of {@link #backwardWeightDot}: 4 channels' dy block (16 KiB) stays in L1 for all tap groups. */
    static final int DOT_CHUNKS = 64;
    /** The dot form's lane-wise partial sums: per voxel range, LANES per (channel, tap). */
    private float[] dotSums = new float[0];
    private int[] chunkRows = new int[0];

    /**
     * dw[co, k] = sum_n sum_v dy[n][co, v] xp[n][vox(v) + tap(k)] (overwritten) for few taps (the conv
     * stack's first layer: 27), as dot products along the voxels: both operands are read where they
     * lie, dy by its rows and the input from the channels-first split, one vector = LANES voxels of
     * an output row; a tile holds 4 channels x 4 taps in 16 accumulators, each lane its own partial
     * sum, added into its voxel range's sums after each block. Work items are DW_ITEMS fixed voxel
     * ranges; at the end the ranges' lane sums are added in range order and then across lanes in a
     * fixed tree, once per weight (per range, the lane sums cost 14% of the time): 1 and N threads
     * give identical bits. (PanelConv3d's form gathers the taps' rows first; this
     * one needs output rows of whole vectors, {@link #takesDot}.)
     */
    synchronized void backwardWeightDot(float[] x, float[] dy, float[] dw, Conv3dGeometry g) {
        int kk = g.cin() * g.kD() * g.kH() * g.kW(), cout = g.cout(), nb = g.n();
        int ow = g.outW(), p = g.outD() * g.outH() * ow, chunks = p / LANES;
        int kk4 = (kk + 3) / 4 * 4, co4 = (cout + 3) / 4 * 4;
        int hp = PanelConv3d.paddedH(g), dp = PanelConv3d.paddedD(g);
        int m = PanelConv3d.phaseLength(g), len = g.sW() * m, sampleStride = g.cin() * dp * hp * len;
        float[] xp = split.phased(x, g, false);
        int[] tap = channelsFirstTaps(g, kk4, dp, hp, m, len);
        if (chunkRows.length < chunks) chunkRows = new int[chunks];
        int[] vox = chunkRows;
        for (int c = 0; c < chunks; c++) { // vector c = voxels c*LANES.. of output row r = (od, oh), sample 0
            int r = c * LANES / ow, oh = r % g.outH(), od = r / g.outH();
            vox[c] = (od * g.sD() * hp + oh * g.sH()) * len + c * LANES % ow;
        }
        int blocks = (chunks + DOT_CHUNKS - 1) / DOT_CHUNKS, ranges = Math.min(blocks, DW_ITEMS);
        int perRange = (blocks + ranges - 1) / ranges, nRanges = (blocks + perRange - 1) / perRange;
        // each range's lane-wise sums in its own slice: co4 x kk4 x LANES floats
        int size = co4 * kk4 * LANES;
        if (dotSums.length < nRanges * size) dotSums = new float[nRanges * size];
        float[] sums = dotSums;
        parallel.forRange(nRanges, 1, (s, e) -> {
            float[] sc = scratch.get();
            for (int range = s; range < e; range++) {
                java.util.Arrays.fill(sums, range * size, (range + 1) * size, 0f);
                int bEnd = Math.min(blocks, (range + 1) * perRange);
                for (int n = 0; n < nb; n++) {
                    for (int b = range * perRange; b < bEnd; b++) {
                        int c0 = b * DOT_CHUNKS, c1 = Math.min(chunks, c0 + DOT_CHUNKS);
                        for (int co = 0; co < co4; co += 4) { // channels past cout repeat the last; not read
                            int d0 = (n * cout + Math.min(co, cout - 1)) * p, d1 = (n * cout + Math.min(co + 1, cout - 1)) * p;
                            int d2 = (n * cout + Math.min(co + 2, cout - 1)) * p, d3 = (n * cout + Math.min(co + 3, cout - 1)) * p;
                            for (int j = 0; j < kk4; j += 4) {
                                dotTile(dy, d0, d1, d2, d3, xp, n * sampleStride, vox, tap, j, c0, c1, sums, range * size + (co * kk4 + j) * LANES, kk4 * LANES, sc, 0);
                            }
                        }
                    }
                }
            }
        });
        // dw[co, k] = the lanes of (range 0 + range 1 + ...), in range order, then added in a fixed tree
        parallel.forRange(cout * kk, (s, e) -> {
            float[] lanes = scratch.get(); // its first LANES floats
            for (int i = s; i < e; i++) {
                addRanges(sums, (i / kk * kk4 + i % kk) * LANES, size, nRanges, lanes);
                dw[i] = VectorSupport.laneTotal(lanes, 0, LANES);
            }
        });
    }

    /**
     * lanes = sums[o ..] + sums[size + o ..] + ... (count slices, in order), LANES floats: one flat
     * vector loop in a method of its own (a vector carried around a loop nested in another fell
     * back to the Java implementation in some JVMs, lesson 25).
     */
    private static void addRanges(float[] sums, int o, int size, int count, float[] lanes) {
        FloatVector total = FloatVector.fromArray(S, sums, o);
        for (int r = 1; r < count; r++) total = total.add(FloatVector.fromArray(S, sums, r * size + o));
        total.intoArray(lanes, 0);
    }

    /**
     * sums[sOff + a*ld + b*LANES + l] += sum_{c0 <= c < c1} dy[d_a + c*LANES + l] xp[xOff + vox[c] + tap[j + b] + l]
     * for the 4 channel rows d_a and the 4 taps j + b: 16 vector accumulators, lane by lane.
     * sc[so .. so + 16 LANES): scratch for the tile before it is added to sums.
     */
    static void dotTile(float[] dy, int d0, int d1, int d2, int d3, float[] xp, int xOff, int[] vox, int[] tap, int j,
                        int c0, int c1, float[] sums, int sOff, int ld, float[] sc, int so) {
        int t0 = xOff + tap[j], t1 = xOff + tap[j + 1], t2 = xOff + tap[j + 2], t3 = xOff + tap[j + 3];
        FloatVector zero = FloatVector.zero(S); // one call for all accumulators (see MicroKernel6x16.tile)
        FloatVector a00 = zero, a01 = zero, a02 = zero, a03 = zero, a10 = zero, a11 = zero, a12 = zero, a13 = zero;
        FloatVector a20 = zero, a21 = zero, a22 = zero, a23 = zero, a30 = zero, a31 = zero, a32 = zero, a33 = zero;
        for (int c = c0; c < c1; c++) {
            int dv = c * LANES, xv = vox[c];
            FloatVector y0 = FloatVector.fromArray(S, dy, d0 + dv), y1 = FloatVector.fromArray(S, dy, d1 + dv);
            FloatVector y2 = FloatVector.fromArray(S, dy, d2 + dv), y3 = FloatVector.fromArray(S, dy, d3 + dv);
            FloatVector x0 = FloatVector.fromArray(S, xp, t0 + xv), x1 = FloatVector.fromArray(S, xp, t1 + xv);
            FloatVector x2 = FloatVector.fromArray(S, xp, t2 + xv), x3 = FloatVector.fromArray(S, xp, t3 + xv);
            a00 = y0.fma(x0, a00); a01 = y0.fma(x1, a01); a02 = y0.fma(x2, a02); a03 = y0.fma(x3, a03);
            a10 = y1.fma(x0, a10); a11 = y1.fma(x1, a11); a12 = y1.fma(x2, a12); a13 = y1.fma(x3, a13);
            a20 = y2.fma(x0, a20); a21 = y2.fma(x1, a21); a22 = y2.fma(x2, a22); a23 = y2.fma(x3, a23);
            a30 = y3.fma(x0, a30); a31 = y3.fma(x1, a31); a32 = y3.fma(x2, a32); a33 = y3.fma(x3, a33);
        }
        // one block of stores, into sc, added to sums by addTile: with the loads and adds here as
        // well (16 x load, add, store after the loop), C2 compiled only 7-8 of the 16 stores as
        // vector stores in 3 of 55 JVMs (LogCompilation), the rest in the Java fallback (lesson 13)
        a00.intoArray(sc, so); a01.intoArray(sc, so + LANES); a02.intoArray(sc, so + 2 * LANES); a03.intoArray(sc, so + 3 * LANES);
        a10.intoArray(sc, so + 4 * LANES); a11.intoArray(sc, so + 5 * LANES); a12.intoArray(sc, so + 6 * LANES); a13.intoArray(sc, so + 7 * LANES);
        a20.intoArray(sc, so + 8 * LANES); a21.intoArray(sc, so + 9 * LANES); a22.intoArray(sc, so + 10 * LANES); a23.intoArray(sc, so + 11 * LANES);
        a30.intoArray(sc, so + 12 * LANES); a31.intoArray(sc, so + 13 * LANES); a32.intoArray(sc, so + 14 * LANES); a33.intoArray(sc, so + 15 * LANES);
        addTile(sc, so, sums, sOff, ld);
    }

    /** sums[sOff + a*ld + b*LANES + l] += sc[so + (4a + b)*LANES + l] for a, b < 4, l < LANES. */
    private static void addTile(float[] sc, int so, float[] sums, int sOff, int ld) {
        for (int i = 0; i < 16; i++) {
            int o = sOff + (i / 4) * ld + (i % 4) * LANES;
            FloatVector.fromArray(S, sums, o).add(FloatVector.fromArray(S, sc, so + i * LANES)).intoArray(sums, o);
        }
    }

    /** Offset in xp of output row r = (n, od, oh): ((n*Dp + od*sD)*Hp + oh*sH)*cin*L. */
    private static int inputRow(int r, Conv3dGeometry g, int dp, int hp, int len) {
        int oh = r % g.outH(), od = (r / g.outH()) % g.outD(), n = r / (g.outH() * g.outD());
        return ((n * dp + od * g.sD()) * hp + oh * g.sH()) * g.cin() * len;
    }

    /** Offset in y of channel 0 of output row r = (n, od, oh). */
    private static int outputRow(int r, Conv3dGeometry g, int cout, int p, int plane) {
        int oh = r % g.outH(), od = (r / g.outH()) % g.outD(), n = r / (g.outH() * g.outD());
        return n * cout * p + od * plane + oh * g.outW();
    }

    /**
     * y[ys[u] + yOff + r*ldy + j] (+)= sum_{k < kb} pw[pOff + k*6 + r] xp[xs[u] + tap[k0 + k] + j] for
     * the two segments u < 2, r < rows, j < cols[u] (0: nothing stored for that segment).
     */
    static void tile(float[] pw, int pOff, float[] xp, int[] tap, int k0, int kb, int[] xs,
                     float[] y, int[] ys, int yOff, int ldy, int rows, int[] cols, boolean accumulate, float[] sc) {
        int xA = xs[0], xB = xs[1];
        FloatVector zero = FloatVector.zero(S);
        FloatVector c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero;
        FloatVector c30 = zero, c31 = zero, c40 = zero, c41 = zero, c50 = zero, c51 = zero;
        for (int k = 0; k < kb; k++) {
            int ao = pOff + k * MR, t = tap[k0 + k];
            FloatVector b0 = FloatVector.fromArray(S, xp, xA + t);
            FloatVector b1 = FloatVector.fromArray(S, xp, xB + t);
            FloatVector a = FloatVector.broadcast(S, pw[ao]);
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, pw[ao + 1]);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, pw[ao + 2]);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, pw[ao + 3]);
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(S, pw[ao + 4]);
            c40 = a.fma(b0, c40); c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(S, pw[ao + 5]);
            c50 = a.fma(b0, c50); c51 = a.fma(b1, c51);
        }
        // A full tile is stored straight into y; an edge tile (or one whose segments are short), or
        // one that adds to y, into sc (rows 2 vectors apart, segment u from u*LANES), and its valid
        // part copied or added from there: one block of stores (MicroKernel6x16.tile explains why;
        // the wide tiles, with twice the vector calls, fell back in some JVMs with a second block
        // of loads and adds here).
        boolean full = rows == MR && cols[0] == LANES && cols[1] == LANES;
        boolean straight = full && !accumulate; // stored straight into y; else into sc, then copied or added
        float[] dst = straight ? y : sc;
        int ld = straight ? ldy : 2 * LANES;
        int a0 = straight ? ys[0] + yOff : 0, a1 = a0 + ld, a2 = a1 + ld, a3 = a2 + ld, a4 = a3 + ld, a5 = a4 + ld;
        int b0 = straight ? ys[1] + yOff : LANES, b1 = b0 + ld, b2 = b1 + ld, b3 = b2 + ld, b4 = b3 + ld, b5 = b4 + ld;
        c00.intoArray(dst, a0); c01.intoArray(dst, b0);
        c10.intoArray(dst, a1); c11.intoArray(dst, b1);
        c20.intoArray(dst, a2); c21.intoArray(dst, b2);
        c30.intoArray(dst, a3); c31.intoArray(dst, b3);
        c40.intoArray(dst, a4); c41.intoArray(dst, b4);
        c50.intoArray(dst, a5); c51.intoArray(dst, b5);
        if (!straight) copyEdge(sc, 2, y, ys, yOff, ldy, rows, cols, accumulate);
    }

    /** The wide form of {@link #tile}: four segments (24 accumulators). */
    static void tileWide(float[] pw, int pOff, float[] xp, int[] tap, int k0, int kb, int[] xs,
                         float[] y, int[] ys, int yOff, int ldy, int rows, int[] cols, boolean accumulate, float[] sc) {
        int xA = xs[0], xB = xs[1], xC = xs[2], xD = xs[3];
        FloatVector zero = FloatVector.zero(S);
        FloatVector c00 = zero, c01 = zero, c02 = zero, c03 = zero, c10 = zero, c11 = zero, c12 = zero, c13 = zero;
        FloatVector c20 = zero, c21 = zero, c22 = zero, c23 = zero, c30 = zero, c31 = zero, c32 = zero, c33 = zero;
        FloatVector c40 = zero, c41 = zero, c42 = zero, c43 = zero, c50 = zero, c51 = zero, c52 = zero, c53 = zero;
        for (int k = 0; k < kb; k++) {
            int ao = pOff + k * MR, t = tap[k0 + k];
            FloatVector b0 = FloatVector.fromArray(S, xp, xA + t);
            FloatVector b1 = FloatVector.fromArray(S, xp, xB + t);
            FloatVector b2 = FloatVector.fromArray(S, xp, xC + t);
            FloatVector b3 = FloatVector.fromArray(S, xp, xD + t);
            FloatVector a = FloatVector.broadcast(S, pw[ao]);
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01); c02 = a.fma(b2, c02); c03 = a.fma(b3, c03);
            a = FloatVector.broadcast(S, pw[ao + 1]);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11); c12 = a.fma(b2, c12); c13 = a.fma(b3, c13);
            a = FloatVector.broadcast(S, pw[ao + 2]);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21); c22 = a.fma(b2, c22); c23 = a.fma(b3, c23);
            a = FloatVector.broadcast(S, pw[ao + 3]);
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31); c32 = a.fma(b2, c32); c33 = a.fma(b3, c33);
            a = FloatVector.broadcast(S, pw[ao + 4]);
            c40 = a.fma(b0, c40); c41 = a.fma(b1, c41); c42 = a.fma(b2, c42); c43 = a.fma(b3, c43);
            a = FloatVector.broadcast(S, pw[ao + 5]);
            c50 = a.fma(b0, c50); c51 = a.fma(b1, c51); c52 = a.fma(b2, c52); c53 = a.fma(b3, c53);
        }
        boolean full = rows == MR && cols[0] == LANES && cols[1] == LANES && cols[2] == LANES && cols[3] == LANES;
        boolean straight = full && !accumulate; // stored straight into y; else into sc, then copied or added
        float[] dst = straight ? y : sc;
        int ld = straight ? ldy : 4 * LANES;
        int a0 = straight ? ys[0] + yOff : 0, a1 = a0 + ld, a2 = a1 + ld, a3 = a2 + ld, a4 = a3 + ld, a5 = a4 + ld;
        int b0 = straight ? ys[1] + yOff : LANES, b1 = b0 + ld, b2 = b1 + ld, b3 = b2 + ld, b4 = b3 + ld, b5 = b4 + ld;
        int e0 = straight ? ys[2] + yOff : 2 * LANES, e1 = e0 + ld, e2 = e1 + ld, e3 = e2 + ld, e4 = e3 + ld, e5 = e4 + ld;
        int d0 = straight ? ys[3] + yOff : 3 * LANES, d1 = d0 + ld, d2 = d1 + ld, d3 = d2 + ld, d4 = d3 + ld, d5 = d4 + ld;
        c00.intoArray(dst, a0); c01.intoArray(dst, b0); c02.intoArray(dst, e0); c03.intoArray(dst, d0);
        c10.intoArray(dst, a1); c11.intoArray(dst, b1); c12.intoArray(dst, e1); c13.intoArray(dst, d1);
        c20.intoArray(dst, a2); c21.intoArray(dst, b2); c22.intoArray(dst, e2); c23.intoArray(dst, d2);
        c30.intoArray(dst, a3); c31.intoArray(dst, b3); c32.intoArray(dst, e3); c33.intoArray(dst, d3);
        c40.intoArray(dst, a4); c41.intoArray(dst, b4); c42.intoArray(dst, e4); c43.intoArray(dst, d4);
        c50.intoArray(dst, a5); c51.intoArray(dst, b5); c52.intoArray(dst, e5); c53.intoArray(dst, d5);
        if (!straight) copyEdge(sc, 4, y, ys, yOff, ldy, rows, cols, accumulate);
    }

    /**
     * Copies (or, accumulating, adds) the valid part of a tile stored in sc, rows per*LANES apart,
     * into y: edge tiles, and full tiles that add to y.
     */
    private static void copyEdge(float[] sc, int per, float[] y, int[] ys, int yOff, int ldy, int rows, int[] cols, boolean accumulate) {
        int nr = per * LANES;
        for (int r = 0; r < rows; r++) {
            for (int u = 0; u < per; u++) {
                for (int j = 0; j < cols[u]; j++) {
                    int o = ys[u] + yOff + r * ldy + j;
                    float v = sc[r * nr + u * LANES + j];
                    y[o] = accumulate ? y[o] + v : v;
                }
            }
        }
    }

    /** wt[wOff + r*ld + j] += sc[r*width + j] for r < 6, j < width (a multiple of LANES). */
    private static void addRows(float[] sc, int width, float[] wt, int wOff, int ld) {
        for (int r = 0; r < MR; r++) {
            for (int j = 0; j < width; j += LANES) {
                int o = wOff + r * ld + j;
                FloatVector.fromArray(S, wt, o).add(FloatVector.fromArray(S, sc, r * width + j)).intoArray(wt, o);
            }
        }
    }
}
