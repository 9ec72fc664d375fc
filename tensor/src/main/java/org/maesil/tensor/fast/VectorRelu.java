package org.maesil.tensor.fast;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.maesil.tensor.Parallel;
import org.maesil.tensor.kernels.Relu;

/**
 * ReLU and its gradient on vectors, as blends: y = x with 0 where x < 0, dx = dy with 0 where
 * x <= 0. The reference kernels' comparisons compile to branches, and with random signs half of
 * them are mispredicted: 11 ms instead of 0.7 for 2M floats on one core. Bit-identical to
 * {@link Relu} (selections, no arithmetic); the arrays may be the same.
 */
final class VectorRelu {
    private VectorRelu() {}

    private static final VectorSpecies<Float> S = MicroKernel6x16.S;

    /** y[i] = x[i] < 0 ? 0 : x[i], i < n. */
    static void forward(Parallel parallel, float[] x, float[] y, int n) {
        int step = S.length();
        parallel.forRange((n + step - 1) / step, (s, e) -> {
            FloatVector zero = FloatVector.zero(S);
            int full = Math.min(e, n / step) * step;
            for (int i = s * step; i < full; i += step) {
                FloatVector v = FloatVector.fromArray(S, x, i);
                v.blend(zero, v.compare(VectorOperators.LT, 0f)).intoArray(y, i);
            }
            for (int i = Math.max(s * step, full); i < Math.min(n, e * step); i++) Relu.reluForwardElement(x, y, i);
        });
    }

    /** dx[i] = x[i] <= 0 ? 0 : dy[i], i < n. */
    static void backward(Parallel parallel, float[] x, float[] dy, float[] dx, int n) {
        int step = S.length();
        parallel.forRange((n + step - 1) / step, (s, e) -> {
            FloatVector zero = FloatVector.zero(S);
            int full = Math.min(e, n / step) * step;
            for (int i = s * step; i < full; i += step) {
                FloatVector.fromArray(S, dy, i).blend(zero, FloatVector.fromArray(S, x, i).compare(VectorOperators.LE, 0f))
                        .intoArray(dx, i);
            }
            for (int i = Math.max(s * step, full); i < Math.min(n, e * step); i++) Relu.reluBackwardElement(x, dy, dx, i);
        });
    }
}
