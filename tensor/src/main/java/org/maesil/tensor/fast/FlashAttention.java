package org.maesil.tensor.fast;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.maesil.tensor.Parallel;

/**
 * Softmax attention in tiles (FlashAttention-2 schedule) with the tile products done by the
 * matmul register tile ({@link MicroKernel6x16}) on packed panels. Same contract as the
 * reference kernels (org.maesil.tensor.kernels.Attention): q [bh, lq, d], k and v [bh, lk, d],
 * s = scale q k^T, P = softmax_rows(s); lse [bh, lq] = log-sum-exp of each row of s.
 *
 * <p>Blocking, per (batch, head) - the unit of parallel work, one thread per head at a time:
 * <pre>
 *   pack K and V once per head (as B panels: keys as columns for Q K^T and dO V^T;
 *   per key tile with head dims as columns for P V and dS K); pack Q and dO per query tile.
 *   forward:  for each query tile i (BQ = 72 rows):
 *               for each key tile j (BK = 3 NR keys: 48 with AVX2, 96 with AVX-512):
 *                 S = Q_i K_j^T                          (BQ x BK, in L1)
 *                 online softmax: m_new = max(m, rowmax(scale S)), l = l e^(m - m_new) + rowsum P,
 *                 P = e^(scale S - m_new); O_i = O_i e^(m - m_new) + P V_j
 *               out_i = O_i / l, lse_i = m + log l
 *   backward: delta = rowsum(dO * out); for each key tile j: for each query tile i:
 *               S = Q_i K_j^T, dP = dO_i V_j^T, P = e^(scale S - lse_i), dS = P (dP - delta_i)
 *               dV_j += P^T dO_i,  dK_j += dS^T Q_i,  dQ_i += dS K_j        (then dK, dQ *= scale)
 * </pre>
 * Memory: the packed copies of Q, K, V, dO per worker thread (about 8 L d floats) and the
 * tiles; nothing of size L x L, so memory is linear in the sequence length.
 *
 * <p>Every sum runs in a fixed order inside one head, and a head is computed by one thread, so
 * the result does not depend on the thread count. exp is {@link VectorExp}; products are fp32
 * fused multiply-adds (the reference accumulates dot products in double), so results agree
 * with the reference to about 1e-5 relative.
 */
public final class FlashAttention {
    static final int BQ = 72;  // query rows per tile: a multiple of the tile's 6 rows
    static final int BK = 3 * MicroKernel6x16.NR;  // keys per tile (48 AVX2, 96 AVX-512): a multiple of the tile's NR columns and of 6
    private static final int MR = MicroKernel6x16.MR, NR = MicroKernel6x16.NR;

    private final Parallel parallel;
    private final ThreadLocal<Workspace> workspace = ThreadLocal.withInitial(Workspace::new);

    public FlashAttention(Parallel parallel) {
        this.parallel = parallel;
    }

    /** Whether this path takes the shape: head dims up to one packing block. */
    public static boolean supports(int d) {
        return d >= 1 && d <= FastMatmul.KC;
    }

    /** Buffers of one worker thread, grown on demand and kept between calls. */
    static final class Workspace {
        float[] kt = new float[0], vt = new float[0], kn = new float[0], vn = new float[0];
        float[] qa = new float[0], oa = new float[0], qn = new float[0], on = new float[0];
        float[] o = new float[0];
        final float[] s = new float[BQ * BK], dp = new float[BQ * BK];
        final float[] pa = new float[BQ * BK], pta = new float[BQ * BK], dsta = new float[BQ * BK], dsa = new float[BQ * BK];
        final float[] m = new float[BQ], l = new float[BQ];
        final float[] scratch = new float[MR * NR];

        static float[] grow(float[] a, int n) {
            return a.length >= n ? a : new float[n];
        }

        void ensure(int lq, int lk, int d, boolean backward) {
            int lkPad = roundUp(lk, NR), dPad = roundUp(d, NR);
            int nkt = (lk + BK - 1) / BK, nqt = (lq + BQ - 1) / BQ;
            kt = grow(kt, lkPad * d);
            vn = grow(vn, nkt * dPad * BK);
            o = grow(o, BQ * dPad);
            qa = grow(qa, (backward ? nqt : 1) * BQ * d);
            if (backward) {
                vt = grow(vt, lkPad * d);
                kn = grow(kn, nkt * dPad * BK);
                oa = grow(oa, nqt * BQ * d);
                qn = grow(qn, nqt * dPad * BQ);
                on = grow(on, nqt * dPad * BQ);
            }
        }
    }

