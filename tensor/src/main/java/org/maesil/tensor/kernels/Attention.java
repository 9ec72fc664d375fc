package org.maesil.tensor.kernels;

/**
 * Multi-head scaled-dot-product softmax attention, forward and backward, one row per index.
 *
 * <p>Layout: q is [bh, lq, d], k and v are [bh, lk, d], out and dout are [bh, lq, d], lse and
 * delta are [bh, lq]; bh = batch * heads, row-major. Scores are s_ij = scale * (q_i . k_j) and
 * P_ij = softmax_j(s_ij).
 *
 * <p>Forward: each query row walks the keys in tiles of {@link #KEY_TILE} with an online
 * softmax: it keeps the running maximum m and the running sum l of exp(s - m), and rescales its
 * output accumulator by exp(m_old - m_new) whenever a tile raises the maximum. No score matrix
 * is stored: besides the inputs and outputs, the forward pass keeps only lse ([bh, lq] floats,
 * the log-sum-exp of each score row) and a few scalars per query row, so memory is linear in
 * the sequence length. Scores are computed twice per tile (once for the tile maximum, once to
 * accumulate) because a kernel may not hold a local array of the tile's scores.
 *
 * <p>Backward (FlashAttention-2 without atomics): P_ij = exp(s_ij - lse_i) is recomputed from
 * lse, delta_i = sum_t dout_it out_it, dP_ij = dout_i . v_j, and
 * dq_i = scale sum_j P_ij (dP_ij - delta_i) k_j (one query row per index),
 * dk_j = scale sum_i P_ij (dP_ij - delta_i) q_i and dv_j = sum_i P_ij dout_i (one key row per
 * index). Each output row is written by exactly one index, so no two indices ever write to the
 * same element. Extra memory: delta, [bh, lq] floats.
 *
 * <p>Memory bound: inputs and outputs take (2 lq + 2 lk) bh d floats forward and twice that
 * backward; the only other arrays are lse and delta, bh lq floats each. Nothing grows with
 * lq * lk: a 4096-token sequence needs 4096 extra floats per head, not 4096^2.
 *
 * <p>Scalars (dot products, the running maximum and sum, probabilities) are kept in double,
 * rows in float: each output element is rounded to float once per accumulation step. This keeps
 * the error of d = 64 dot products (about 1e-6 relative in float) out of the exponentials.
 *
 * <p>Sums run in a fixed order (t = 0..d-1 for dot products, keys or queries in ascending
 * order), so results do not depend on how the index space is split across threads.
 */
public final class Attention {
    private Attention() {}

    /** Keys per tile of the online softmax: the running maximum is updated once per tile. */
    public static final int KEY_TILE = 64;

    /** a[aOff .. aOff+d) . b[bOff .. bOff+d), summed in double in the order t = 0..d-1. */
    static double dotProduct(float[] a, int aOff, float[] b, int bOff, int d) {
        double sum = 0.0;
        for (int t = 0; t < d; t++) {
            sum += (double) a[aOff + t] * b[bOff + t];
        }
        return sum;
    }

