package org.maesil.tensor.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.maesil.tensor.kernels.ReferenceMath.maxRelError;
import static org.maesil.tensor.kernels.ReferenceMath.toDouble;

import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.maesil.tensor.JavaBackend;

/** The tiled online-softmax attention kernels against the naive float64 softmax(QK^T)V. */
class AttentionTest {
    private static JavaBackend one;
    private static JavaBackend two;

    @BeforeAll
    static void start() {
        one = new JavaBackend(1, false);
        two = new JavaBackend(2, false);
    }

    @AfterAll
    static void stop() {
        one.close();
        two.close();
    }

    /** q, k, v, dout of one test case, and the results of both passes. */
    private record Case(int bh, int lq, int lk, int d, float scale, float[] q, float[] k, float[] v, float[] dout) {
        static Case random(int bh, int lq, int lk, int d, long seed, double sigma) {
            Random rnd = new Random(seed);
            return new Case(bh, lq, lk, d, (float) (1 / Math.sqrt(d)),
                    ReferenceMath.gaussian(rnd, bh * lq * d, sigma), ReferenceMath.gaussian(rnd, bh * lk * d, sigma),
                    ReferenceMath.gaussian(rnd, bh * lk * d, 1), ReferenceMath.gaussian(rnd, bh * lq * d, 1));
        }

        float[][] forward(JavaBackend be) {
            float[] out = new float[bh * lq * d];
            float[] lse = new float[bh * lq];
            be.attentionForward(q, k, v, out, lse, bh, lq, lk, d, scale);
            return new float[][] {out, lse};
        }

        /** Returns {out, lse, dq, dk, dv}. */
        float[][] forwardBackward(JavaBackend be) {
            float[][] f = forward(be);
            float[] dq = new float[q.length];
            float[] dk = new float[k.length];
            float[] dv = new float[v.length];
            float[] delta = new float[bh * lq];
            be.attentionBackward(q, k, v, f[0], f[1], dout, dq, dk, dv, delta, bh, lq, lk, d, scale);
            return new float[][] {f[0], f[1], dq, dk, dv};
        }
    }

    @ParameterizedTest(name = "bh={0} lq={1} lk={2} d={3}")
    @CsvSource({
        "1, 1, 1, 1",
        "2, 1, 7, 3",
        "3, 13, 67, 8",
        "2, 67, 13, 1",
        "1, 7, 130, 64",   // three key tiles, the last one partial
        "2, 67, 67, 64",
        "1, 5, 128, 16",   // exactly two full tiles
        "2, 64, 1, 4",     // one key
    })
    void forwardAndBackwardMatchNaiveDouble(int bh, int lq, int lk, int d) {
        Case c = Case.random(bh, lq, lk, d, 31L * bh + 7L * lq + lk + d, 1.0);
        float[][] r = c.forwardBackward(two);
        double[][] ref = ReferenceMath.attentionForward(toDouble(c.q), toDouble(c.k), toDouble(c.v), bh, lq, lk, d, c.scale);
        double[][] grad = ReferenceMath.attentionBackward(toDouble(c.q), toDouble(c.k), toDouble(c.v), toDouble(c.dout),
                bh, lq, lk, d, c.scale);
        System.out.printf("attention vs float64 bh=%d lq=%d lk=%d d=%d: max rel error out %.2e lse %.2e dq %.2e dk %.2e dv %.2e%n",
                bh, lq, lk, d, maxRelError(r[0], ref[0]), maxRelError(r[1], ref[1]),
                lk == 1 ? 0 : maxRelError(r[2], grad[0]), lk == 1 ? 0 : maxRelError(r[3], grad[1]), maxRelError(r[4], grad[2]));
        assertThat(maxRelError(r[0], ref[0])).as("out").isLessThan(1e-5);
        assertThat(maxRelError(r[1], ref[1])).as("lse").isLessThan(1e-5);
        if (lk == 1) {
            // one key: the softmax is constant, dq and dk are exactly zero, rounding leaves ~1e-7
            assertThat(maxAbs(r[2])).as("dq").isLessThan(1e-6);
            assertThat(maxAbs(r[3])).as("dk").isLessThan(1e-6);
        } else {
            assertThat(maxRelError(r[2], grad[0])).as("dq").isLessThan(1e-5);
            assertThat(maxRelError(r[3], grad[1])).as("dk").isLessThan(1e-5);
        }
        assertThat(maxRelError(r[4], grad[2])).as("dv").isLessThan(1e-5);
    }