    static int roundUp(int x, int m) {
        return (x + m - 1) / m * m;
    }

    // ------------------------------------------------------------------ forward

    public void forward(float[] q, float[] k, float[] v, float[] out, float[] lse,
                        int bh, int lq, int lk, int d, float scale) {
        parallel.forRange(bh, 1, (s, e) -> {
            for (int b = s; b < e; b++) forwardHead(q, k, v, out, lse, b, lq, lk, d, scale);
        });
    }

    private void forwardHead(float[] q, float[] k, float[] v, float[] out, float[] lse,
                             int b, int lq, int lk, int d, float scale) {
        Workspace w = workspace.get();
        w.ensure(lq, lk, d, false);
        int qBase = b * lq * d, kBase = b * lk * d, dPad = roundUp(d, NR), dPanels = dPad / NR;
        int nkt = (lk + BK - 1) / BK;
        Packing.packB(k, kBase, d, true, lk, 0, d, 0, roundUp(lk, NR) / NR, w.kt);
        for (int t = 0; t < nkt; t++) {
            Packing.packB(v, kBase + t * BK * d, d, false, d, 0, Math.min(BK, lk - t * BK), 0, dPanels, w.vn, t * dPad * BK);
        }
        for (int i0 = 0; i0 < lq; i0 += BQ) {
            int mq = Math.min(BQ, lq - i0);
            Packing.packA(q, qBase, d, false, i0, mq, 0, d, w.qa, 0);
            java.util.Arrays.fill(w.m, Float.NEGATIVE_INFINITY);
            java.util.Arrays.fill(w.l, 0f);
            java.util.Arrays.fill(w.o, 0, BQ * dPad, 0f);
            java.util.Arrays.fill(w.pa, 0f);
            for (int t = 0; t < nkt; t++) {
                int j0 = t * BK, nk = Math.min(BK, lk - j0);
                scores(w.qa, 0, w.kt, d, j0, mq, nk, w.s, w.scratch);
                for (int r = 0; r < mq; r++) {
                    int so = r * BK;
                    onlineSoftmaxRow(w, r, so, nk, scale, dPad);
                }
                // O += P V_j: P as 6-row panels (kc = nk keys), V_j as 16-dim panels
                for (int r0 = 0; r0 < mq; r0 += MR) {
                    for (int c0 = 0; c0 < dPad; c0 += NR) {
                        MicroKernel6x16.tile(w.pa, (r0 / MR) * MR * BK, w.vn, t * dPad * BK + (c0 / NR) * NR * nk, nk,
                                w.o, r0 * dPad + c0, dPad, MR, NR, true, w.scratch, 0);
                    }
                }
            }
            for (int r = 0; r < mq; r++) {
                float inv = 1f / w.l[r];
                int oo = qBase + (i0 + r) * d;
                for (int c = 0; c < d; c++) out[oo + c] = w.o[r * dPad + c] * inv;
                lse[b * lq + i0 + r] = w.m[r] + (float) Math.log(w.l[r]);
            }
        }
    }

    /**
     * One query row of the online softmax over the scores in w.s[so .. so+BK) (valid: nk):
     * m_new = max(m, max_j scale s_j); P_j = e^(scale s_j - m_new) (0 for j >= nk), written back
     * into w.s and, transposed, into the 6-row panels of w.pa; l = l e^(m - m_new) + sum_j P_j;
     * the row of O is scaled by e^(m - m_new).
     */
    private static void onlineSoftmaxRow(Workspace w, int r, int so, int nk, float scale, int dPad) {
        VectorSpecies<Float> sp = VectorExp.S;
        int lanes = sp.length();
        float rowMax = Float.NEGATIVE_INFINITY;
        if (nk == BK) {
            FloatVector vmax = FloatVector.broadcast(sp, Float.NEGATIVE_INFINITY);
            for (int j = 0; j < BK; j += lanes) vmax = vmax.max(FloatVector.fromArray(sp, w.s, so + j).mul(scale));
            rowMax = vmax.reduceLanes(VectorOperators.MAX);
        } else {
            for (int j = 0; j < nk; j++) rowMax = Math.max(rowMax, scale * w.s[so + j]);
        }
        float mNew = Math.max(w.m[r], rowMax);
        float corr = (float) Math.exp(w.m[r] - mNew);
        w.m[r] = mNew;
        for (int j = 0; j < BK; j += lanes) {
            FloatVector.fromArray(sp, w.s, so + j).mul(scale).sub(mNew).intoArray(w.s, so + j);
        }
        VectorExp.expInPlace(w.s, so, so + BK);
        for (int j = nk; j < BK; j++) w.s[so + j] = 0f;
        FloatVector vsum = FloatVector.zero(sp);
        for (int j = 0; j < BK; j += lanes) vsum = vsum.add(FloatVector.fromArray(sp, w.s, so + j));
        int pOff = (r / MR) * MR * BK + r % MR;
        for (int j = 0; j < BK; j++) w.pa[pOff + j * MR] = w.s[so + j];
        w.l[r] = w.l[r] * corr + vsum.reduceLanes(VectorOperators.ADD);
        if (corr != 1f) {
            for (int c = r * dPad; c < (r + 1) * dPad; c += lanes) {
                FloatVector.fromArray(sp, w.o, c).mul(corr).intoArray(w.o, c);
            }
        }
    }

