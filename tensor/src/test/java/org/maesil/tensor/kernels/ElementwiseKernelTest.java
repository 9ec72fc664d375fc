package org.maesil.tensor.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.maesil.tensor.kernels.LinearOpsReference.*;

import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.maesil.tensor.JavaBackend;

/** addBias, sumRows, add, axpy, scale, sumOfSquares and AdamW against float64 and across thread counts. */
class ElementwiseKernelTest {
    static JavaBackend one;
    static JavaBackend two;
    static JavaBackend three;

    @BeforeAll
    static void start() {
        one = new JavaBackend(1, false);
        two = new JavaBackend(2, false);
        three = new JavaBackend(3, false);
    }

    @AfterAll
    static void stop() {
        one.close();
        two.close();
        three.close();
    }

    /** rows, cols. */
    static final int[][] SHAPES = {{1, 1}, {7, 13}, {13, 1}, {1, 29}, {65, 33}, {300, 7}};

    @Test
    void addBiasAndSumRowsMatchFloat64() {
        Random rnd = new Random(21);
        double worstBias = 0, worstSum = 0;
        for (int[] s : SHAPES) {
            int rows = s[0], cols = s[1];
            float[] x = random(rnd, rows * cols);
            float[] bias = random(rnd, cols);
            double[] ref = new double[rows * cols];
            double[] colSum = new double[cols];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    ref[r * cols + c] = (double) x[r * cols + c] + bias[c];
                    colSum[c] += x[r * cols + c];
                }
            }
            float[] y1 = new float[rows * cols], y2 = new float[rows * cols];
            one.addBias(x, bias, y1, rows, cols);
            two.addBias(x, bias, y2, rows, cols);
            float[] inPlace = x.clone();
            two.addBias(inPlace, bias, inPlace, rows, cols);
            float[] db1 = new float[cols], db2 = new float[cols];
            one.sumRows(x, db1, rows, cols);
            two.sumRows(x, db2, rows, cols);

            worstBias = Math.max(worstBias, relError(y1, ref));
            worstSum = Math.max(worstSum, relError(db1, colSum));
            assertThat(relError(y1, ref)).isLessThan(1e-6);
            assertThat(sameBits(y1, inPlace)).as("in place").isTrue();
            assertThat(relError(db1, colSum)).isLessThan(1e-5);
            assertThat(sameBits(y1, y2) && sameBits(db1, db2)).as("1 vs 2 threads").isTrue();
        }
        System.out.printf("addBias vs float64: max rel error %.3e; sumRows %.3e%n", worstBias, worstSum);
    }

    @Test
    void addAxpyScaleMatchFloat64() {
        Random rnd = new Random(22);
        for (int n : new int[] {1, 7, 13, 1000, 4099}) {
            float[] a = random(rnd, n), b = random(rnd, n);
            float alpha = 0.37f;
            double[] sum = new double[n], axpy = new double[n], scaled = new double[n];
            for (int i = 0; i < n; i++) {
                sum[i] = (double) a[i] + b[i];
                axpy[i] = b[i] + (double) alpha * a[i];
                scaled[i] = (double) alpha * a[i];
            }
            float[] y1 = new float[n], y2 = new float[n];
            one.add(a, b, y1, n);
            two.add(a, b, y2, n);
            assertThat(relError(y1, sum)).isLessThan(1e-6);
            assertThat(sameBits(y1, y2)).isTrue();
            float[] alias = a.clone();
            two.add(alias, b, alias, n);
            assertThat(sameBits(alias, y1)).as("y aliasing a").isTrue();

            float[] z1 = b.clone(), z2 = b.clone();
            one.axpy(alpha, a, z1, n);
            two.axpy(alpha, a, z2, n);
            assertThat(relError(z1, axpy)).isLessThan(1e-6);
            assertThat(sameBits(z1, z2)).isTrue();

            float[] s1 = new float[n], s2 = a.clone();
            one.scale(a, alpha, s1, n);
            two.scale(s2, alpha, s2, n);
            assertThat(relError(s1, scaled)).isLessThan(1e-6);
            assertThat(sameBits(s1, s2)).isTrue();
        }
    }

    @Test
    void sumOfSquaresIsTheSameForAnyThreadCount() {
        Random rnd = new Random(23);
        for (int n : new int[] {0, 1, 13, Reduction.SUM_BLOCK - 1, Reduction.SUM_BLOCK, Reduction.SUM_BLOCK + 1, 5 * Reduction.SUM_BLOCK + 7}) {
            float[] x = random(rnd, n + 3);   // a longer array: only the first n count
            double ref = 0;
            for (int i = 0; i < n; i++) ref += (double) x[i] * x[i];
            double s1 = one.sumOfSquares(x, n), s2 = two.sumOfSquares(x, n), s3 = three.sumOfSquares(x, n);
            assertThat(Math.abs(s1 - ref)).isLessThanOrEqualTo(1e-12 * Math.max(ref, 1e-300));
            assertThat(Double.doubleToRawLongBits(s2)).isEqualTo(Double.doubleToRawLongBits(s1));
            assertThat(Double.doubleToRawLongBits(s3)).isEqualTo(Double.doubleToRawLongBits(s1));
        }
    }

    /** Several AdamW steps against the float64 formula of the Backend javadoc. */
    @Test
    void adamwMatchesFloat64OverSeveralSteps() {
        Random rnd = new Random(24);
        double worst = 0;
        for (int n : new int[] {1, 13, 1001}) {
            for (float wd : new float[] {0f, 0.05f}) {
                float lr = 1e-3f, b1 = 0.9f, b2 = 0.95f, eps = 1e-8f;
                float[] p1 = random(rnd, n), m1 = new float[n], v1 = new float[n];
                float[] p2 = p1.clone(), m2 = new float[n], v2 = new float[n];
                double[] p = toDouble(p1), m = new double[n], v = new double[n];
                for (int t = 1; t <= 4; t++) {
                    float[] g = random(rnd, n);
                    double bc1 = 1 - Math.pow(b1, t), bc2 = 1 - Math.pow(b2, t);
                    for (int i = 0; i < n; i++) {
                        m[i] = b1 * m[i] + (1 - (double) b1) * g[i];
                        v[i] = b2 * v[i] + (1 - (double) b2) * g[i] * g[i];
                        p[i] -= lr * (m[i] / bc1 / (Math.sqrt(v[i] / bc2) + eps) + wd * p[i]);
                    }
                    one.adamw(p1, g, m1, v1, n, lr, b1, b2, eps, wd, (float) bc1, (float) bc2);
                    two.adamw(p2, g, m2, v2, n, lr, b1, b2, eps, wd, (float) bc1, (float) bc2);
                }
                worst = Math.max(worst, relError(p1, p));
                assertThat(relError(p1, p)).isLessThan(1e-6);
                assertThat(relError(m1, m)).isLessThan(1e-6);
                assertThat(relError(v1, v)).isLessThan(1e-6);
                assertThat(sameBits(p1, p2) && sameBits(m1, m2) && sameBits(v1, v2)).as("1 vs 2 threads").isTrue();
            }
        }
        System.out.printf("adamw vs float64 (4 steps): max rel error of p %.3e%n", worst);
    }
}
