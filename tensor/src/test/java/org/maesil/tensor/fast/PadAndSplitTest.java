package org.maesil.tensor.fast;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.maesil.tensor.Conv3dGeometry;
import org.maesil.tensor.Parallel;

/**
 * The padded, phase-split input of the fast convolutions, element by element against its
 * definition: xp[.., h, ci or first ci.., (w % sW)*M + w / sW] = x[n, ci, d - pD, h - pH, w - pW], 0 outside.
 * Widths around one and two vectors (the stride-2 path copies whole vectors, then a scalar tail).
 */
class PadAndSplitTest {

    @ParameterizedTest
    @CsvSource({
            // n, cin, inD, inH, inW, k, stride, pad
            "1, 1, 2, 3, 5, 3, 1, 1",
            "2, 3, 4, 5, 32, 3, 2, 1",
            "1, 2, 3, 3, 33, 3, 2, 1",
            "1, 2, 3, 4, 64, 3, 2, 1",
            "2, 2, 3, 2, 70, 4, 2, 1",
            "1, 3, 2, 3, 31, 2, 2, 0",
            "1, 2, 5, 4, 40, 3, 3, 2",
            "2, 5, 3, 3, 37, 3, 1, 2",
    })
    void matchesTheDefinition(int n, int cin, int inD, int inH, int inW, int k, int stride, int pad) {
        Conv3dGeometry g = Conv3dGeometry.cubic(n, cin, 1, inD, inH, inW, k, stride, pad);
        float[] x = FastMatmulTest.random(g.inputSize(), 7);
        int dp = PanelConv3d.paddedD(g), hp = PanelConv3d.paddedH(g), m = PanelConv3d.phaseLength(g), len = stride * m;
        for (int threads = 1; threads <= 2; threads++) {
            try (Parallel parallel = new Parallel(threads)) {
                PanelConv3d split = new PanelConv3d(parallel);
                for (boolean channelsLast : new boolean[] {false, true}) {
                    float[] xp = split.phased(x, g, channelsLast);
                    for (int b = 0; b < n; b++)
                        for (int ci = 0; ci < cin; ci++)
                            for (int d = 0; d < dp; d++)
                                for (int h = 0; h < hp; h++)
                                    for (int w = 0; w < len; w++) {
                                        int row = channelsLast ? ((b * dp + d) * hp + h) * cin + ci : ((b * cin + ci) * dp + d) * hp + h;
                                        int at = row * len + (w % stride) * m + w / stride;
                                        int id = d - pad, ih = h - pad, iw = w - pad;
                                        boolean inside = id >= 0 && id < inD && ih >= 0 && ih < inH && iw >= 0 && iw < inW;
                                        float want = inside ? x[(((b * cin + ci) * inD + id) * inH + ih) * inW + iw] : 0f;
                                        assertThat(xp[at]).as("threads %d, channels %s, n %d ci %d d %d h %d w %d",
                                                threads, channelsLast ? "last" : "first", b, ci, d, h, w).isEqualTo(want);
                                    }
                }
            }
        }
    }
}
