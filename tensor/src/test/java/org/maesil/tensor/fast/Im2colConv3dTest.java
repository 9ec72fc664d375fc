package org.maesil.tensor.fast;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.maesil.tensor.Conv3dGeometry;
import org.maesil.tensor.Parallel;

/** im2col convolution (forward, dW, db, dx) against a direct float64 convolution. */
class Im2colConv3dTest {
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

    /** Direct convolution in double: y, and for a given dy: dx, dw, db. Also the magnitude sums for tolerances. */
    static final class Reference {
        final double[] y, dx, dw, db, yMag, dxMag, dwMag;

        Reference(float[] x, float[] w, float[] b, float[] dy, Conv3dGeometry g) {
            y = new double[g.outputSize()];
            yMag = new double[g.outputSize()];
            dx = new double[g.inputSize()];
            dxMag = new double[g.inputSize()];
            dw = new double[g.weightSize()];
            dwMag = new double[g.weightSize()];
            db = new double[g.cout()];
            int od = g.outD(), oh = g.outH(), ow = g.outW();
            for (int n = 0; n < g.n(); n++)
                for (int co = 0; co < g.cout(); co++)
                    for (int d = 0; d < od; d++)
                        for (int h = 0; h < oh; h++)
                            for (int q = 0; q < ow; q++) {
                                int yi = (((n * g.cout() + co) * od + d) * oh + h) * ow + q;
                                y[yi] = b[co];
                                yMag[yi] = Math.abs(b[co]);
                                db[co] += dy[yi];
                                for (int ci = 0; ci < g.cin(); ci++)
                                    for (int kd = 0; kd < g.kD(); kd++)
                                        for (int kh = 0; kh < g.kH(); kh++)
                                            for (int kw = 0; kw < g.kW(); kw++) {
                                                int id = d * g.sD() - g.pD() + kd, ih = h * g.sH() - g.pH() + kh,
                                                        iw = q * g.sW() - g.pW() + kw;
                                                if (id < 0 || ih < 0 || iw < 0 || id >= g.inD() || ih >= g.inH() || iw >= g.inW()) continue;
                                                int xi = (((n * g.cin() + ci) * g.inD() + id) * g.inH() + ih) * g.inW() + iw;
                                                int wi = (((co * g.cin() + ci) * g.kD() + kd) * g.kH() + kh) * g.kW() + kw;
                                                y[yi] += (double) w[wi] * x[xi];
                                                yMag[yi] += Math.abs((double) w[wi] * x[xi]);
                                                dx[xi] += (double) w[wi] * dy[yi];
                                                dxMag[xi] += Math.abs((double) w[wi] * dy[yi]);
                                                dw[wi] += (double) x[xi] * dy[yi];
                                                dwMag[wi] += Math.abs((double) x[xi] * dy[yi]);
                                            }
                            }
        }
    }

    static void close(float[] got, double[] want, double[] mag, int terms, String what) {
        double u = Math.ulp(1f) / 2;
        for (int i = 0; i < want.length; i++) {
            double tol = (terms + 2) * u * (mag == null ? Math.abs(want[i]) : mag[i]) + 1e-30;
            assertThat(Math.abs(got[i] - want[i])).as("%s[%d]: %s vs %s", what, i, got[i], want[i]).isLessThanOrEqualTo(tol);
        }
    }

