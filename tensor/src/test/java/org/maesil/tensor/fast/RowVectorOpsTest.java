package org.maesil.tensor.fast;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.maesil.tensor.Parallel;
import org.maesil.tensor.kernels.Elementwise;
import org.maesil.tensor.kernels.Reduction;

/** addBias, sumRows and layer norm's dgamma/dbeta equal the reference kernels bit for bit, for 1 and 2 threads. */
class RowVectorOpsTest {

    @ParameterizedTest
    @CsvSource({"1,1", "3,7", "17,16", "5,33", "129,300", "64,768", "2,1000"})
    void equalTheReferenceKernelsBitForBit(int rows, int cols) {
        float[] x = FastMatmulTest.random(rows * cols, 1), bias = FastMatmulTest.random(cols, 2);
        float[] yRef = new float[rows * cols], dbRef = new float[cols];
        for (int i = 0; i < rows * cols; i++) Elementwise.addBiasElement(x, bias, yRef, cols, i);
        for (int c = 0; c < cols; c++) Reduction.sumRowsElement(x, dbRef, rows, cols, c);
        for (int threads = 1; threads <= 2; threads++) {
            try (Parallel par = new Parallel(threads)) {
                float[] y = new float[rows * cols], db = new float[cols];
                java.util.Arrays.fill(db, 5f);
                RowVectorOps.addBias(par, x, bias, y, rows, cols);
                RowVectorOps.sumRows(par, x, db, rows, cols);
                assertThat(y).isEqualTo(yRef);
                assertThat(db).isEqualTo(dbRef);
                float[] mean = FastMatmulTest.random(rows, 3), rstd = FastMatmulTest.random(rows, 4);
                float[] dy = FastMatmulTest.random(rows * cols, 5);
                float[] dg = new float[cols], dbt = new float[cols], dgRef = new float[cols], dbtRef = new float[cols];
                for (int c = 0; c < cols; c++) {
                    org.maesil.tensor.kernels.LayerNorm.layerNormGradParamsColumn(x, mean, rstd, dy,
                            dgRef, dbtRef, rows, cols, c);
                }
                RowVectorOps.layerNormGradParams(par, x, mean, rstd, dy, dg, dbt, rows, cols);
                assertThat(dg).isEqualTo(dgRef);
                assertThat(dbt).isEqualTo(dbtRef);
            }
        }
    }

    /** The conv bias gradient: close to a float64 sum (rounding bound), the same bits on 1 and 2 threads. */
    @ParameterizedTest
    @CsvSource({"1,1,1", "2,3,7", "1,5,16", "3,4,33", "2,768,4096", "4,16,4099"})
    void sumPerChannelIsCloseToTheFloat64SumAndThreadIndependent(int samples, int channels, int spatial) {
        float[] dy = FastMatmulTest.random(samples * channels * spatial, 6);
        float[][] got = new float[2][channels];
        for (int threads = 1; threads <= 2; threads++) {
            try (Parallel par = new Parallel(threads)) {
                java.util.Arrays.fill(got[threads - 1], 5f);
                RowVectorOps.sumPerChannel(par, dy, got[threads - 1], samples, channels, spatial);
            }
        }
        assertThat(got[1]).isEqualTo(got[0]);
        for (int c = 0; c < channels; c++) {
            double sum = 0, mag = 0;
            for (int n = 0; n < samples; n++) {
                for (int v = 0; v < spatial; v++) {
                    sum += dy[(n * channels + c) * spatial + v];
                    mag += Math.abs(dy[(n * channels + c) * spatial + v]);
                }
            }
            double tol = (samples * spatial + 2) * Math.ulp(1f) / 2 * mag + 1e-30;
            assertThat(Math.abs(got[0][c] - sum)).as("channel %d", c).isLessThanOrEqualTo(tol);
        }
    }
}