    /**
     * out[row] = sum_j softmax_j(scale q[row] . k_j) v_j and lse[row] = log sum_j exp(scale q[row] . k_j),
     * keys j of the row's (batch, head); row in [0, bh * lq), lk >= 1.
     */
    public static void attentionForwardRow(float[] q, float[] k, float[] v, float[] out, float[] lse,
                                           int lq, int lk, int d, float scale, int row) {
        int qOff = row * d;
        int kvBase = (row / lq) * lk * d;
        for (int t = 0; t < d; t++) {
            out[qOff + t] = 0f;
        }
        // -Double.MAX_VALUE, not Double.NEGATIVE_INFINITY: TornadoVM 5.2 emits a double infinity
        // as the float expression -1.0F/0.0F, and OpenCL then rejects fmax(float, double)
        double runningMax = -Double.MAX_VALUE;
        double runningSum = 0.0;
        for (int tileStart = 0; tileStart < lk; tileStart += KEY_TILE) {
            int tileEnd = Math.min(tileStart + KEY_TILE, lk);
            // pass 1: the largest score of this tile
            double tileMax = -Double.MAX_VALUE;
            for (int j = tileStart; j < tileEnd; j++) {
                double s = scale * dotProduct(q, qOff, k, kvBase + j * d, d);
                tileMax = Math.max(tileMax, s);
            }
            // rescale what was accumulated so far to the new maximum
            if (tileMax > runningMax) {
                double correction = Math.exp(runningMax - tileMax);
                runningSum *= correction;
                for (int t = 0; t < d; t++) {
                    out[qOff + t] = (float) (out[qOff + t] * correction);
                }
                runningMax = tileMax;
            }
            // pass 2: accumulate exp(s - m) and exp(s - m) v_j
            for (int j = tileStart; j < tileEnd; j++) {
                double s = scale * dotProduct(q, qOff, k, kvBase + j * d, d);
                double p = Math.exp(s - runningMax);
                runningSum += p;
                int vOff = kvBase + j * d;
                for (int t = 0; t < d; t++) {
                    out[qOff + t] = (float) (out[qOff + t] + p * v[vOff + t]);
                }
            }
        }
        double inv = 1.0 / runningSum;
        for (int t = 0; t < d; t++) {
            out[qOff + t] = (float) (out[qOff + t] * inv);
        }
        lse[row] = (float) (runningMax + Math.log(runningSum));
    }

    /** delta[row] = sum_t dout[row, t] * out[row, t]; row in [0, bh * lq). */
    public static void attentionDeltaRow(float[] dout, float[] out, float[] delta, int d, int row) {
        delta[row] = (float) dotProduct(dout, row * d, out, row * d, d);
    }

    /**
     * dq[row] = scale sum_j P_ij (dout_i . v_j - delta_i) k_j with P_ij = exp(scale q_i . k_j - lse_i),
     * i = row in [0, bh * lq), keys j of the row's (batch, head).
     */
    public static void attentionGradQueryRow(float[] q, float[] k, float[] v, float[] dout, float[] lse,
                                             float[] delta, float[] dq, int lq, int lk, int d, float scale,
                                             int row) {
        int qOff = row * d;
        int kvBase = (row / lq) * lk * d;
        double lseRow = lse[row];
        double deltaRow = delta[row];
        for (int t = 0; t < d; t++) {
            dq[qOff + t] = 0f;
        }
        for (int j = 0; j < lk; j++) {
            int kvOff = kvBase + j * d;
            double p = Math.exp(scale * dotProduct(q, qOff, k, kvOff, d) - lseRow);
            double dp = dotProduct(dout, qOff, v, kvOff, d);
            double ds = p * (dp - deltaRow);
            for (int t = 0; t < d; t++) {
                dq[qOff + t] = (float) (dq[qOff + t] + ds * k[kvOff + t]);
            }
        }
        for (int t = 0; t < d; t++) {
            dq[qOff + t] *= scale;
        }
    }

    /**
     * dk[row] = scale sum_i P_ij (dout_i . v_j - delta_i) q_i and dv[row] = sum_i P_ij dout_i,
     * j = row in [0, bh * lk), queries i of the row's (batch, head).
     */
    public static void attentionGradKeyValueRow(float[] q, float[] k, float[] v, float[] dout, float[] lse,
                                                float[] delta, float[] dk, float[] dv,
                                                int lq, int lk, int d, float scale, int row) {
        int kvOff = row * d;
        int qRowBase = (row / lk) * lq;
        for (int t = 0; t < d; t++) {
            dk[kvOff + t] = 0f;
            dv[kvOff + t] = 0f;
        }
        for (int i = 0; i < lq; i++) {
            int qRow = qRowBase + i;
            int qOff = qRow * d;
            double p = Math.exp(scale * dotProduct(q, qOff, k, kvOff, d) - lse[qRow]);
            double dp = dotProduct(dout, qOff, v, kvOff, d);
            double ds = p * (dp - delta[qRow]);
            for (int t = 0; t < d; t++) {
                dv[kvOff + t] = (float) (dv[kvOff + t] + p * dout[qOff + t]);
                dk[kvOff + t] = (float) (dk[kvOff + t] + ds * q[qOff + t]);
            }
        }
        for (int t = 0; t < d; t++) {
            dk[kvOff + t] *= scale;
        }
    }
}
