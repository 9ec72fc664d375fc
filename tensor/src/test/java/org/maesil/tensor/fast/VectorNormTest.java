package org.maesil.tensor.fast;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.maesil.tensor.Parallel;
import org.maesil.tensor.kernels.GroupNorm;
import org.maesil.tensor.kernels.LayerNorm;

/**
 * Vector layer and group norm against the reference kernels (sums in double): tails (sizes not
 * a multiple of the vector length), 1 and 2 threads giving the same bits, and y == x, dx == dy.
 */
class VectorNormTest {
    private static final float EPS = 1e-5f;

    /** Gaussian values with an offset: the mean is large against the spread, as after a bias. */
    static float[] data(int n, long seed, double offset, double scale) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (offset + scale * r.nextGaussian());
        return x;
    }

    /** max |a - ref| / max |ref| (errors measured against the output's scale: dx sums cancel). */
    static double scaledError(float[] a, float[] ref) {
        double worst = 0, big = 0;
        for (int i = 0; i < ref.length; i++) {
            worst = Math.max(worst, Math.abs((double) a[i] - ref[i]));
            big = Math.max(big, Math.abs(ref[i]));
        }
        return big == 0 ? worst : worst / big;
    }

    /**
     * max |dx - ref| / max |dy gamma| rstd: dx = rstd (g - mean(g) - xhat mean(g xhat)) is a
     * difference of terms of size |g| rstd, and is exactly 0 when a row has 1 value (layer
     * norm, cols 1) or 2 (group norm, cg l = 2), so its error is measured against those terms.
     */
    static double gradError(float[] dx, float[] ref, float[] dy, float[] gamma, float[] rstd, int rowLen, int l) {
        double worst = 0, scale = 0;
        for (int i = 0; i < ref.length; i++) {
            worst = Math.max(worst, Math.abs((double) dx[i] - ref[i]));
            scale = Math.max(scale, Math.abs((double) dy[i] * gamma[(i / l) % gamma.length]) * rstd[i / rowLen]);
        }
        return worst / scale;
    }

    /** max |a - ref| / |ref| elementwise. */
    static double relError(float[] a, float[] ref) {
        double worst = 0;
        for (int i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs((double) a[i] - ref[i]) / Math.abs(ref[i]));
        return worst;
    }

    /** max |mean - ref| / std (std = 1 / rstd): the mean's error in the units it is divided by. */
    static double meanError(float[] mean, float[] meanRef, float[] rstdRef) {
        double worst = 0;
        for (int i = 0; i < mean.length; i++) worst = Math.max(worst, Math.abs((double) mean[i] - meanRef[i]) * rstdRef[i]);
        return worst;
    }

    @ParameterizedTest
    @CsvSource({"3,1", "5,7", "4,16", "3,17", "2,65", "7,96", "3,768", "2,1500"})
    void layerNormMatchesTheReferenceForAnyThreadCount(int rows, int cols) {
        int size = rows * cols;
        float[] x = data(size, 1, 3.0, 0.5), gamma = data(cols, 2, 1.0, 0.3), beta = data(cols, 3, 0.0, 0.2);
        float[] dy = data(size, 4, 0.0, 1.0);
        float[] yRef = new float[size], meanRef = new float[rows], rstdRef = new float[rows], dxRef = new float[size];
        for (int r = 0; r < rows; r++) {
            LayerNorm.layerNormForwardRow(x, gamma, beta, yRef, meanRef, rstdRef, cols, EPS, r);
            LayerNorm.layerNormGradInputRow(x, gamma, meanRef, rstdRef, dy, dxRef, cols, r);
        }
        float[][] first = null;
        for (int threads = 1; threads <= 2; threads++) {
            float[] y = new float[size], mean = new float[rows], rstd = new float[rows], dx = new float[size];
            try (Parallel par = new Parallel(threads)) {
                VectorNorm.layerNormForward(par, x, gamma, beta, y, mean, rstd, rows, cols, EPS);
                // dx from the reference statistics, so that only the backward pass is measured
                VectorNorm.layerNormGradInput(par, x, gamma, meanRef, rstdRef, dy, dx, rows, cols);
            }
            double eMean = meanError(mean, meanRef, rstdRef), eRstd = cols == 1 ? 0 : relError(rstd, rstdRef);
            double eY = scaledError(y, yRef), eDx = gradError(dx, dxRef, dy, gamma, rstdRef, cols, 1);
            if (threads == 1) System.out.printf("vector layer norm rows %d cols %d: mean %.1e (of std), rstd %.1e, y %.1e (of max), dx %.1e (of max |dy gamma| rstd)%n",
                    rows, cols, eMean, eRstd, eY, eDx);
            assertThat(eMean).as("mean").isLessThan(1e-5);
            assertThat(eRstd).as("rstd").isLessThan(1e-5);
            assertThat(eY).as("y").isLessThan(1e-5);
            assertThat(eDx).as("dx").isLessThan(1e-5);
            float[][] out = {y, mean, rstd, dx};
            if (first == null) {
                first = out;
            } else {
                for (int i = 0; i < out.length; i++) assertThat(out[i]).as("2 threads vs 1, output " + i).isEqualTo(first[i]);
            }
        }
        if (cols == 1) { // one value per row: y = beta exactly, dx = 0
            assertThat(first[0]).isEqualTo(yRef);
        }
    }

    @ParameterizedTest
    @CsvSource({"2,16,1,1", "2,16,1,8", "3,16,13,1", "2,16,13,2", "2,16,13,8", "2,16,4096,1", "2,16,4096,2",
                "4,16,4096,8", "4,32,512,8", "2,6,33,3"})
    void groupNormMatchesTheReferenceForAnyThreadCount(int n, int c, int l, int groups) {
        int size = n * c * l, rows = n * groups;
        float[] x = data(size, 5, -2.0, 0.7), gamma = data(c, 6, 1.0, 0.3), beta = data(c, 7, 0.0, 0.2);
        float[] dy = data(size, 8, 0.1, 1.0);
        float[] yRef = new float[size], meanRef = new float[rows], rstdRef = new float[rows], dxRef = new float[size];
        float[] dgRef = new float[c], dbRef = new float[c];
        for (int r = 0; r < rows; r++) {
            GroupNorm.groupNormForwardRow(x, gamma, beta, yRef, meanRef, rstdRef, c, l, groups, EPS, r);
            GroupNorm.groupNormGradInputRow(x, gamma, meanRef, rstdRef, dy, dxRef, c, l, groups, r);
        }
        for (int ch = 0; ch < c; ch++) {
            GroupNorm.groupNormGradParamsChannel(x, meanRef, rstdRef, dy, dgRef, dbRef, n, c, l, groups, ch);
        }
        float[][] first = null;
        for (int threads = 1; threads <= 2; threads++) {
            float[] y = new float[size], mean = new float[rows], rstd = new float[rows], dx = new float[size];
            float[] dg = new float[c], db = new float[c];
            try (Parallel par = new Parallel(threads)) {
                VectorNorm.groupNormForward(par, x, gamma, beta, y, mean, rstd, n, c, l, groups, EPS);
                VectorNorm.groupNormBackward(par, x, gamma, meanRef, rstdRef, dy, dx, dg, db, n, c, l, groups);
            }
            double eMean = meanError(mean, meanRef, rstdRef), eRstd = relError(rstd, rstdRef);
            double eY = scaledError(y, yRef), eDx = gradError(dx, dxRef, dy, gamma, rstdRef, c / groups * l, l);
            double eDg = scaledError(dg, dgRef), eDb = scaledError(db, dbRef);
            if (threads == 1) System.out.printf("vector group norm n %d c %d l %d groups %d: mean %.1e (of std), rstd %.1e, y %.1e, dx %.1e,"
                    + " dgamma %.1e, dbeta %.1e (of max; dx of max |dy gamma| rstd)%n", n, c, l, groups, eMean, eRstd, eY, eDx, eDg, eDb);
            assertThat(eMean).as("mean").isLessThan(1e-5);
            assertThat(eRstd).as("rstd").isLessThan(1e-5);
            assertThat(eY).as("y").isLessThan(1e-5);
            assertThat(eDx).as("dx").isLessThan(1e-5);
            assertThat(eDg).as("dgamma").isLessThan(1e-5);
            assertThat(eDb).as("dbeta").isLessThan(1e-5);
            float[][] out = {y, mean, rstd, dx, dg, db};
            if (first == null) {
                first = out;
            } else {
                for (int i = 0; i < out.length; i++) assertThat(out[i]).as("2 threads vs 1, output " + i).isEqualTo(first[i]);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"5,33", "3,96"})
    void layerNormInPlaceGivesTheSameBits(int rows, int cols) {
        int size = rows * cols;
        float[] x = data(size, 9, 1.0, 2.0), gamma = data(cols, 10, 1.0, 0.3), beta = data(cols, 11, 0.0, 0.2);
        float[] dy = data(size, 12, 0.0, 1.0);
        try (Parallel par = new Parallel(2)) {
            float[] y = new float[size], mean = new float[rows], rstd = new float[rows], dx = new float[size];
            VectorNorm.layerNormForward(par, x, gamma, beta, y, mean, rstd, rows, cols, EPS);
            VectorNorm.layerNormGradInput(par, x, gamma, mean, rstd, dy, dx, rows, cols);
            float[] yIn = x.clone(), dxIn = dy.clone();
            VectorNorm.layerNormForward(par, yIn, gamma, beta, yIn, new float[rows], new float[rows], rows, cols, EPS);
            VectorNorm.layerNormGradInput(par, x, gamma, mean, rstd, dxIn, dxIn, rows, cols);
            assertThat(yIn).as("y == x").isEqualTo(y);
            assertThat(dxIn).as("dx == dy").isEqualTo(dx);
        }
    }

    @ParameterizedTest
    @CsvSource({"2,8,13,2", "2,4,100,4"})
    void groupNormInPlaceGivesTheSameBits(int n, int c, int l, int groups) {
        int size = n * c * l, rows = n * groups;
        float[] x = data(size, 13, 1.0, 2.0), gamma = data(c, 14, 1.0, 0.3), beta = data(c, 15, 0.0, 0.2);
        float[] dy = data(size, 16, 0.0, 1.0);
        try (Parallel par = new Parallel(2)) {
            float[] y = new float[size], mean = new float[rows], rstd = new float[rows], dx = new float[size];
            float[] dg = new float[c], db = new float[c], dgIn = new float[c], dbIn = new float[c];
            VectorNorm.groupNormForward(par, x, gamma, beta, y, mean, rstd, n, c, l, groups, EPS);
            VectorNorm.groupNormBackward(par, x, gamma, mean, rstd, dy, dx, dg, db, n, c, l, groups);
            float[] yIn = x.clone(), dxIn = dy.clone();
            VectorNorm.groupNormForward(par, yIn, gamma, beta, yIn, new float[rows], new float[rows], n, c, l, groups, EPS);
            VectorNorm.groupNormBackward(par, x, gamma, mean, rstd, dxIn, dxIn, dgIn, dbIn, n, c, l, groups);
            assertThat(yIn).as("y == x").isEqualTo(y);
            assertThat(dxIn).as("dx == dy").isEqualTo(dx);
            assertThat(dgIn).isEqualTo(dg);
            assertThat(dbIn).isEqualTo(db);
        }
    }
}