    /** s[r*BK + c] = sum_p A[r, p] K^T[p, j0 + c] (A: 6-row panels from aOff) for the 6-row panels below mq and 16-key panels below nk. */
    private static void scores(float[] aPanels, int aOff, float[] keyPanels, int d, int j0, int mq, int nk,
                               float[] s, float[] scratch) {
        for (int r0 = 0; r0 < mq; r0 += MR) {
            for (int c0 = 0; c0 < nk; c0 += NR) {
                MicroKernel6x16.tile(aPanels, aOff + (r0 / MR) * MR * d, keyPanels, ((j0 + c0) / NR) * NR * d, d,
                        s, r0 * BK + c0, BK, MR, NR, false, scratch, 0);
            }
        }
    }

    // ------------------------------------------------------------------ backward

    public void backward(float[] q, float[] k, float[] v, float[] out, float[] lse, float[] dout,
                         float[] dq, float[] dk, float[] dv, float[] delta,
                         int bh, int lq, int lk, int d, float scale) {
        parallel.forRange(bh * lq, (s, e) -> {
            for (int row = s; row < e; row++) {
                float sum = 0f;
                for (int c = row * d; c < (row + 1) * d; c++) sum += dout[c] * out[c];
                delta[row] = sum;
            }
        });
        parallel.forRange(bh, 1, (s, e) -> {
            for (int b = s; b < e; b++) backwardHead(q, k, v, lse, dout, dq, dk, dv, delta, b, lq, lk, d, scale);
        });
    }

