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

/** Group norm of [n, c, l] against a float64 reference and central differences. */
class GroupNormTest {
    private static final float EPS = 1e-5f;
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

    /** float64 group norm, straight from the definition: y [n*c*l]. */
    static double[] reference(double[] x, double[] gamma, double[] beta, int n, int c, int l, int groups, double eps) {
        int cg = c / groups;
        double[] y = new double[x.length];
        for (int s = 0; s < n; s++) {
            for (int g = 0; g < groups; g++) {
                double sum = 0, sq = 0;
                for (int ch = g * cg; ch < (g + 1) * cg; ch++) for (int i = 0; i < l; i++) sum += x[(s * c + ch) * l + i];
                double mu = sum / (cg * l);
                for (int ch = g * cg; ch < (g + 1) * cg; ch++) for (int i = 0; i < l; i++) {
                    double d = x[(s * c + ch) * l + i] - mu;
                    sq += d * d;
                }
                double r = 1 / Math.sqrt(sq / (cg * l) + eps);
                for (int ch = g * cg; ch < (g + 1) * cg; ch++) for (int i = 0; i < l; i++) {
                    int k = (s * c + ch) * l + i;
                    y[k] = (x[k] - mu) * r * gamma[ch] + beta[ch];
                }
            }
        }
        return y;
    }

    /** Returns {y, dx, dgamma, dbeta}. */
    private static float[][] run(JavaBackend be, float[] x, float[] gamma, float[] beta, float[] dy, int n, int c, int l, int groups) {
        float[] y = new float[n * c * l];
        float[] mean = new float[n * groups];
        float[] rstd = new float[n * groups];
        be.groupNormForward(x, gamma, beta, y, mean, rstd, n, c, l, groups, EPS);
        float[] dx = new float[n * c * l];
        float[] dgamma = new float[c];
        float[] dbeta = new float[c];
        be.groupNormBackward(x, gamma, mean, rstd, dy, dx, dgamma, dbeta, n, c, l, groups);
        return new float[][] {y, dx, dgamma, dbeta};
    }

    private static float[][] inputs(long seed, int n, int c, int l) {
        Random rnd = new Random(seed);
        float[] x = ReferenceMath.gaussian(rnd, n * c * l, 2);
        for (int i = 0; i < x.length; i++) x[i] += 1.5f;
        return new float[][] {x, ReferenceMath.gaussian(rnd, c, 1), ReferenceMath.gaussian(rnd, c, 1),
                ReferenceMath.gaussian(rnd, n * c * l, 1)};
    }

    @ParameterizedTest(name = "n={0} c={1} l={2} groups={3}")
    @CsvSource({"1, 1, 5, 1", "2, 4, 27, 2", "3, 6, 8, 3", "2, 8, 64, 8", "1, 16, 125, 4"})
    void matchesFloat64AndCentralDifferences(int n, int c, int l, int groups) {
        float[][] in = inputs(n * 7919L + c * 31L + l, n, c, l);
        float[][] r = run(two, in[0], in[1], in[2], in[3], n, c, l, groups);
        double[] xd = toDouble(in[0]), gd = toDouble(in[1]), bd = toDouble(in[2]), dyd = toDouble(in[3]);
        double[] y = reference(xd, gd, bd, n, c, l, groups, EPS);
        double h = 1e-5;
        double[] fdx = ReferenceMath.centralDifferences(v -> ReferenceMath.dot(dyd, reference(v, gd, bd, n, c, l, groups, EPS)), xd, h);
        double[] fdg = ReferenceMath.centralDifferences(v -> ReferenceMath.dot(dyd, reference(xd, v, bd, n, c, l, groups, EPS)), gd, h);
        double[] fdb = ReferenceMath.centralDifferences(v -> ReferenceMath.dot(dyd, reference(xd, gd, v, n, c, l, groups, EPS)), bd, h);
        System.out.printf("groupNorm n=%d c=%d l=%d groups=%d: max rel error y %.2e, vs central differences dx %.2e dgamma %.2e dbeta %.2e%n",
                n, c, l, groups, maxRelError(r[0], y), maxRelError(r[1], fdx), maxRelError(r[2], fdg), maxRelError(r[3], fdb));
        assertThat(maxRelError(r[0], y)).as("y").isLessThan(1e-5);
        assertThat(maxRelError(r[1], fdx)).as("dx").isLessThan(1e-4);
        assertThat(maxRelError(r[2], fdg)).as("dgamma").isLessThan(1e-4);
        assertThat(maxRelError(r[3], fdb)).as("dbeta").isLessThan(1e-4);
    }

    @Test
    void oneAndTwoThreadsAndTheSerialScheduleGiveTheSameBits() {
        int n = 3, c = 8, l = 50, groups = 4;
        float[][] in = inputs(11, n, c, l);
        float[][] a = run(one, in[0], in[1], in[2], in[3], n, c, l, groups);
        float[][] b = run(two, in[0], in[1], in[2], in[3], n, c, l, groups);
        for (int i = 0; i < a.length; i++) assertThat(b[i]).as("output " + i).containsExactly(a[i]);
        // the serial schedule of the Backend interface's default methods: the kernels in index order
        float[] y = new float[n * c * l], mean = new float[n * groups], rstd = new float[n * groups];
        for (int row = 0; row < n * groups; row++) GroupNorm.groupNormForwardRow(in[0], in[1], in[2], y, mean, rstd, c, l, groups, EPS, row);
        float[] dx = new float[n * c * l], dg = new float[c], db = new float[c];
        for (int row = 0; row < n * groups; row++) GroupNorm.groupNormGradInputRow(in[0], in[1], mean, rstd, in[3], dx, c, l, groups, row);
        for (int ch = 0; ch < c; ch++) GroupNorm.groupNormGradParamsChannel(in[0], mean, rstd, in[3], dg, db, n, c, l, groups, ch);
        assertThat(y).containsExactly(a[0]);
        assertThat(dx).containsExactly(a[1]);
        assertThat(dg).containsExactly(a[2]);
        assertThat(db).containsExactly(a[3]);
        // the default JavaBackend (fast paths on) runs fast.VectorNorm: float sums, not these bits
        try (JavaBackend fast = new JavaBackend(2)) {
            float[] y2 = new float[n * c * l], mean2 = new float[n * groups], rstd2 = new float[n * groups];
            fast.groupNormForward(in[0], in[1], in[2], y2, mean2, rstd2, n, c, l, groups, EPS);
            assertThat(maxRelError(y2, a[0])).isLessThan(1e-5);
            assertThat(maxRelError(rstd2, rstd)).isLessThan(1e-5);
        }
    }

    @Test
    void channelsThatDoNotSplitIntoTheGroupsAreAClearError() {
        float[] x = new float[2 * 6 * 3];
        assertThatThrownBy(() -> two.groupNormForward(x, new float[6], new float[6], new float[x.length], new float[8], new float[8], 2, 6, 3, 4, EPS))
                .hasMessageContaining("6 channels cannot be split into 4 groups");
    }
}
