package org.maesil.layers;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The row loops of HeadKernels move the same floats as the element kernels (awkward sizes). */
class HeadKernelsTest {

    private static float[] ramp(int n, float start) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = start + i * 0.25f;
        return a;
    }

    @Test
    void rowLoopsAgreeWithTheElementKernels() {
        int B = 2, L = 7, H = 3, hd = 5, D = H * hd, n = B * L * D;
        float[] qkv = ramp(3 * n, -3f);
        float[] q = new float[n], k = new float[n], v = new float[n];
        float[] qr = new float[n], kr = new float[n], vr = new float[n];
        HeadKernels.splitQkv(qkv, q, k, v, B, L, H, hd);
        for (int i = 0; i < n; i++) HeadKernels.splitQkvElement(qkv, qr, kr, vr, i, L, H, hd);
        assertThat(q).containsExactly(qr);
        assertThat(k).containsExactly(kr);
        assertThat(v).containsExactly(vr);

        float[] dqkv = new float[3 * n], dqkvRef = new float[3 * n];
        HeadKernels.mergeQkv(q, k, v, dqkv, B, L, H, hd);
        for (int r = 0; r < B * L; r++) HeadKernels.mergeQkvRow(q, k, v, dqkvRef, r, L, H, hd);
        assertThat(dqkv).containsExactly(dqkvRef).containsExactly(qkv);

        float[] o = ramp(n, 1f), y = new float[n], yRef = new float[n];
        HeadKernels.mergeHeads(o, y, B, L, H, hd);
        for (int i = 0; i < n; i++) HeadKernels.mergeHeadsElement(o, yRef, i, L, H, hd);
        assertThat(y).containsExactly(yRef);

        float[] back = new float[n], backRef = new float[n];
        HeadKernels.splitHeads(y, back, B, L, H, hd);
        for (int i = 0; i < n; i++) HeadKernels.splitHeadsElement(y, backRef, i, L, H, hd);
        assertThat(back).containsExactly(backRef).containsExactly(o);
    }
}