    @ParameterizedTest
    @CsvSource({
            // n, cin, cout, inD, inH, inW, kD, kH, kW, sD, sH, sW, pD, pH, pW, colBudget
            "1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 4194304",
            "2, 3, 5, 7, 6, 5, 3, 2, 1, 2, 1, 3, 1, 0, 2, 4194304",
            "2, 3, 5, 7, 6, 5, 3, 2, 1, 2, 1, 3, 1, 0, 2, 50",
            "2, 1, 17, 8, 8, 12, 4, 4, 4, 4, 4, 4, 0, 0, 0, 4194304",
            "1, 2, 7, 9, 11, 10, 4, 4, 4, 4, 4, 4, 0, 0, 0, 200",
            // patch embedding with its panels packed from the volume: 1024 taps (4 KC blocks of
            // the matmul), 54 patches per sample (two panels, the second partial), a 2-sample dW sum
            "2, 2, 13, 16, 24, 72, 8, 8, 8, 8, 8, 8, 0, 0, 0, 4194304",
            // ... with enough patches for the wide-B schedule (each work item packs its own panels):
            // 2448 patches (the last panel partial), 7 channels; 1088 patches and 1024 taps (2 KC blocks)
            "1, 1, 7, 48, 48, 68, 4, 4, 4, 4, 4, 4, 0, 0, 0, 4194304",
            "1, 2, 5, 64, 64, 136, 8, 8, 8, 8, 8, 8, 0, 0, 0, 4194304",
            "2, 4, 8, 9, 9, 9, 3, 3, 3, 2, 2, 2, 1, 1, 1, 4194304",
            "1, 13, 3, 5, 4, 6, 3, 3, 3, 1, 1, 1, 1, 1, 1, 400",
            // panel paths: cout not a multiple of 6, voxel counts not multiples of the panel width,
            // dW split into several voxel ranges (cin 1 and 3), output rows crossing panels
            "2, 3, 37, 9, 10, 11, 3, 3, 3, 2, 2, 2, 1, 1, 1, 4194304",
            "1, 1, 5, 20, 18, 23, 3, 3, 3, 1, 1, 1, 1, 1, 1, 4194304",
            "2, 3, 7, 12, 13, 14, 3, 3, 3, 2, 2, 2, 1, 1, 1, 4194304",
            "2, 1, 32, 16, 16, 16, 3, 3, 3, 2, 2, 2, 1, 1, 1, 4194304",
            "1, 2, 4, 6, 7, 9, 2, 3, 1, 3, 1, 2, 0, 2, 1, 4194304",
            // the baselines' down-sampling (k4 s2 p1): output rows of 8 voxels, shorter than a 16-lane vector
            "2, 4, 8, 16, 16, 16, 4, 4, 4, 2, 2, 2, 1, 1, 1, 4194304",
            // direct forward: rows of 1.5 and 2 vectors (partial last segment), an odd segment
            // count, stride 3, more taps than one block (KB), the conv stack's second layer
            "1, 2, 7, 3, 5, 24, 3, 3, 3, 1, 1, 1, 1, 1, 1, 4194304",
            "1, 3, 6, 5, 3, 37, 2, 2, 3, 1, 1, 1, 0, 0, 1, 4194304",
            "1, 2, 5, 7, 7, 98, 3, 3, 5, 3, 3, 3, 2, 1, 2, 4194304",
            "1, 40, 7, 4, 4, 18, 3, 3, 3, 1, 1, 1, 1, 1, 1, 4194304",
            "2, 32, 64, 8, 8, 32, 3, 3, 3, 2, 2, 2, 1, 1, 1, 4194304",
            // wide tiles: dW with 4 vectors of channels (cout 40 and 64 pad to 64; 33 to 64), forward
            // segment counts that leave groups of 1, 2 and 3 at the end, rows of 1.5 vectors
            "1, 3, 40, 5, 6, 40, 3, 3, 3, 1, 1, 1, 1, 1, 1, 4194304",
            "1, 2, 33, 3, 3, 17, 3, 3, 3, 1, 1, 1, 1, 1, 1, 4194304",
            "2, 2, 64, 5, 7, 24, 3, 3, 3, 1, 1, 1, 1, 1, 1, 4194304",
            // dx of k3 s2 p1 with inW = 2 outW, the three taps of a row at once: 2 output rows (the
            // fewest it takes), input depth odd (a last plane reached by one tap only)
            "1, 3, 5, 5, 4, 16, 3, 3, 3, 2, 2, 2, 1, 1, 1, 4194304",
            // the same with an odd input height (the last output row's kh = 2 falls outside) and 4 rows of 16
            "2, 2, 3, 5, 7, 32, 3, 3, 3, 2, 2, 2, 1, 1, 1, 4194304",
            // dW in the dot form read straight from the split input (K <= 32, output rows of whole
            // 8- and 16-lane vectors): the conv stack's first layer in small (cout 5 and 32, 27 taps,
            // 2 samples, rows of 32), 24 taps of 2 channels with rows of 16, and enough voxels
            // (20 x 5 x 32 per sample) for several blocks and voxel ranges
            "2, 1, 5, 8, 6, 64, 3, 3, 3, 2, 2, 2, 1, 1, 1, 4194304",
            "2, 1, 32, 4, 4, 64, 3, 3, 3, 2, 2, 2, 1, 1, 1, 4194304",
            "1, 2, 3, 4, 5, 16, 2, 2, 3, 1, 1, 1, 0, 0, 1, 4194304",
            "2, 1, 6, 20, 9, 32, 3, 3, 3, 1, 2, 1, 1, 1, 1, 4194304",
    })
    void matchesDirectFloat64Convolution(int n, int cin, int cout, int inD, int inH, int inW, int kD, int kH, int kW,
                                         int sD, int sH, int sW, int pD, int pH, int pW, int budget) {
        Conv3dGeometry g = new Conv3dGeometry(n, cin, cout, inD, inH, inW, kD, kH, kW, sD, sH, sW, pD, pH, pW);
        float[] x = FastMatmulTest.random(g.inputSize(), 1), w = FastMatmulTest.random(g.weightSize(), 2);
        float[] b = FastMatmulTest.random(cout, 3), dy = FastMatmulTest.random(g.outputSize(), 4);
        Reference ref = new Reference(x, w, b, dy, g);
        check(x, w, b, dy, ref, g, budget, false, false, false);
        check(x, w, b, dy, ref, g, budget, true, false, false);
        check(x, w, b, dy, ref, g, budget, true, true, false);
        check(x, w, b, dy, ref, g, budget, true, true, true);
    }

