package org.maesil.tensor.fast;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.maesil.tensor.Parallel;

/**
 * Softmax attention in tiles (FlashAttention-2 schedule) with the tile products done by the
 * matmul register tile ({@link MicroKernel6x16}) on packed panels. Same contract as the
 * reference kernels (org.maesil.tensor.kernels.Attention): q [bh, lq, d], k and v [bh, lk, d],
 * s = scale q k^T, P = softmax_rows(s); lse [bh, lq] = log-sum-exp of each row of s.
 *
 * <p>Every product is arranged so that its operands are already in the layout the register
 * tile reads (6-row A panels, NR-column B panels) and the head dimension d is the row side
 * (6-row panels: d = 16 wastes 2 of 18 rows, where NR = 32 columns would waste 16):
 * <pre>
 *   forward, per query tile i (BQ queries), transposed: keys are rows, queries columns:
 *     for each key tile j (BK keys):
 *       S^T = K_j Q_i^T                       (A: K in 6-key panels; B: Q^T in query panels)
 *       per query (a column, so vector lanes run over queries): m_new = max(m, max_keys scale S^T),
 *       P^T = e^(scale S^T - m_new), l = l e^(m - m_new) + colsum P^T, O^T = O^T e^(m - m_new)
 *       O^T += V_j^T P^T                      (A: V^T in 6-dim panels; B: P^T as computed)
 *     out_i = (O^T / l)^T, lse_i = m + log l
 *   backward, per key tile j, per query tile i, queries are rows, keys columns (stored as
 *   NR-key panels, which are the B panels of the next products):
 *     S = Q_i K_j^T, dP = dO_i V_j^T, P = e^(scale S - lse_i), dS = P (dP - delta_i)
 *     dV_j^T += dO_i^T P,  dK_j^T += Q_i^T dS                (A: dO^T, Q^T in 6-dim panels)
 *     dQ_i^T += K_j^T dS^T                                    (dS^T: the one transposed copy)
 *   then dQ, dK (times scale) and dV are transposed back into q's layout.
 * </pre>
 * Memory: the packed copies of Q, K, V, dO and the transposed gradients per worker thread
 * (about 12 L d floats) and the tiles; nothing of size L x L, so memory is linear in L.
 *
 * <p>Every sum runs in a fixed order inside one head, and a head is computed by one thread, so
 * the result does not depend on the thread count. exp is {@link VectorExp}; products are fp32
 * fused multiply-adds (the reference accumulates dot products in double), so results agree
 * with the reference to about 1e-5 relative.
 */
public final class FlashAttention {
    private static final int MR = MicroKernel6x16.MR, NR = MicroKernel6x16.NR;
    /** Queries and keys per tile: multiples of the tile's 6 rows and of its NR columns (16 or 32). */
    static final int BQ = 96, BK = 96;
    private static final VectorSpecies<Float> S = VectorExp.S;

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
        // packed operands (per head)
        float[] kRows = new float[0], vCols = new float[0], qCols = new float[0];
        float[] kCols = new float[0], kDims = new float[0], qRows = new float[0], oRows = new float[0];
        float[] qDims = new float[0], oDims = new float[0];
        // transposed results (per head)
        float[] dqT = new float[0], dkT = new float[0], dvT = new float[0];
        // one tile
        final float[] s = new float[BQ * BK], dp = new float[BQ * BK], dsT = new float[BQ * BK];
        float[] oT = new float[0];
        final float[] m = new float[BQ], mNew = new float[BQ], l = new float[BQ], corr = new float[BQ];
        final float[] scratch = new float[MR * NR];

