package org.maesil.tensor.fast;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.maesil.tensor.Parallel;

/** The packed Vector API matmul against a float64 reference, at awkward sizes and all transposes. */
class FastMatmulTest {
    static Parallel one, two;
    static FastMatmul mm1, mm2, blockByBlock, noWideB;

    @BeforeAll
    static void setUp() {
        one = new Parallel(1);
        two = new Parallel(2);
        mm1 = new FastMatmul(one);
        mm2 = new FastMatmul(two);
        blockByBlock = new FastMatmul(two, 0, false);
        noWideB = new FastMatmul(two, FastMatmul.WHOLE_B_LIMIT, false);
    }

    @AfterAll
    static void tearDown() {
        one.close();
        two.close();
    }

    static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    /** Checks c against sum_p op(A)[i,p] op(B)[p,j] (+ c0) in double, with the fp32 error bound k*u*sum|ab|. */
    static void check(float[] a, float[] b, float[] c0, float[] c, int m, int n, int k,
                      boolean ta, boolean tb, boolean acc) {
        double u = Math.ulp(1f) / 2;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = acc ? c0[i * n + j] : 0, mag = Math.abs(s);
                for (int p = 0; p < k; p++) {
                    double x = ta ? a[p * m + i] : a[i * k + p];
                    double y = tb ? b[j * k + p] : b[p * n + j];
                    s += x * y;
                    mag += Math.abs(x * y);
                }
                double tol = (k + 2) * u * mag + 1e-30;
                assertThat(Math.abs(c[i * n + j] - s)).as("C[%d,%d] m=%d n=%d k=%d ta=%b tb=%b", i, j, m, n, k, ta, tb)
                        .isLessThanOrEqualTo(tol);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"1,1,1", "1,17,5", "7,1,3", "6,16,256", "13,31,257", "97,53,301", "5,200,600", "150,37,19", "64,64,64", "12,33,40", "7,65,300",
            "301,290,300", "145,260,513", "40,70,1030", // the last two: column chunks, so A is packed once and shared (2 threads)
            "150,1100,1030", "7,2100,300"}) // wide B: each work item packs its own B panels (gemmWideB), 3 and 1 KC blocks
    void matchesFloat64ReferenceForEveryTranspose(int m, int n, int k) {
        for (int t = 0; t < 8; t++) {
            boolean ta = (t & 1) != 0, tb = (t & 2) != 0, acc = (t & 4) != 0;
            float[] a = random(m * k, 1 + t), b = random(k * n, 100 + t), c0 = random(m * n, 200 + t);
            float[] c1 = c0.clone(), c2 = c0.clone();
            mm1.matmul(a, b, c1, 1, m, n, k, ta, tb, acc, m * k, k * n);
            mm2.matmul(a, b, c2, 1, m, n, k, ta, tb, acc, m * k, k * n);
            check(a, b, c0, c1, m, n, k, ta, tb, acc);
            assertThat(c2).as("1 vs 2 threads, bit for bit").isEqualTo(c1);
            float[] c3 = c0.clone();
            blockByBlock.matmul(a, b, c3, 1, m, n, k, ta, tb, acc, m * k, k * n);
            assertThat(c3).as("B packed whole vs block by block, bit for bit").isEqualTo(c1);
            float[] c4 = c0.clone();
            noWideB.matmul(a, b, c4, 1, m, n, k, ta, tb, acc, m * k, k * n);
            assertThat(c4).as("wide-B schedule or not, bit for bit").isEqualTo(c1);
        }
    }

    @Test
    void batchedWithBroadcastOperand() {
        int batch = 3, m = 11, n = 19, k = 23;
        float[] a = random(batch * m * k, 5), w = random(k * n, 6), c = new float[batch * m * n];
        mm2.matmul(a, w, c, batch, m, n, k, false, false, false, m * k, 0);
        for (int bi = 0; bi < batch; bi++) {
            float[] ab = java.util.Arrays.copyOfRange(a, bi * m * k, (bi + 1) * m * k);
            float[] cb = java.util.Arrays.copyOfRange(c, bi * m * n, (bi + 1) * m * n);
            check(ab, w, null, cb, m, n, k, false, false, false);
        }
    }

    @Test
    void kZeroClearsOrKeepsC() {
        float[] c = {1, 2, 3, 4};
        mm1.matmul(new float[0], new float[0], c, 1, 2, 2, 0, false, false, true, 0, 0);
        assertThat(c).containsExactly(1, 2, 3, 4);
        mm1.matmul(new float[0], new float[0], c, 1, 2, 2, 0, false, false, false, 0, 0);
        assertThat(c).containsExactly(0, 0, 0, 0);
    }

    @Test
    void largeSquareTwoThreadsIdenticalToOne() {
        int n = 300;
        float[] a = random(n * n, 8), b = random(n * n, 9), c1 = new float[n * n], c2 = new float[n * n];
        mm1.matmul(a, b, c1, 1, n, n, n, false, true, false, n * n, n * n);
        mm2.matmul(a, b, c2, 1, n, n, n, false, true, false, n * n, n * n);
        assertThat(c2).isEqualTo(c1);
        check(a, b, null, c1, n, n, n, false, true, false);
    }

    /**
     * A weight gradient's shape (dW = dY^T X, k = tokens), run with whole rows as work items
     * instead of column chunks: A too large to be packed once and shared (4 row blocks x 144
     * rows x 7300 > FastMatmul.SHARED_A_LIMIT), or small enough to share but long (k >= LONG_K);
     * with 701 rows, split evenly into 6 row blocks of 120 (the last 101, its last tile 5 rows).
     */
    @ParameterizedTest
    @CsvSource({"576,7300", "576,4099", "701,4099"})
    void largeKWholeRowsTwoThreadsIdenticalToOne(int m, int k) {
        int n = 240;
        assertThat(k).isGreaterThanOrEqualTo(FastMatmul.LONG_K);
        float[] a = random(k * m, 10), b = random(k * n, 11), c1 = new float[m * n], c2 = new float[m * n];
        mm1.matmul(a, b, c1, 1, m, n, k, true, false, false, 0, 0);
        mm2.matmul(a, b, c2, 1, m, n, k, true, false, false, 0, 0);
        assertThat(c2).isEqualTo(c1);
        check(a, b, null, c2, m, n, k, true, false, false);
    }
}