    /** One fast configuration against the reference, and 1 vs 2 threads bit for bit (wide: the direct path's wide tiles). */
    static void check(float[] x, float[] w, float[] b, float[] dy, Reference ref, Conv3dGeometry g, int budget,
                      boolean usePanels, boolean useDirect, boolean wide) {
        int n = g.n(), cin = g.cin(), cout = g.cout(), kD = g.kD(), kH = g.kH(), kW = g.kW();
        float[][] results = new float[2][];
        int t = 0;
        for (Parallel par : new Parallel[] {one, two}) {
            Im2colConv3d conv = new Im2colConv3d(par, new FastMatmul(par), budget, usePanels, useDirect, wide);
            float[] y = new float[g.outputSize()], dx = new float[g.inputSize()];
            float[] dw = new float[g.weightSize()], db = new float[cout];
            java.util.Arrays.fill(dx, 7f); // must be overwritten
            java.util.Arrays.fill(dw, 7f);
            conv.forward(x, w, b, y, g);
            conv.backwardInput(dy, w, dx, g);
            conv.backwardWeight(x, dy, dw, db, g);
            int taps = cin * kD * kH * kW;
            close(y, ref.y, ref.yMag, taps + 1, "y");
            close(dx, ref.dx, ref.dxMag, cout * kD * kH * kW, "dx");
            close(dw, ref.dw, ref.dwMag, g.outputSize() / cout, "dw");
            double[] dbMag = new double[cout];
            for (int i = 0; i < g.outputSize(); i++) dbMag[(i / (g.outputSize() / n / cout)) % cout] += Math.abs(dy[i]);
            close(db, ref.db, dbMag, g.outputSize() / cout, "db");
            float[] all = new float[y.length + dx.length + dw.length + db.length];
            System.arraycopy(y, 0, all, 0, y.length);
            System.arraycopy(dx, 0, all, y.length, dx.length);
            System.arraycopy(dw, 0, all, y.length + dx.length, dw.length);
            System.arraycopy(db, 0, all, y.length + dx.length + dw.length, db.length);
            results[t++] = all;
        }
        assertThat(results[1]).as("1 vs 2 threads, bit for bit (panels %s, direct %s, wide %s)", usePanels, useDirect, wide).isEqualTo(results[0]);
    }
}
