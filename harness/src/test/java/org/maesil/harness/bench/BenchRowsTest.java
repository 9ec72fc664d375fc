package org.maesil.harness.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BenchRowsTest {
    @Test
    void reluGradientMaskKeepsExactlyThePositiveInputs() {
        float[] h = {1f, -1f, 0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE, Float.NEGATIVE_INFINITY,
                Float.POSITIVE_INFINITY, 3e-39f, -2.5f};
        float[] dh = new float[h.length], want = new float[h.length];
        for (int i = 0; i < h.length; i++) {
            dh[i] = i + 0.5f;
            want[i] = h[i] > 0f ? dh[i] : 0f;
        }
        BenchRows.reluGradientMask(h, dh);
        assertThat(dh).containsExactly(want);
    }
}