    private static double maxAbs(float[] a) {
        double m = 0;
        for (float x : a) m = Math.max(m, Math.abs(x));
        return m;
    }

    @Test
    void onlineSoftmaxRescalesWhenLaterTilesHaveLargerScores() {
        // keys whose scores grow by ~3 per key: every tile raises the running maximum by ~190,
        // so a missing or wrong rescale would leave exp overflow or stale weights behind
        int bh = 1, lq = 3, lk = 200, d = 2;
        float[] q = {1f, 0f, 0.5f, 0.5f, -0.2f, 1f};
        float[] k = new float[lk * d];
        float[] v = new float[lk * d];
        for (int j = 0; j < lk; j++) {
            k[j * d] = 3f * j;
            k[j * d + 1] = (float) Math.sin(j);
            v[j * d] = (float) Math.cos(j);
            v[j * d + 1] = j % 5;
        }
        Case c = new Case(bh, lq, lk, d, 1f, q, k, v, new float[lq * d]);
        float[][] r = c.forward(one);
        double[][] ref = ReferenceMath.attentionForward(toDouble(q), toDouble(k), toDouble(v), bh, lq, lk, d, 1.0);
        assertThat(maxRelError(r[0], ref[0])).isLessThan(1e-5);
        assertThat(maxRelError(r[1], ref[1])).isLessThan(1e-5);
        // and the reverse order: the largest scores come first, later tiles never raise the maximum
        for (int j = 0; j < lk; j++) k[j * d] = -3f * j;
        r = c.forward(one);
        ref = ReferenceMath.attentionForward(toDouble(q), toDouble(k), toDouble(v), bh, lq, lk, d, 1.0);
        assertThat(maxRelError(r[0], ref[0])).isLessThan(1e-5);
        assertThat(maxRelError(r[1], ref[1])).isLessThan(1e-5);
    }

    @ParameterizedTest(name = "bh={0} lq={1} lk={2} d={3}")
    @CsvSource({"1, 1, 2, 1", "2, 3, 5, 2", "1, 7, 3, 4", "1, 2, 67, 1"})
    void backwardMatchesCentralDifferencesOfTheForward(int bh, int lq, int lk, int d) {
        Case c = Case.random(bh, lq, lk, d, 1000L + lq * 13L + lk, 1.0);
        float[][] r = c.forwardBackward(one);
        double[] q = toDouble(c.q), k = toDouble(c.k), v = toDouble(c.v), dout = toDouble(c.dout);
        // L = sum(dout * attention(q, k, v)), so dL/dq = dq and so on
        double h = 1e-6;
        double[] fdq = ReferenceMath.centralDifferences(
                x -> ReferenceMath.dot(dout, ReferenceMath.attentionForward(x, k, v, bh, lq, lk, d, c.scale)[0]), q, h);
        double[] fdk = ReferenceMath.centralDifferences(
                x -> ReferenceMath.dot(dout, ReferenceMath.attentionForward(q, x, v, bh, lq, lk, d, c.scale)[0]), k, h);
        double[] fdv = ReferenceMath.centralDifferences(
                x -> ReferenceMath.dot(dout, ReferenceMath.attentionForward(q, k, x, bh, lq, lk, d, c.scale)[0]), v, h);
        assertThat(maxRelError(r[2], fdq)).as("dq").isLessThan(1e-5);
        assertThat(maxRelError(r[3], fdk)).as("dk").isLessThan(1e-5);
        assertThat(maxRelError(r[4], fdv)).as("dv").isLessThan(1e-5);
    }

    @Test
    void oneAndTwoThreadsGiveTheSameBits() {
        Case c = Case.random(3, 67, 130, 16, 99, 1.5);
        float[][] a = c.forwardBackward(one);
        float[][] b = c.forwardBackward(two);
        for (int i = 0; i < a.length; i++) assertThat(b[i]).as("output " + i).containsExactly(a[i]);
    }

    @Test
    void rejectsTooShortArraysWithTheirName() {
        Case c = Case.random(1, 4, 4, 4, 1, 1);
        assertThatThrownBy(() -> one.attentionForward(c.q, c.k, c.v, new float[15], new float[4], 1, 4, 4, 4, 0.5f))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out");
        assertThatThrownBy(() -> one.attentionForward(c.q, c.k, c.v, new float[16], new float[4], 1, 4, 0, 4, 0.5f))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lk");
    }
}
