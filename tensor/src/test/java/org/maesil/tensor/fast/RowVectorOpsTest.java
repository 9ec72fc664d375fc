package org.maesil.tensor.fast;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.maesil.tensor.Parallel;
import org.maesil.tensor.kernels.Elementwise;
import org.maesil.tensor.kernels.Reduction;

/** Vector addBias and sumRows equal the reference kernels bit for bit, for 1 and 2 threads. */
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
            }
        }
    }
}
