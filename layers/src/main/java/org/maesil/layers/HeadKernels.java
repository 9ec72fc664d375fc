package org.maesil.layers;

/**
 * Index shuffles between the token layout [B, L, D] of a transformer and the per-head layout
 * [B*H, L, hd] of the attention kernel (D = H * hd; channel c = h * hd + j, as timm's
 * {@code reshape(B, L, 3, H, hd).permute(2, 0, 3, 1, 4)}). Kernels in the engine's style: each
 * computes one output element from its index; the loops here run them on the calling thread
 * (they move O(B L D) floats, small beside the O(B L D^2) projections around them). The row
 * kernels copy with System.arraycopy: written as float loops they took 7% of the samples of the
 * small MAE training step (JFR), as copies 0.3%.
 */
final class HeadKernels {
    private HeadKernels() {}

    /** q/k/v[bh, l, j] = qkv[b, l, s*D + h*hd + j] (s = 0, 1, 2) for output element i of [B*H, L, hd]. */
    static void splitQkvElement(float[] qkv, float[] q, float[] k, float[] v, int i, int L, int H, int hd) {
        int D = H * hd;
        int j = i % hd;
        int l = (i / hd) % L;
        int bh = i / (hd * L);
        int b = bh / H;
        int h = bh % H;
        int src = (b * L + l) * 3 * D + h * hd + j;
        q[i] = qkv[src];
        k[i] = qkv[src + D];
        v[i] = qkv[src + 2 * D];
    }

    /** dqkv[b, l, s*D + c] = dq/dk/dv[b*H + c/hd, l, c%hd] for output row (b, l) = r of [B*L, 3D]. */
    static void mergeQkvRow(float[] dq, float[] dk, float[] dv, float[] dqkv, int r, int L, int H, int hd) {
        int D = H * hd;
        int b = r / L;
        int l = r % L;
        for (int c = 0; c < D; c++) {
            int src = ((b * H + c / hd) * L + l) * hd + c % hd;
            dqkv[r * 3 * D + c] = dq[src];
            dqkv[r * 3 * D + D + c] = dk[src];
            dqkv[r * 3 * D + 2 * D + c] = dv[src];
        }
    }

    /** y[b, l, h*hd + j] = o[b*H + h, l, j] for output element i of [B, L, D]. */
    static void mergeHeadsElement(float[] o, float[] y, int i, int L, int H, int hd) {
        int D = H * hd;
        int c = i % D;
        int l = (i / D) % L;
        int b = i / (D * L);
        y[i] = o[((b * H + c / hd) * L + l) * hd + c % hd];
    }

    /** o[bh, l, j] = y[b, l, h*hd + j] for output element i of [B*H, L, hd] (adjoint of merge). */
    static void splitHeadsElement(float[] y, float[] o, int i, int L, int H, int hd) {
        int D = H * hd;
        int j = i % hd;
        int l = (i / hd) % L;
        int bh = i / (hd * L);
        o[i] = y[((bh / H) * L + l) * D + (bh % H) * hd + j];
    }

    /** q/k/v[bh, l, 0..hd) = qkv[b, l, s*D + h*hd + 0..hd) for output row r = bh*L + l (one row of hd floats, s = 0, 1, 2). */
    static void splitQkvRow(float[] qkv, float[] q, float[] k, float[] v, int r, int L, int H, int hd) {
        int D = H * hd;
        int l = r % L;
        int bh = r / L;
        int src = ((bh / H) * L + l) * 3 * D + (bh % H) * hd;
        int dst = r * hd;
        System.arraycopy(qkv, src, q, dst, hd);
        System.arraycopy(qkv, src + D, k, dst, hd);
        System.arraycopy(qkv, src + 2 * D, v, dst, hd);
    }

    /** dqkv[b, l, s*D + h*hd + 0..hd) = dq/dk/dv[b*H + h, l, 0..hd) for input row r = (b*H + h)*L + l (the adjoint of splitQkvRow). */
    static void mergeQkvHeadRow(float[] dq, float[] dk, float[] dv, float[] dqkv, int r, int L, int H, int hd) {
        int D = H * hd;
        int l = r % L;
        int bh = r / L;
        int dst = ((bh / H) * L + l) * 3 * D + (bh % H) * hd;
        int src = r * hd;
        System.arraycopy(dq, src, dqkv, dst, hd);
        System.arraycopy(dk, src, dqkv, dst + D, hd);
        System.arraycopy(dv, src, dqkv, dst + 2 * D, hd);
    }

    /** y[b, l, h*hd + 0..hd) = o[b*H + h, l, 0..hd) for row r = (b*H + h)*L + l of o (one head's slice of a token). */
    static void mergeHeadsRow(float[] o, float[] y, int r, int L, int H, int hd) {
        int D = H * hd;
        int l = r % L;
        int bh = r / L;
        int dst = ((bh / H) * L + l) * D + (bh % H) * hd;
        int src = r * hd;
        System.arraycopy(o, src, y, dst, hd);
    }

    /** o[bh, l, 0..hd) = y[b, l, h*hd + 0..hd) for output row r = bh*L + l (adjoint of mergeHeadsRow). */
    static void splitHeadsRow(float[] y, float[] o, int r, int L, int H, int hd) {
        int D = H * hd;
        int l = r % L;
        int bh = r / L;
        int src = ((bh / H) * L + l) * D + (bh % H) * hd;
        int dst = r * hd;
        System.arraycopy(y, src, o, dst, hd);
    }

    // The loops below run the row kernels (hd contiguous floats each); the element kernels above
    // state the same index maps one float at a time (HeadKernelsTest checks they agree).

    static void splitQkv(float[] qkv, float[] q, float[] k, float[] v, int B, int L, int H, int hd) {
        for (int r = 0; r < B * H * L; r++) splitQkvRow(qkv, q, k, v, r, L, H, hd);
    }

    static void mergeQkv(float[] dq, float[] dk, float[] dv, float[] dqkv, int B, int L, int H, int hd) {
        for (int r = 0; r < B * H * L; r++) mergeQkvHeadRow(dq, dk, dv, dqkv, r, L, H, hd);
    }

    static void mergeHeads(float[] o, float[] y, int B, int L, int H, int hd) {
        for (int r = 0; r < B * H * L; r++) mergeHeadsRow(o, y, r, L, H, hd);
    }

    static void splitHeads(float[] y, float[] o, int B, int L, int H, int hd) {
        for (int r = 0; r < B * H * L; r++) splitHeadsRow(y, o, r, L, H, hd);
    }
}
