package org.maesil.tensor.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.maesil.tensor.kernels.ReferenceMath.maxRelError;

import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.maesil.tensor.JavaBackend;

/** erf, erfc and the exact GELU against float64 references. */
class GeluTest {
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

    @Test
    void erfcHasFractionalErrorBelowOnePointTwoE7() {
        double worst = 0;
        for (double z = -6; z <= 9; z += 1e-3) {
            double ref = ReferenceMath.erfc(z);
            worst = Math.max(worst, Math.abs(Gelu.complementaryErrorFunction(z) - ref) / ref);
        }
        assertThat(worst).isLessThan(1.2e-7);
    }

    @Test
    void erfIsGoodToOnePointTwoE7AbsoluteAndRelativeNearZero() {
        double worstAbs = 0;
        double worstRelSmall = 0;
        for (double z = -6; z <= 6; z += 1e-3) {
            double ref = ReferenceMath.erf(z);
            double err = Math.abs(Gelu.errorFunction(z) - ref);
            worstAbs = Math.max(worstAbs, err);
            if (Math.abs(z) < 0.5 && ref != 0) worstRelSmall = Math.max(worstRelSmall, err / Math.abs(ref));
        }
        assertThat(worstAbs).isLessThan(1.2e-7);
        assertThat(worstRelSmall).isLessThan(1e-10);
        assertThat(Gelu.errorFunction(0)).isZero();
        assertThat(Gelu.errorFunction(1e-30)).isCloseTo(1.1283791670955126e-30, org.assertj.core.data.Offset.offset(1e-40));
    }

    @Test
    void referenceErfMatchesKnownValues() {
        // erf(1), erf(0.5), erfc(3), erfc(5) from tables (Abramowitz and Stegun / mpmath)
        assertThat(ReferenceMath.erf(1)).isCloseTo(0.8427007929497149, org.assertj.core.data.Offset.offset(1e-15));
        assertThat(ReferenceMath.erf(0.5)).isCloseTo(0.5204998778130465, org.assertj.core.data.Offset.offset(1e-15));
        assertThat(ReferenceMath.erfc(3) / 2.209049699858544e-05).isCloseTo(1, org.assertj.core.data.Offset.offset(1e-13));
        assertThat(ReferenceMath.erfc(5) / 1.5374597944280349e-12).isCloseTo(1, org.assertj.core.data.Offset.offset(1e-13));
    }

    @Test
    void forwardAndBackwardMatchFloat64() {
        int n = 20001;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = -10f + 20f * i / (n - 1); // a grid over [-10, 10], 0 included
        Random rnd = new Random(3);
        float[] dy = ReferenceMath.gaussian(rnd, n, 1);
        float[] y = new float[n];
        float[] dx = new float[n];
        two.geluForward(x, y, n);
        two.geluBackward(x, dy, dx, n);
        double[] refY = new double[n];
        double[] refDx = new double[n];
        double worstRelY = 0;
        for (int i = 0; i < n; i++) {
            refY[i] = ReferenceMath.gelu(x[i]);
            refDx[i] = dy[i] * ReferenceMath.geluDerivative(x[i]);
            if (refY[i] != 0) worstRelY = Math.max(worstRelY, Math.abs(y[i] - refY[i]) / Math.abs(refY[i]));
        }
        System.out.printf("gelu vs float64 on [-10, 10]: max rel error y %.2e (purely relative %.2e) dx %.2e%n",
                maxRelError(y, refY), worstRelY, maxRelError(dx, refDx));
        assertThat(maxRelError(y, refY)).as("y").isLessThan(1e-6);
        assertThat(maxRelError(dx, refDx)).as("dx").isLessThan(1e-6);
        // purely relative, tail included: erfc keeps gelu(-10) ~ -7.6e-23 accurate
        assertThat(worstRelY).as("y, relative everywhere").isLessThan(1e-6);
    }

    @Test
    void derivativeMatchesCentralDifferences() {
        double h = 1e-5;
        float[] x = new float[401];
        for (int i = 0; i < x.length; i++) x[i] = -6f + 12f * i / 400;
        float[] ones = new float[x.length];
        java.util.Arrays.fill(ones, 1f);
        float[] dx = new float[x.length];
        one.geluBackward(x, ones, dx, x.length);
        double[] fd = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            fd[i] = (ReferenceMath.gelu(x[i] + h) - ReferenceMath.gelu(x[i] - h)) / (2 * h);
        }
        assertThat(maxRelError(dx, fd)).isLessThan(1e-5);
    }

    @Test
    void oneAndTwoThreadsGiveTheSameBits() {
        Random rnd = new Random(8);
        int n = 10007;
        float[] x = ReferenceMath.gaussian(rnd, n, 3);
        float[] dy = ReferenceMath.gaussian(rnd, n, 1);
        float[] y1 = new float[n], y2 = new float[n], d1 = new float[n], d2 = new float[n];
        one.geluForward(x, y1, n);
        two.geluForward(x, y2, n);
        one.geluBackward(x, dy, d1, n);
        two.geluBackward(x, dy, d2, n);
        assertThat(y2).containsExactly(y1);
        assertThat(d2).containsExactly(d1);
    }
}
