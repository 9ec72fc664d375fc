package org.maesil.tensor.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.maesil.tensor.kernels.LinearOpsReference.*;

import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.maesil.tensor.JavaBackend;

/**
 * The Matmul kernels (JavaBackend with fast paths off) against float64, finite differences, and
 * thread counts; the default JavaBackend (fast paths on where available) against float64 and
 * thread counts too.
 */
class MatmulKernelTest {
    static JavaBackend one;
    static JavaBackend two;
    static JavaBackend fastOne;
    static JavaBackend fastTwo;

    @BeforeAll
    static void start() {
        one = new JavaBackend(1, false);
        two = new JavaBackend(2, false);
        fastOne = new JavaBackend(1, false);
        fastTwo = new JavaBackend(2, false);
    }

    @AfterAll
    static void stop() {
        one.close();
        two.close();
        fastOne.close();
        fastTwo.close();
    }

    /** batch, m, n, k: sizes 1, primes, and lengths that are not multiples of 4, 8 or 16. */
    static final int[][] SHAPES = {
        {1, 1, 1, 1}, {1, 7, 13, 5}, {2, 13, 7, 29}, {3, 1, 17, 3}, {1, 33, 1, 19}, {2, 20, 31, 65}, {1, 5, 4, 1},
    };

    @Test
    void matchesFloat64ForAllTransposesBroadcastsAndAccumulate() {
        Random rnd = new Random(1);
        double worst = 0, worstFast = 0;
        for (int[] s : SHAPES) {
            int batch = s[0], m = s[1], n = s[2], k = s[3];
            for (int flags = 0; flags < 16; flags++) {
                boolean ta = (flags & 1) != 0, tb = (flags & 2) != 0, acc = (flags & 4) != 0, bcast = (flags & 8) != 0;
                int strideA = m * k;
                int strideB = bcast ? 0 : k * n;
                float[] a = random(rnd, batch * m * k);
                float[] b = random(rnd, bcast ? k * n : batch * k * n);
                float[] c0 = random(rnd, batch * m * n);
                double[] ref = matmul(toDouble(a), toDouble(b), acc ? toDouble(c0) : null, batch, m, n, k, ta, tb, strideA, strideB);

                float[] c1 = c0.clone();
                one.matmul(a, b, c1, batch, m, n, k, ta, tb, acc, strideA, strideB);
                float[] c2 = c0.clone();
                two.matmul(a, b, c2, batch, m, n, k, ta, tb, acc, strideA, strideB);
                float[] ce = c0.clone();
                for (int i = 0; i < ce.length; i++) {
                    Matmul.matmulElement(a, b, ce, m, n, k, ta ? 1 : 0, tb ? 1 : 0, acc ? 1 : 0, strideA, strideB, i);
                }
                float[] f1 = c0.clone();
                fastOne.matmul(a, b, f1, batch, m, n, k, ta, tb, acc, strideA, strideB);
                float[] f2 = c0.clone();
                fastTwo.matmul(a, b, f2, batch, m, n, k, ta, tb, acc, strideA, strideB);
                String what = java.util.Arrays.toString(s) + " flags " + flags;
                double err = relError(c1, ref);
                worst = Math.max(worst, err);
                worstFast = Math.max(worstFast, relError(f1, ref));
                assertThat(err).as(what).isLessThan(1e-5);
                assertThat(sameBits(c1, c2)).as("1 vs 2 threads " + what).isTrue();
                assertThat(sameBits(c1, ce)).as("matmulRow vs matmulElement " + what).isTrue();
                assertThat(relError(f1, ref)).as("default backend " + what).isLessThan(1e-5);
                assertThat(sameBits(f1, f2)).as("default backend, 1 vs 2 threads " + what).isTrue();
            }
        }
        System.out.printf("matmul vs float64: max rel error %.3e (reference kernels), %.3e (default JavaBackend)%n", worst, worstFast);
    }

    @Test
    void broadcastAlongAWithStrideZero() {
        Random rnd = new Random(2);
        int batch = 3, m = 4, n = 5, k = 6;
        float[] a = random(rnd, m * k);
        float[] b = random(rnd, batch * k * n);
        float[] c = new float[batch * m * n];
        two.matmul(a, b, c, batch, m, n, k, false, false, false, 0, k * n);
        double[] ref = matmul(toDouble(a), toDouble(b), null, batch, m, n, k, false, false, 0, k * n);
        assertThat(relError(c, ref)).isLessThan(1e-6);
    }

    /**
     * The backward of C = opA(A) opB(B) is written with the same matmul (dA = R opB^T, dB = opA^T R,
     * stored transposed when A or B is): checked against central differences of the float64
     * loss sum(C * R) for every transpose combination.
     */
    @Test
    void backwardByMatmulMatchesFiniteDifferences() {
        Random rnd = new Random(3);
        int m = 3, n = 4, k = 5;
        for (int flags = 0; flags < 4; flags++) {
            boolean ta = (flags & 1) != 0, tb = (flags & 2) != 0;
            float[] a = random(rnd, m * k);
            float[] b = random(rnd, k * n);
            float[] r = random(rnd, m * n);
            double[] rd = toDouble(r);
            double[] ad = toDouble(a), bd = toDouble(b);
            double[] fdA = finiteDifference(ad, p -> dot(matmul(p, bd, null, 1, m, n, k, ta, tb, 0, 0), rd), 1e-3);
            double[] fdB = finiteDifference(bd, p -> dot(matmul(ad, p, null, 1, m, n, k, ta, tb, 0, 0), rd), 1e-3);

            float[] da = new float[m * k];
            if (!ta) two.matmul(r, b, da, m, k, n, false, !tb, false);   // dA [m,k] = R opB^T
            else two.matmul(b, r, da, k, m, n, tb, true, false);         // dA [k,m] = opB R^T
            float[] db = new float[k * n];
            if (!tb) two.matmul(a, r, db, k, n, m, !ta, false, false);   // dB [k,n] = opA^T R
            else two.matmul(r, a, db, n, k, m, true, ta, false);         // dB [n,k] = R^T opA
            assertThat(relError(da, fdA)).as("dA flags " + flags).isLessThan(1e-5);
            assertThat(relError(db, fdB)).as("dB flags " + flags).isLessThan(1e-5);
        }
    }

    @Test
    void rejectsShortArrays() {
        assertThatThrownBy(() -> one.matmul(new float[3], new float[6], new float[6], 2, 3, 2, false, false, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("matmul: a");
    }
}
