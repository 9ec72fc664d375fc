package org.maesil.tensor.fast;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.maesil.tensor.Conv3dGeometry;

/** The panels packed straight from the volume equal Packing.packB's panels of the unfolded patch matrix, element for element. */
class PatchPanelsTest {
    @ParameterizedTest
    @CsvSource({
            // n, cin, inD, inH, inW, kD, kH, kW (stride = kernel, no padding; sizes not multiples of the kernel are cut)
            "2, 1, 16, 16, 16, 4, 4, 4",
            "2, 2, 16, 24, 72, 8, 8, 8",
            "1, 3, 5, 7, 9, 2, 3, 1",
            // dW panels copied by runs of taps (kW a multiple of half a vector): runs of 4, 8 and 16
            // floats, the last patch's runs near the end of the volume
            "2, 1, 8, 8, 40, 4, 4, 4",
            "1, 1, 16, 16, 48, 2, 2, 16",
    })
    void equalsThePanelsOfTheUnfoldedPatchMatrix(int n, int cin, int inD, int inH, int inW, int kD, int kH, int kW) {
        Conv3dGeometry g = new Conv3dGeometry(n, cin, 1, inD, inH, inW, kD, kH, kW, kD, kH, kW, 0, 0, 0);
        float[] x = FastMatmulTest.random(g.inputSize(), 5);
        int patches = g.outD() * g.outH() * g.outW(), taps = cin * kD * kH * kW, nr = MicroKernel6x16.NR;
        for (int s = 0; s < n; s++) {
            float[] p = new float[patches * taps]; // P[i, t] by its definition
            for (int od = 0, i = 0; od < g.outD(); od++)
                for (int oh = 0; oh < g.outH(); oh++)
                    for (int ow = 0; ow < g.outW(); ow++, i++)
                        for (int ci = 0, t = 0; ci < cin; ci++)
                            for (int kd = 0; kd < kD; kd++)
                                for (int kh = 0; kh < kH; kh++)
                                    for (int kw = 0; kw < kW; kw++, t++)
                                        p[i * taps + t] = x[(((s * cin + ci) * inD + od * kD + kd) * inH + oh * kH + kh) * inW + ow * kW + kw];
            for (boolean transposed : new boolean[] {true, false}) {
                int rows = transposed ? taps : patches, cols = transposed ? patches : taps;
                int panels = (cols + nr - 1) / nr, p0 = rows / 3, kc = rows - p0; // a block that starts inside
                float[] want = new float[panels * nr * kc + 3], got = new float[want.length];
                java.util.Arrays.fill(got, 7f);
                Packing.packB(p, 0, taps, transposed, cols, p0, kc, 0, panels, want, 3);
                PatchPanels source = new PatchPanels(x, s, g, transposed);
                assertThat(source.columns()).isEqualTo(cols);
                source.pack(p0, kc, 0, panels, got, 3);
                for (int i = 3; i < want.length; i++) {
                    assertThat(got[i]).as("sample %d, transposed %s, element %d", s, transposed, i).isEqualTo(want[i]);
                }
            }
        }
    }
}
