package org.maesil.layers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.maesil.layers.init.Init;
import org.maesil.tensor.JavaBackend;
import org.maesil.tensor.Tensor;

/** Initialisers: ranges, moments, seeding, and the default init of the layers. */
class InitTest {

    static double[] meanStd(float[] a) {
        double s = 0, s2 = 0;
        for (float f : a) { s += f; s2 += (double) f * f; }
        double mean = s / a.length;
        return new double[] {mean, Math.sqrt(s2 / a.length - mean * mean)};
    }

    static double maxAbs(float[] a) {
        double m = 0;
        for (float f : a) m = Math.max(m, Math.abs(f));
        return m;
    }

    @Test
    void xavierUniformBoundAndVariance() {
        Tensor w = new Tensor(300, 200);
        Init.xavierUniform(w, new SplittableRandom(1));
        double bound = Math.sqrt(6.0 / 500);
        assertThat(maxAbs(w.data)).isLessThanOrEqualTo(bound).isGreaterThan(0.99 * bound);
        double[] ms = meanStd(w.data);
        assertThat(ms[0]).isCloseTo(0, within(0.01 * bound));
        assertThat(ms[1]).isCloseTo(bound / Math.sqrt(3), within(0.01 * bound));
    }

    @Test
    void xavierFansFromShapeAsTorch() {
        // Conv3d weight [cout=4, cin=3, 3, 3, 3]: fanIn = 3 * 27, fanOut = 4 * 27
        Tensor w = new Tensor(4, 3, 3, 3, 3);
        Init.xavierUniform(w, new SplittableRandom(2));
        double bound = Math.sqrt(6.0 / (81 + 108));
        assertThat(maxAbs(w.data)).isLessThanOrEqualTo(bound).isGreaterThan(0.9 * bound);
    }

    @Test
    void truncNormalStdAndCut() {
        Tensor t = new Tensor(200_000);
        Init.truncNormal02(t, new SplittableRandom(3));
        double[] ms = meanStd(t.data);
        assertThat(ms[0]).isCloseTo(0, within(3e-4));
        assertThat(ms[1]).isCloseTo(0.02, within(3e-4));
        Tensor narrow = new Tensor(20_000);
        Init.truncNormal(narrow, 0, 1, -0.5, 0.5, new SplittableRandom(4));
        assertThat(maxAbs(narrow.data)).isLessThanOrEqualTo(0.5);
        // a normal cut at +-0.5 std has std 0.28388 (scipy truncnorm(-0.5, 0.5).std())
        assertThat(meanStd(narrow.data)[1]).isCloseTo(0.28388, within(0.004));
    }

    @Test
    void seedFixesWeightsAndLayersInitLikeMae() {
        try (JavaBackend be = new JavaBackend(1)) {
            TransformerBlock a = new TransformerBlock(be, "b", 16, 4, new SplittableRandom(7));
            TransformerBlock b = new TransformerBlock(be, "b", 16, 4, new SplittableRandom(7));
            TransformerBlock c = new TransformerBlock(be, "b", 16, 4, new SplittableRandom(8));
            for (int i = 0; i < a.parameters().size(); i++) {
                assertThat(a.parameters().get(i).value.data).isEqualTo(b.parameters().get(i).value.data);
            }
            assertThat(a.attn.qkv.weight.value.data).isNotEqualTo(c.attn.qkv.weight.value.data);
            assertThat(a.norm1.weight.value.data).containsOnly(1f);
            assertThat(a.norm1.bias.value.data).containsOnly(0f);
            assertThat(a.mlp.fc1.bias.value.data).containsOnly(0f);
            assertThat(maxAbs(a.mlp.fc1.weight.value.data)).isLessThanOrEqualTo(Math.sqrt(6.0 / (16 + 64)));
            assertThat(maxAbs(a.attn.qkv.weight.value.data)).isLessThanOrEqualTo(Math.sqrt(6.0 / (16 + 48)));
        }
    }
}