        static float[] grow(float[] a, int n) {
            return a.length >= n ? a : new float[n];
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
        int qBase = b * lq * d, kBase = b * lk * d, d6 = roundUp(d, MR), nkt = (lk + BK - 1) / BK;
        w.kRows = Workspace.grow(w.kRows, roundUp(lk, MR) * d);
        w.vCols = Workspace.grow(w.vCols, nkt * d6 * BK);
        w.qCols = Workspace.grow(w.qCols, BQ * d);
        w.oT = Workspace.grow(w.oT, d6 * BQ);
        // K as 6-key panels (kc = d); V^T per key tile as 6-dim panels (kc = keys of the tile)
        Packing.packA(k, kBase, d, false, 0, lk, 0, d, w.kRows, 0);
        for (int t = 0; t < nkt; t++) {
            Packing.packA(v, kBase, d, true, 0, d, t * BK, Math.min(BK, lk - t * BK), w.vCols, t * d6 * BK);
        }
        for (int i0 = 0; i0 < lq; i0 += BQ) {
            int mq = Math.min(BQ, lq - i0), qPanels = (mq + NR - 1) / NR;
            Packing.packB(q, qBase + i0 * d, d, true, mq, 0, d, 0, qPanels, w.qCols); // Q^T, query panels
            java.util.Arrays.fill(w.m, Float.NEGATIVE_INFINITY);
            java.util.Arrays.fill(w.l, 0f);
            java.util.Arrays.fill(w.oT, 0, d6 * BQ, 0f);
            for (int t = 0; t < nkt; t++) {
                int j0 = t * BK, nk = Math.min(BK, lk - j0);
                for (int r0 = 0; r0 < nk; r0 += MR) { // S^T = K_j Q_i^T, query panel c at s[c*BK*NR]
                    for (int c = 0; c < qPanels; c++) {
                        MicroKernel6x16.tile(w.kRows, (j0 + r0) * d, w.qCols, c * NR * d, d,
                                w.s, c * BK * NR + r0 * NR, NR, Math.min(MR, nk - r0), NR, false, w.scratch, 0);
                    }
                }
                for (int c = 0; c < qPanels; c++) onlineSoftmaxPanel(w, c, nk, scale, d);
                for (int r0 = 0; r0 < d; r0 += MR) { // O^T += V_j^T P^T
                    for (int c = 0; c < qPanels; c++) {
                        MicroKernel6x16.tile(w.vCols, t * d6 * BK + r0 * nk, w.s, c * BK * NR, nk,
                                w.oT, r0 * BQ + c * NR, BQ, Math.min(MR, d - r0), NR, true, w.scratch, 0);
                    }
                }
            }
            for (int j = 0; j < mq; j++) {
                float inv = 1f / w.l[j];
                int oo = qBase + (i0 + j) * d;
                for (int r = 0; r < d; r++) out[oo + r] = w.oT[r * BQ + j] * inv;
                lse[b * lq + i0 + j] = w.m[j] + (float) Math.log(w.l[j]);
            }
        }
    }

