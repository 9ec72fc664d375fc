package org.maesil.layers;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.maesil.layers.init.Init;
import org.maesil.tensor.Backend;
import org.maesil.tensor.JavaBackend;
import org.maesil.tensor.Tensor;

/**
 * Each layer's backward against central finite differences of a float64 loss
 * L = sum_i w_i y_i (w fixed random, so dL/dy = w) on tiny shapes. The float32 forward limits
 * the accuracy: eps = 1e-2 on O(1) values, and up to 16 sampled elements of the input and of each
 * parameter. Error: max |fd - analytic| over the sampled elements / max |analytic| over the whole
 * gradient tensor; bound 2e-3.
 */
class GradientCheckTest {
    static final double EPS = 1e-2;
    static final double TOL = 2e-3;
    static final int SAMPLES = 16;
    static Backend be;

    @BeforeAll
    static void start() { be = new JavaBackend(2); }

    @AfterAll
    static void stop() { be.close(); }

    static Tensor random(SplittableRandom rng, double scale, int... shape) {
        Tensor t = new Tensor(shape);
        Init.normal(t, 0, scale, rng);
        return t;
    }

    /** Gives layer-norm scales and every bias non-trivial values, so their gradients are exercised. */
    static void perturbParameters(Layer layer, SplittableRandom rng) {
        for (Parameter p : layer.parameters()) {
            if (p.value.rank() == 1) {
                for (int i = 0; i < p.size(); i++) p.value.data[i] += (float) (0.2 * rng.nextGaussian());
            }
        }
    }

    static double loss(Layer layer, Tensor x, float[] w) {
        Tensor y = layer.forward(x);
        double s = 0;
        for (int i = 0; i < w.length; i++) s += (double) w[i] * y.data[i];
        return s;
    }

    /** Returns the worst error over the input and all parameters, printing one line per tensor. */
    static double check(String what, Layer layer, Tensor x, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Tensor y0 = layer.forward(x);
        float[] w = random(rng, 1.0, y0.shape()).data;
        Tensor dx = layer.backward(new Tensor(w.clone(), y0.shape()));
        List<String> names = new ArrayList<>();
        List<Tensor> values = new ArrayList<>();
        List<float[]> grads = new ArrayList<>();
        names.add("x");
        values.add(x);
        grads.add(dx.data.clone());
        for (Parameter p : layer.parameters()) {
            names.add(p.name);
            values.add(p.value);
            grads.add(p.grad.data.clone());
        }
        double worst = 0;
        for (int t = 0; t < values.size(); t++) {
            float[] v = values.get(t).data;
            float[] g = grads.get(t);
            double scale = 0;
            for (float gi : g) scale = Math.max(scale, Math.abs(gi));
            double err = 0;
            int n = Math.min(SAMPLES, v.length);
            for (int s = 0; s < n; s++) {
                int i = v.length <= SAMPLES ? s : rng.nextInt(v.length);
                float old = v[i];
                v[i] = (float) (old + EPS);
                double up = loss(layer, x, w);
                double hUp = (double) v[i] - old;
                v[i] = (float) (old - EPS);
                double down = loss(layer, x, w);
                double hDown = old - (double) v[i];
                v[i] = old;
                double fd = (up - down) / (hUp + hDown);
                err = Math.max(err, Math.abs(fd - g[i]));
            }
            double rel = err / Math.max(scale, 1e-6);
            System.out.printf("fd %-28s %-26s relErr %.2e (max |grad| %.3g)%n", what, names.get(t), rel, scale);
            assertThat(scale).as(what + " " + names.get(t) + " gradient is not all zero").isGreaterThan(0);
            worst = Math.max(worst, rel);
        }
        return worst;
    }

    static void assertGood(String what, Layer layer, Tensor x, long seed) {
        assertThat(check(what, layer, x, seed)).as(what + " worst finite-difference error").isLessThanOrEqualTo(TOL);
    }

    @Test
    void linear() {
        SplittableRandom rng = new SplittableRandom(1);
        Linear l = new Linear(be, "fc", 6, 4, true, rng);
        perturbParameters(l, rng);
        assertGood("Linear", l, random(rng, 1, 2, 3, 6), 11);
    }

    @Test
    void layerNorm() {
        SplittableRandom rng = new SplittableRandom(2);
        LayerNorm l = new LayerNorm(be, "norm", 8, 1e-6f);
        perturbParameters(l, rng);
        assertGood("LayerNorm", l, random(rng, 1, 5, 8), 12);
    }

    @Test
    void gelu() {
        SplittableRandom rng = new SplittableRandom(3);
        Gelu g = new Gelu(be);
        Tensor x = random(rng, 2, 3, 7);
        // no parameters: only the input gradient
        assertGood("Gelu", g, x, 13);
    }

    @Test
    void relu() {
        SplittableRandom rng = new SplittableRandom(31);
        Relu r = new Relu(be);
        Tensor x = random(rng, 2, 3, 7);
        for (int i = 0; i < x.size(); i++) { // keep the inputs off the kink, where no difference quotient holds
            if (Math.abs(x.data[i]) < 0.05f) x.data[i] = x.data[i] < 0 ? -0.05f : 0.05f;
        }
        assertGood("Relu", r, x, 13);
    }

    @Test
    void mlp() {
        SplittableRandom rng = new SplittableRandom(4);
        Mlp m = new Mlp(be, "mlp", 6, 12, rng);
        perturbParameters(m, rng);
        assertGood("Mlp", m, random(rng, 1, 2, 3, 6), 14);
    }

    @Test
    void attention() {
        SplittableRandom rng = new SplittableRandom(5);
        MultiHeadSelfAttention a = new MultiHeadSelfAttention(be, "attn", 8, 2, true, rng);
        perturbParameters(a, rng);
        // the key third of qkv.bias has an exactly zero gradient (softmax is shift invariant);
        // sampled elements there are compared with a finite difference of ~0 like any other
        assertGood("MultiHeadSelfAttention", a, random(rng, 1, 2, 5, 8), 15);
    }

    @Test
    void transformerBlock() {
        SplittableRandom rng = new SplittableRandom(6);
        TransformerBlock b = new TransformerBlock(be, "blocks.0", 8, 2, rng);
        perturbParameters(b, rng);
        assertGood("TransformerBlock", b, random(rng, 1, 2, 4, 8), 16);
    }

    @Test
    void conv3d() {
        SplittableRandom rng = new SplittableRandom(7);
        Conv3d c = new Conv3d(be, "conv", 2, 3, 3, 2, 1, true, rng);
        perturbParameters(c, rng);
        assertGood("Conv3d k3 s2 p1", c, random(rng, 1, 2, 2, 5, 4, 6), 17);
    }

    @Test
    void convTranspose3d() {
        SplittableRandom rng = new SplittableRandom(8);
        ConvTranspose3d c = new ConvTranspose3d(be, "deconv", 3, 2, 3, 2, 1, 1, true, rng);
        perturbParameters(c, rng);
        assertGood("ConvTranspose3d k3 s2 p1 op1", c, random(rng, 1, 2, 3, 3, 2, 4), 18);
    }

    @Test
    void sequentialConvStack() {
        SplittableRandom rng = new SplittableRandom(9);
        Sequential s = new Sequential(
                new Conv3d(be, "enc.0", 1, 4, 2, 2, 0, true, rng),
                new Gelu(be),
                new ConvTranspose3d(be, "dec.0", 4, 1, 2, 2, 0, 0, true, rng));
        perturbParameters(s, rng);
        assertGood("Sequential conv-gelu-convT", s, random(rng, 1, 1, 1, 4, 4, 6), 19);
    }
}
