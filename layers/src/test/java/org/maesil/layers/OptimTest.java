package org.maesil.layers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.maesil.layers.optim.AdamW;
import org.maesil.layers.optim.Gradients;
import org.maesil.layers.optim.WarmupCosineSchedule;
import org.maesil.tensor.Backend;
import org.maesil.tensor.JavaBackend;
import org.maesil.tensor.Tensor;

/** Schedule shape, AdamW against a scalar float64 re-computation, gradient norm and finiteness. */
class OptimTest {

    @Test
    void warmupThenCosine() {
        WarmupCosineSchedule s = new WarmupCosineSchedule(1e-3, 1e-5, 5, 45);
        assertThat(s.lr(0)).isEqualTo(0);
        assertThat(s.lr(2.5)).isCloseTo(5e-4, within(1e-15));
        assertThat(s.lr(5)).isCloseTo(1e-3, within(1e-15));
        assertThat(s.lr(25)).isCloseTo((1e-3 + 1e-5) / 2, within(1e-15)); // half way through the cosine
        assertThat(s.lr(45)).isCloseTo(1e-5, within(1e-15));
        assertThat(s.lr(100)).isCloseTo(1e-5, within(1e-15));
        double prev = s.lr(5);
        for (double t = 5.25; t <= 45; t += 0.25) {
            assertThat(s.lr(t)).isLessThanOrEqualTo(prev);
            prev = s.lr(t);
        }
        assertThat(WarmupCosineSchedule.epochs(30, 20)).isEqualTo(1.5);
        assertThatThrownBy(() -> new WarmupCosineSchedule(1e-3, 0, 5, 5)).hasMessageContaining("warmup < total");
    }

    @Test
    void adamwMatchesScalarFormula() {
        try (Backend be = new JavaBackend(1)) {
            Parameter w = new Parameter("w", new Tensor(new float[] {0.5f, -1.0f, 2.0f}, 3), true);
            Parameter b = new Parameter("b", new Tensor(new float[] {0.25f}, 1), false);
            AdamW opt = new AdamW(be, List.of(w, b), 0.9f, 0.95f, 1e-8f, 0.1f);
            double[] p = {0.5, -1.0, 2.0, 0.25};
            double[] m = new double[4], v = new double[4];
            float[][] grads = {{0.1f, -0.2f, 0.3f, 1.0f}, {-0.05f, 0.4f, 0.0f, -2.0f}, {0.2f, 0.2f, -0.1f, 0.5f}};
            double[] lrs = {0.0, 0.01, 0.005};
            for (int t = 1; t <= 3; t++) {
                float[] g = grads[t - 1];
                System.arraycopy(g, 0, w.grad.data, 0, 3);
                b.grad.data[0] = g[3];
                opt.step(lrs[t - 1]);
                for (int i = 0; i < 4; i++) {
                    double wd = i < 3 ? 0.1 : 0.0;
                    m[i] = 0.9 * m[i] + 0.1 * g[i];
                    v[i] = 0.95 * v[i] + 0.05 * g[i] * g[i];
                    double mh = m[i] / (1 - Math.pow(0.9, t));
                    double vh = v[i] / (1 - Math.pow(0.95, t));
                    p[i] -= lrs[t - 1] * (mh / (Math.sqrt(vh) + 1e-8) + wd * p[i]);
                }
            }
            for (int i = 0; i < 3; i++) assertThat((double) w.value.data[i]).isCloseTo(p[i], within(1e-6));
            assertThat((double) b.value.data[0]).isCloseTo(p[3], within(1e-6));
            assertThat(opt.stepCount()).isEqualTo(3);
        }
    }

    @Test
    void globalNormClipAndNonFinite() {
        try (Backend be = new JavaBackend(2)) {
            Parameter a = new Parameter("a", new Tensor(3, 4), true);
            Parameter c = new Parameter("c", new Tensor(5), false);
            double sum = 0;
            for (int i = 0; i < 12; i++) { a.grad.data[i] = 0.5f * i - 2; sum += (double) a.grad.data[i] * a.grad.data[i]; }
            for (int i = 0; i < 5; i++) { c.grad.data[i] = 1.5f - i; sum += (double) c.grad.data[i] * c.grad.data[i]; }
            List<Parameter> ps = List.of(a, c);
            assertThat(Gradients.globalNorm(be, ps)).isCloseTo(Math.sqrt(sum), within(1e-9));
            assertThat(Gradients.firstNonFinite(be, ps, true)).isNull();
            double before = Gradients.clipGlobalNorm(be, ps, 1.0);
            assertThat(before).isCloseTo(Math.sqrt(sum), within(1e-9));
            assertThat(Gradients.globalNorm(be, ps)).isCloseTo(1.0, within(1e-5));
            c.grad.data[3] = Float.NaN;
            assertThat(Gradients.firstNonFinite(be, ps, true)).isEqualTo("c");
            assertThat(Gradients.globalNorm(be, ps)).isNaN();
            c.grad.data[3] = 0;
            a.value.data[7] = Float.POSITIVE_INFINITY;
            assertThat(Gradients.firstNonFinite(be, ps, true)).isNull();
            assertThat(Gradients.firstNonFinite(be, ps, false)).isEqualTo("a");
        }
    }
}