    /**
     * The online softmax for query panel c (NR queries, one per vector lane) over the nk key
     * rows of S^T in w.s: m_new = max(m, max_r scale S^T[r]); P^T = e^(scale S^T - m_new) in
     * place; corr = e^(m - m_new); l = l corr + sum_r P^T[r]; the panel's columns of O^T are
     * scaled by corr. Running maxima and sums live in the small arrays, not in vector variables
     * carried around a loop (C2 then sometimes leaves the vectors boxed and falls back).
     */
    private static void onlineSoftmaxPanel(Workspace w, int c, int nk, float scale, int d) {
        int lanes = S.length(), base = c * BK * NR, q0 = c * NR;
        System.arraycopy(w.m, q0, w.mNew, q0, NR);
        for (int r = 0; r < nk; r++) { // m_new = max(m, scale S^T[r]) over the rows
            for (int h = 0; h < NR; h += lanes) {
                FloatVector row = FloatVector.fromArray(S, w.s, base + r * NR + h).mul(scale);
                FloatVector.fromArray(S, w.mNew, q0 + h).max(row).intoArray(w.mNew, q0 + h);
            }
        }
        for (int h = 0; h < NR; h += lanes) { // exponent of the correction: m - m_new
            FloatVector.fromArray(S, w.m, q0 + h).sub(FloatVector.fromArray(S, w.mNew, q0 + h)).intoArray(w.corr, q0 + h);
        }
        System.arraycopy(w.mNew, q0, w.m, q0, NR);
        VectorExp.expInPlace(w.corr, q0, q0 + NR);
        for (int r = 0; r < nk; r++) { // exponent of P^T
            for (int h = 0; h < NR; h += lanes) {
                int o = base + r * NR + h;
                FloatVector.fromArray(S, w.s, o).mul(scale).sub(FloatVector.fromArray(S, w.m, q0 + h)).intoArray(w.s, o);
            }
        }
        VectorExp.expInPlace(w.s, base, base + nk * NR);
        for (int h = 0; h < NR; h += lanes) { // l = l corr, then + each row of P^T
            FloatVector.fromArray(S, w.l, q0 + h).mul(FloatVector.fromArray(S, w.corr, q0 + h)).intoArray(w.l, q0 + h);
        }
        for (int r = 0; r < nk; r++) {
            for (int h = 0; h < NR; h += lanes) {
                FloatVector.fromArray(S, w.l, q0 + h).add(FloatVector.fromArray(S, w.s, base + r * NR + h)).intoArray(w.l, q0 + h);
            }
        }
        for (int r = 0; r < d; r++) { // O^T columns of the panel times corr
            for (int h = 0; h < NR; h += lanes) {
                int o = r * BQ + q0 + h;
                FloatVector.fromArray(S, w.oT, o).mul(FloatVector.fromArray(S, w.corr, q0 + h)).intoArray(w.oT, o);
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
        int qBase = b * lq * d, kBase = b * lk * d, d6 = roundUp(d, MR);
        int nkt = (lk + BK - 1) / BK, nqt = (lq + BQ - 1) / BQ;
        int lkPad = roundUp(lk, NR), lqPad = roundUp(lq, NR), keyPanels = lkPad / NR;
        w.kCols = Workspace.grow(w.kCols, lkPad * d);
        w.vCols = Workspace.grow(w.vCols, lkPad * d);
        w.kDims = Workspace.grow(w.kDims, nkt * d6 * BK);
        w.qRows = Workspace.grow(w.qRows, nqt * BQ * d);
        w.oRows = Workspace.grow(w.oRows, nqt * BQ * d);
        w.qDims = Workspace.grow(w.qDims, nqt * d6 * BQ);
        w.oDims = Workspace.grow(w.oDims, nqt * d6 * BQ);
        w.dqT = Workspace.grow(w.dqT, d6 * lqPad);
        w.dkT = Workspace.grow(w.dkT, d6 * lkPad);
        w.dvT = Workspace.grow(w.dvT, d6 * lkPad);
        // K^T and V^T as key panels (kc = d); K^T per key tile as 6-dim panels (kc = keys)
        Packing.packB(k, kBase, d, true, lk, 0, d, 0, keyPanels, w.kCols);
        Packing.packB(v, kBase, d, true, lk, 0, d, 0, keyPanels, w.vCols);
        for (int t = 0; t < nkt; t++) {
            Packing.packA(k, kBase, d, true, 0, d, t * BK, Math.min(BK, lk - t * BK), w.kDims, t * d6 * BK);
        }
        // Q and dO per query tile as 6-query panels (kc = d) and, transposed, as 6-dim panels (kc = queries)
        for (int t = 0; t < nqt; t++) {
            int i0 = t * BQ, mq = Math.min(BQ, lq - i0);
            Packing.packA(q, qBase, d, false, i0, mq, 0, d, w.qRows, t * BQ * d);
            Packing.packA(dout, qBase, d, false, i0, mq, 0, d, w.oRows, t * BQ * d);
            Packing.packA(q, qBase, d, true, 0, d, i0, mq, w.qDims, t * d6 * BQ);
            Packing.packA(dout, qBase, d, true, 0, d, i0, mq, w.oDims, t * d6 * BQ);
        }
        for (int kt = 0; kt < nkt; kt++) {
            int j0 = kt * BK, nk = Math.min(BK, lk - j0), kPanels = (nk + NR - 1) / NR;
            for (int qt = 0; qt < nqt; qt++) {
                int i0 = qt * BQ, mq = Math.min(BQ, lq - i0), qPanels = (mq + NR - 1) / NR;
                // S = Q_i K_j^T and dP = dO_i V_j^T, key panel c at [c*BQ*NR]
                for (int r0 = 0; r0 < mq; r0 += MR) {
                    int rows = Math.min(MR, mq - r0);
                    for (int c = 0; c < kPanels; c++) {
                        int bOff = (j0 / NR + c) * NR * d, cOff = c * BQ * NR + r0 * NR;
                        MicroKernel6x16.tile(w.qRows, qt * BQ * d + r0 * d, w.kCols, bOff, d, w.s, cOff, NR, rows, NR, false, w.scratch, 0);
                        MicroKernel6x16.tile(w.oRows, qt * BQ * d + r0 * d, w.vCols, bOff, d, w.dp, cOff, NR, rows, NR, false, w.scratch, 0);
                    }
                }
                probabilitiesAndScoreGrads(w, b * lq + i0, mq, kPanels, qPanels, lse, delta, scale);
                // dV_j^T += dO_i^T P and dK_j^T += Q_i^T dS (kc = queries)
                for (int r0 = 0; r0 < d; r0 += MR) {
                    int rows = Math.min(MR, d - r0), aOff = qt * d6 * BQ + r0 * mq;
                    for (int c = 0; c < kPanels; c++) {
                        int cOff = r0 * lkPad + j0 + c * NR;
                        MicroKernel6x16.tile(w.oDims, aOff, w.s, c * BQ * NR, mq, w.dvT, cOff, lkPad, rows, NR, qt > 0, w.scratch, 0);
                        MicroKernel6x16.tile(w.qDims, aOff, w.dp, c * BQ * NR, mq, w.dkT, cOff, lkPad, rows, NR, qt > 0, w.scratch, 0);
                    }
                }
                // dQ_i^T += K_j^T dS^T (kc = keys)
                for (int r0 = 0; r0 < d; r0 += MR) {
                    int rows = Math.min(MR, d - r0);
                    for (int c = 0; c < qPanels; c++) {
                        MicroKernel6x16.tile(w.kDims, kt * d6 * BK + r0 * nk, w.dsT, c * BK * NR, nk,
                                w.dqT, r0 * lqPad + i0 + c * NR, lqPad, rows, NR, kt > 0, w.scratch, 0);
                    }
                }
            }
        }
        for (int j = 0; j < lk; j++) {
            for (int r = 0; r < d; r++) {
                dk[kBase + j * d + r] = w.dkT[r * lkPad + j] * scale;
                dv[kBase + j * d + r] = w.dvT[r * lkPad + j];
            }
        }
        for (int i = 0; i < lq; i++) {
            for (int r = 0; r < d; r++) dq[qBase + i * d + r] = w.dqT[r * lqPad + i] * scale;
        }
    }

    /**
     * From S (w.s) and dP (w.dp) of one tile, rows r < mq, key panels c < kPanels (each
     * [BQ x NR] at c*BQ*NR): P = e^(scale S - lse) into w.s, dS = P (dP - delta) into w.dp, and
     * dS^T into w.dsT as query panels ([BK x NR] at c*BK*NR: the B panels of dQ^T += K^T dS^T).
     */
    private static void probabilitiesAndScoreGrads(Workspace w, int row0, int mq, int kPanels, int qPanels,
                                                   float[] lse, float[] delta, float scale) {
        int lanes = S.length();
        for (int c = 0; c < kPanels; c++) {
            for (int r = 0; r < mq; r++) {
                int o = c * BQ * NR + r * NR;
                float l = lse[row0 + r];
                for (int h = 0; h < NR; h += lanes) {
                    FloatVector.fromArray(S, w.s, o + h).mul(scale).sub(l).intoArray(w.s, o + h);
                }
            }
            VectorExp.expInPlace(w.s, c * BQ * NR, c * BQ * NR + mq * NR);
            for (int r = 0; r < mq; r++) {
                int o = c * BQ * NR + r * NR;
                float dl = delta[row0 + r];
                for (int h = 0; h < NR; h += lanes) {
                    FloatVector p = FloatVector.fromArray(S, w.s, o + h);
                    p.mul(FloatVector.fromArray(S, w.dp, o + h).sub(dl)).intoArray(w.dp, o + h);
                }
            }
        }
        // dS^T: element (query r, key c*NR + j) to query panel r / NR, row c*NR + j, lane r % NR;
        // the queries past mq in the last panel are zero
        for (int r = 0; r < qPanels * NR; r++) {
            int dst = (r / NR) * BK * NR + r % NR;
            if (r >= mq) {
                for (int j = 0; j < kPanels * NR; j++) w.dsT[dst + j * NR] = 0f;
                continue;
            }
            for (int c = 0; c < kPanels; c++) {
                int src = c * BQ * NR + r * NR;
                for (int j = 0; j < NR; j++) w.dsT[dst + (c * NR + j) * NR] = w.dp[src + j];
            }
        }
    }
}
