package org.maesil.tensor.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.maesil.tensor.kernels.ReferenceMath.maxRelError;
import static org.maesil.tensor.kernels.ReferenceMath.toDouble;

import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.maesil.tensor.JavaBackend;

/** Row softmax against float64 and central differences. */
class SoftmaxTest {
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

    @ParameterizedTest(name = "rows={0} cols={1} sigma={2}")
    @CsvSource({"1, 1, 1", "3, 7, 1", "13, 67, 3", "67, 13, 10", "2, 1000, 20"})
    void matchesFloat64(int rows, int cols, double sigma) {
        Random rnd = new Random(rows * 31L + cols);
        float[] x = ReferenceMath.gaussian(rnd, rows * cols, sigma);
        float[] dy = ReferenceMath.gaussian(rnd, rows * cols, 1);
        float[] y = new float[x.length];
        float[] dx = new float[x.length];
        two.softmaxForward(x, y, rows, cols);
        two.softmaxBackward(y, dy, dx, rows, cols);
        double[] refY = ReferenceMath.softmax(toDouble(x), rows, cols);
        assertThat(maxRelError(y, refY)).as("y").isLessThan(1e-5);
        if (cols > 1) {
            double[] refDx = ReferenceMath.softmaxBackward(refY, toDouble(dy), rows, cols);
            System.out.printf("softmax vs float64 rows=%d cols=%d sigma=%s: max rel error y %.2e dx %.2e%n",
                    rows, cols, sigma, maxRelError(y, refY), maxRelError(dx, refDx));
            assertThat(maxRelError(dx, refDx)).as("dx").isLessThan(1e-5);
        } else {
            assertThat(dx).containsOnly(0f); // softmax of one column is the constant 1
        }
    }

    @Test
    void largeInputsDoNotOverflow() {
        float[] x = {1000f, 999f, -1000f, 80f, 88.8f, 90f};
        float[] y = new float[6];
        one.softmaxForward(x, y, 2, 3);
        assertThat(maxRelError(y, ReferenceMath.softmax(toDouble(x), 2, 3))).isLessThan(1e-6);
    }

    @Test
    void backwardMatchesCentralDifferences() {
        int rows = 3, cols = 6;
        Random rnd = new Random(2);
        float[] x = ReferenceMath.gaussian(rnd, rows * cols, 2);
        float[] dy = ReferenceMath.gaussian(rnd, rows * cols, 1);
        float[] y = new float[x.length];
        float[] dx = new float[x.length];
        one.softmaxForward(x, y, rows, cols);
        one.softmaxBackward(y, dy, dx, rows, cols);
        double[] dyd = toDouble(dy);
        double[] fd = ReferenceMath.centralDifferences(
                v -> ReferenceMath.dot(dyd, ReferenceMath.softmax(v, rows, cols)), toDouble(x), 1e-6);
        assertThat(maxRelError(dx, fd)).isLessThan(1e-5);
    }

    @Test
    void oneAndTwoThreadsGiveTheSameBits() {
        int rows = 257, cols = 33;
        Random rnd = new Random(4);
        float[] x = ReferenceMath.gaussian(rnd, rows * cols, 4);
        float[] dy = ReferenceMath.gaussian(rnd, rows * cols, 1);
        float[] y1 = new float[x.length], y2 = new float[x.length], d1 = new float[x.length], d2 = new float[x.length];
        one.softmaxForward(x, y1, rows, cols);
        two.softmaxForward(x, y2, rows, cols);
        one.softmaxBackward(y1, dy, d1, rows, cols);
        two.softmaxBackward(y2, dy, d2, rows, cols);
        assertThat(y2).containsExactly(y1);
        assertThat(d2).containsExactly(d1);
    }
}
