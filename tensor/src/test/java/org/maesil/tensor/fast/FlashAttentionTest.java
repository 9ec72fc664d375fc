package org.maesil.tensor.fast;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.maesil.tensor.Parallel;

/** Tiled attention (forward and backward) against plain softmax attention in float64. */
class FlashAttentionTest {
    static Parallel one, two;

    @BeforeAll
    static void setUp() {
        one = new Parallel(1);
        two = new Parallel(2);
    }

    @AfterAll
    static void tearDown() {
        one.close();
        two.close();
    }

    /** Max |got - want| over max |want|: a relative error of the whole tensor. */
    static double relErr(float[] got, double[] want) {
        double err = 0, mag = 1e-30;
        for (int i = 0; i < want.length; i++) {
            err = Math.max(err, Math.abs(got[i] - want[i]));
            mag = Math.max(mag, Math.abs(want[i]));
        }
        return err / mag;
    }

    @Test
    void vectorExpIsAccurate() {
        int lanes = VectorExp.S.length();
        float[] x = new float[lanes];
        float[] y = new float[lanes];
        double worst = 0;
        for (int i = -8700; i <= 8800; i += lanes) {
            for (int t = 0; t < lanes; t++) x[t] = (i + t) * 0.01f + 0.0037f;
            System.arraycopy(x, 0, y, 0, lanes);
            VectorExp.expInPlace(y, 0, lanes);
            for (int t = 0; t < lanes; t++) {
                if (x[t] < -87f || x[t] > 88f) continue;
                double e = Math.exp(x[t]);
                worst = Math.max(worst, Math.abs(y[t] - e) / e);
            }
        }
        assertThat(worst).isLessThan(4e-7);
    }

    @ParameterizedTest
    @CsvSource({"1,1,1,1", "3,1,5,3", "2,7,13,5", "1,100,77,33", "2,150,200,64", "1,73,49,16", "1,144,96,17",
            "2,200,300,16", "1,97,193,24", "1,289,97,6"})
    void matchesFloat64Attention(int bh, int lq, int lk, int d) {
        float scale = (float) (1 / Math.sqrt(d));
        float[] q = FastMatmulTest.random(bh * lq * d, 1), k = FastMatmulTest.random(bh * lk * d, 2);
        float[] v = FastMatmulTest.random(bh * lk * d, 3), dout = FastMatmulTest.random(bh * lq * d, 4);
        // float64 reference: P = softmax(scale q k^T), out = P v; dP = dout v^T; dS = P (dP - rowsum(dP P));
        // dq = scale dS k; dk = scale dS^T q; dv = P^T dout
        double[] out = new double[bh * lq * d], lse = new double[bh * lq], dq = new double[bh * lq * d];
        double[] dk = new double[bh * lk * d], dv = new double[bh * lk * d];
        for (int b = 0; b < bh; b++) {
            for (int i = 0; i < lq; i++) {
                double[] s = new double[lk], dp = new double[lk];
                double max = Double.NEGATIVE_INFINITY, sum = 0, dl = 0;
                for (int j = 0; j < lk; j++) {
                    for (int t = 0; t < d; t++) {
                        s[j] += (double) q[(b * lq + i) * d + t] * k[(b * lk + j) * d + t];
                        dp[j] += (double) dout[(b * lq + i) * d + t] * v[(b * lk + j) * d + t];
                    }
                    s[j] *= scale;
                    max = Math.max(max, s[j]);
                }
                for (int j = 0; j < lk; j++) sum += Math.exp(s[j] - max);
                lse[b * lq + i] = max + Math.log(sum);
                for (int j = 0; j < lk; j++) {
                    s[j] = Math.exp(s[j] - max) / sum;
                    dl += s[j] * dp[j];
                }
                for (int j = 0; j < lk; j++) {
                    double ds = s[j] * (dp[j] - dl);
                    for (int t = 0; t < d; t++) {
                        out[(b * lq + i) * d + t] += s[j] * v[(b * lk + j) * d + t];
                        dq[(b * lq + i) * d + t] += scale * ds * k[(b * lk + j) * d + t];
                        dk[(b * lk + j) * d + t] += scale * ds * q[(b * lq + i) * d + t];
                        dv[(b * lk + j) * d + t] += s[j] * dout[(b * lq + i) * d + t];
                    }
                }
            }
        }
        float[][] all = new float[2][];
        int n = 0;
        for (Parallel par : new Parallel[] {one, two}) {
            FlashAttention fa = new FlashAttention(par);
            float[] o = new float[bh * lq * d], l = new float[bh * lq], delta = new float[bh * lq];
            float[] gq = new float[bh * lq * d], gk = new float[bh * lk * d], gv = new float[bh * lk * d];
            java.util.Arrays.fill(gq, 9f);
            java.util.Arrays.fill(gk, 9f);
            java.util.Arrays.fill(gv, 9f);
            fa.forward(q, k, v, o, l, bh, lq, lk, d, scale);
            fa.backward(q, k, v, o, l, dout, gq, gk, gv, delta, bh, lq, lk, d, scale);
            assertThat(relErr(o, out)).as("out").isLessThan(2e-5);
            assertThat(relErr(l, lse)).as("lse").isLessThan(2e-5);
            assertThat(relErr(gq, dq)).as("dq").isLessThan(5e-5);
            assertThat(relErr(gk, dk)).as("dk").isLessThan(5e-5);
            assertThat(relErr(gv, dv)).as("dv").isLessThan(5e-5);
            float[] cat = new float[o.length + l.length + gq.length + gk.length + gv.length];
            int p = 0;
            for (float[] a : new float[][] {o, l, gq, gk, gv}) {
                System.arraycopy(a, 0, cat, p, a.length);
                p += a.length;
            }
            all[n++] = cat;
        }
        assertThat(all[1]).as("1 vs 2 threads, bit for bit").isEqualTo(all[0]);
    }
}
