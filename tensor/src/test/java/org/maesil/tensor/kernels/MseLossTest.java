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

/** Masked / weighted MSE loss and its gradient against float64 and central differences. */
class MseLossTest {
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

    /** Row weights: a 0/1 mask (masked patches) with at least one 1, or fractional weights. */
    private static float[] weights(Random rnd, int rows, boolean mask) {
        float[] w = new float[rows];
        for (int r = 0; r < rows; r++) w[r] = mask ? (rnd.nextDouble() < 0.75 ? 1f : 0f) : (float) rnd.nextDouble();
        w[0] = 1f;
        return w;
    }

    @ParameterizedTest(name = "rows={0} cols={1} weights={2}")
    @CsvSource({"1, 1, none", "7, 13, none", "67, 64, mask", "13, 97, fraction", "1, 7, mask"})
    void lossAndGradientMatchFloat64(int rows, int cols, String weighting) {
        Random rnd = new Random(rows * 7L + cols);
        float[] p = ReferenceMath.gaussian(rnd, rows * cols, 1);
        float[] t = ReferenceMath.gaussian(rnd, rows * cols, 1);
        float[] w = weighting.equals("none") ? null : weights(rnd, rows, weighting.equals("mask"));
        float scale = 0.5f;
        double loss = two.mseLoss(p, t, w, rows, cols);
        float[] dp = new float[p.length];
        two.mseLossBackward(p, t, w, dp, rows, cols, scale);
        double[] wd = w == null ? null : toDouble(w);
        double ref = ReferenceMath.mse(toDouble(p), toDouble(t), wd, rows, cols);
        double[] td = toDouble(t);
        double[] fd = ReferenceMath.centralDifferences(
                v -> scale * ReferenceMath.mse(v, td, wd, rows, cols), toDouble(p), 1e-4);
        System.out.printf("mse vs float64 rows=%d cols=%d weights=%s: rel error loss %.2e, dpred vs finite differences %.2e%n",
                rows, cols, weighting, Math.abs(loss - ref) / ref, maxRelError(dp, fd));
        assertThat(Math.abs(loss - ref) / ref).as("loss").isLessThan(1e-12);
        assertThat(maxRelError(dp, fd)).as("dpred").isLessThan(1e-5);
    }

    @Test
    void unweightedIsTheMeanOverAllElements() {
        float[] p = {1f, 2f, 3f, 4f, 5f, 6f};
        float[] t = {0f, 0f, 0f, 0f, 0f, 0f};
        assertThat(one.mseLoss(p, t, null, 2, 3)).isEqualTo(91.0 / 6);
        assertThat(one.mseLoss(p, t, new float[] {0f, 1f}, 2, 3)).isEqualTo(77.0 / 3);
    }

    @Test
    void oneAndTwoThreadsGiveTheSameBits() {
        int rows = 1001, cols = 37;
        Random rnd = new Random(6);
        float[] p = ReferenceMath.gaussian(rnd, rows * cols, 1);
        float[] t = ReferenceMath.gaussian(rnd, rows * cols, 1);
        float[] w = weights(rnd, rows, false);
        assertThat(two.mseLoss(p, t, w, rows, cols)).isEqualTo(one.mseLoss(p, t, w, rows, cols));
        float[] d1 = new float[p.length], d2 = new float[p.length];
        one.mseLossBackward(p, t, w, d1, rows, cols, 1f);
        two.mseLossBackward(p, t, w, d2, rows, cols, 1f);
        assertThat(d2).containsExactly(d1);
    }

    @Test
    void zeroWeightSumIsAClearError() {
        float[] p = {1f, 2f};
        assertThatThrownBy(() -> one.mseLoss(p, p, new float[] {0f, 0f}, 2, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row weights");
    }
}