    private void backwardHead(float[] q, float[] k, float[] v, float[] lse, float[] dout,
                              float[] dq, float[] dk, float[] dv, float[] delta,
                              int b, int lq, int lk, int d, float scale) {
        Workspace w = workspace.get();
        w.ensure(lq, lk, d, true);
        int qBase = b * lq * d, kBase = b * lk * d, dPad = roundUp(d, NR), dPanels = dPad / NR;
        int nkt = (lk + BK - 1) / BK, nqt = (lq + BQ - 1) / BQ, keyPanels = roundUp(lk, NR) / NR;
        Packing.packB(k, kBase, d, true, lk, 0, d, 0, keyPanels, w.kt);
        Packing.packB(v, kBase, d, true, lk, 0, d, 0, keyPanels, w.vt);
        for (int t = 0; t < nkt; t++) {
            Packing.packB(k, kBase + t * BK * d, d, false, d, 0, Math.min(BK, lk - t * BK), 0, dPanels, w.kn, t * dPad * BK);
        }
        for (int t = 0; t < nqt; t++) {
            int i0 = t * BQ, mq = Math.min(BQ, lq - i0);
            Packing.packA(q, qBase, d, false, i0, mq, 0, d, w.qa, t * BQ * d);
            Packing.packA(dout, qBase, d, false, i0, mq, 0, d, w.oa, t * BQ * d);
            Packing.packB(q, qBase + i0 * d, d, false, d, 0, mq, 0, dPanels, w.qn, t * dPad * BQ);
            Packing.packB(dout, qBase + i0 * d, d, false, d, 0, mq, 0, dPanels, w.on, t * dPad * BQ);
        }
        for (int kt = 0; kt < nkt; kt++) {
            int j0 = kt * BK, nk = Math.min(BK, lk - j0);
            for (int qt = 0; qt < nqt; qt++) {
                int i0 = qt * BQ, mq = Math.min(BQ, lq - i0);
                scores(w.qa, qt * BQ * d, w.kt, d, j0, mq, nk, w.s, w.scratch); // S = Q_i K_j^T
                for (int r0 = 0; r0 < mq; r0 += MR) {                        // dP = dO_i V_j^T
                    for (int c0 = 0; c0 < nk; c0 += NR) {
                        MicroKernel6x16.tile(w.oa, qt * BQ * d + (r0 / MR) * MR * d, w.vt, ((j0 + c0) / NR) * NR * d, d,
                                w.dp, r0 * BK + c0, BK, MR, NR, false, w.scratch, 0);
                    }
                }
                probabilitiesAndScoreGrads(w, b * lq + i0, mq, nk, lse, delta, scale);
                // dV_j (+)= P^T dO_i and dK_j (+)= dS^T Q_i: key rows as 6-row panels, kc = mq queries
                for (int r0 = 0; r0 < nk; r0 += MR) {
                    int rows = Math.min(MR, nk - r0);
                    for (int c0 = 0; c0 < d; c0 += NR) {
                        int cols = Math.min(NR, d - c0), bOff = qt * dPad * BQ + (c0 / NR) * NR * mq;
                        int cOff = kBase + (j0 + r0) * d + c0;
                        MicroKernel6x16.tile(w.pta, (r0 / MR) * MR * BQ, w.on, bOff, mq, dv, cOff, d, rows, cols, qt > 0, w.scratch, 0);
                        MicroKernel6x16.tile(w.dsta, (r0 / MR) * MR * BQ, w.qn, bOff, mq, dk, cOff, d, rows, cols, qt > 0, w.scratch, 0);
                    }
                }
                // dQ_i (+)= dS K_j: query rows as 6-row panels, kc = nk keys
                for (int r0 = 0; r0 < mq; r0 += MR) {
                    int rows = Math.min(MR, mq - r0);
                    for (int c0 = 0; c0 < d; c0 += NR) {
                        MicroKernel6x16.tile(w.dsa, (r0 / MR) * MR * BK, w.kn, kt * dPad * BK + (c0 / NR) * NR * nk, nk,
                                dq, qBase + (i0 + r0) * d + c0, d, rows, Math.min(NR, d - c0), kt > 0, w.scratch, 0);
                    }
                }
            }
            for (int c = kBase + j0 * d; c < kBase + (j0 + nk) * d; c++) dk[c] *= scale;
        }
        for (int c = qBase; c < qBase + lq * d; c++) dq[c] *= scale;
    }

    /**
     * From S (w.s) and dP (w.dp) of one tile: P = e^(scale S - lse), dS = P (dP - delta), written
     * as P^T and dS^T in 6-key-row panels (pta, dsta; kc = queries) and dS in 6-query-row panels
     * (dsa; kc = keys). Entries outside the valid mq x nk block are zero.
     */
    private static void probabilitiesAndScoreGrads(Workspace w, int row0, int mq, int nk, float[] lse, float[] delta, float scale) {
        if (mq < BQ || nk < BK) { // a full tile overwrites every entry
            java.util.Arrays.fill(w.pta, 0f);
            java.util.Arrays.fill(w.dsta, 0f);
            java.util.Arrays.fill(w.dsa, 0f);
        }
        for (int r = 0; r < mq; r++) {
            int so = r * BK;
            float l = lse[row0 + r], dl = delta[row0 + r];
            for (int j = 0; j < BK; j += VectorExp.S.length()) {
                FloatVector.fromArray(VectorExp.S, w.s, so + j).mul(scale).sub(l).intoArray(w.s, so + j);
            }
            VectorExp.expInPlace(w.s, so, so + BK);
            for (int j = 0; j < BK; j += VectorExp.S.length()) {
                FloatVector p = FloatVector.fromArray(VectorExp.S, w.s, so + j);
                p.mul(FloatVector.fromArray(VectorExp.S, w.dp, so + j).sub(dl)).intoArray(w.dp, so + j);
            }
            int rowPanel = (r / MR) * MR * BK + r % MR;
            for (int j = 0; j < nk; j++) {
                float p = w.s[so + j], ds = w.dp[so + j];
                int t = (j / MR) * MR * BQ + r * MR + j % MR;
                w.pta[t] = p;
                w.dsta[t] = ds;
                w.dsa[rowPanel + j * MR] = ds;
            }
        }
    }
}
