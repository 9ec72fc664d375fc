package org.maesil.tensor.fast;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
import org.maesil.tensor.Parallel;

/**
 * GELU, exact (erf) form, on vectors: gelu(x) = x Phi(x), gelu'(x) = Phi(x) + x phi(x), with
 * Phi(x) = erfc(-x / sqrt 2) / 2 and phi the normal density. erfc(z), z >= 0, is the
 * Chebyshev fit of Numerical Recipes (erfcc: fractional error below 1.2e-7 for every z),
 * erfc(z) = t exp(-z^2 - 1.26551223 + t (1.00002368 + ... )), t = 1 / (1 + z/2), with
 * {@link VectorExp}; for x >= 0, Phi = 1 - erfc(z)/2. Relative error about 3e-7 against the
 * double-precision reference kernel (org.maesil.tensor.kernels.Gelu); tails stay accurate
 * because erfc is never computed as 1 - erf. Tails beyond the vector loop use the reference.
 *
 * <p>Work goes in chunks of {@link #CHUNK} elements through a per-thread scratch buffer, one
 * simple loop per step (the exp argument, the exp over the array, the rest): no vector crosses
 * a method call (see {@link VectorExp}), and x, dy and dx may be the same array.
 */
final class VectorGelu {
    private VectorGelu() {}

    private static final VectorSpecies<Float> S = MicroKernel6x16.S;
    private static final float INV_SQRT2 = 0.70710678118654752f;
    private static final float INV_SQRT_2PI = 0.39894228040143268f;
    /** Elements per chunk (a multiple of every vector length): two chunks of scratch stay in L1. */
    static final int CHUNK = 512;
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[3 * CHUNK]);

    /** y = gelu(x) = x Phi(x), elementwise over n floats. */
    static void forward(Parallel parallel, float[] x, float[] y, int n) {
        int step = S.length();
        parallel.forRange((n + step - 1) / step, (s, e) -> {
            float[] buf = SCRATCH.get(); // [0, CHUNK): Phi(x); [2 CHUNK, 3 CHUNK): scratch
            int full = Math.min(e, n / step) * step;
            for (int i = s * step; i < full; i += CHUNK) {
                int len = Math.min(CHUNK, full - i);
                normalCdf(x, i, len, buf, 0, buf, 2 * CHUNK);
                for (int j = 0; j < len; j += step) {
                    FloatVector.fromArray(S, x, i + j).mul(FloatVector.fromArray(S, buf, j)).intoArray(y, i + j);
                }
            }
            for (int j = Math.max(s * step, full); j < Math.min(n, e * step); j++) {
                org.maesil.tensor.kernels.Gelu.geluForwardElement(x, y, j);
            }
        });
    }

    /** dx = dy gelu'(x) = dy (Phi(x) + x phi(x)), elementwise over n floats. */
    static void backward(Parallel parallel, float[] x, float[] dy, float[] dx, int n) {
        int step = S.length();
        parallel.forRange((n + step - 1) / step, (s, e) -> {
            float[] buf = SCRATCH.get(); // [0, CHUNK): Phi(x); [CHUNK, 2 CHUNK): phi(x) sqrt(2 pi); [2 CHUNK, 3 CHUNK): scratch
            int full = Math.min(e, n / step) * step;
            for (int i = s * step; i < full; i += CHUNK) {
                int len = Math.min(CHUNK, full - i);
                normalCdf(x, i, len, buf, 0, buf, 2 * CHUNK);
                for (int j = 0; j < len; j += step) { // exp argument of the density: -x^2 / 2
                    FloatVector v = FloatVector.fromArray(S, x, i + j);
                    v.mul(v).mul(-0.5f).intoArray(buf, CHUNK + j);
                }
                VectorExp.expInPlace(buf, CHUNK, CHUNK + len);
                for (int j = 0; j < len; j += step) {
                    FloatVector v = FloatVector.fromArray(S, x, i + j);
                    FloatVector density = FloatVector.fromArray(S, buf, CHUNK + j).mul(INV_SQRT_2PI);
                    FloatVector derivative = v.fma(density, FloatVector.fromArray(S, buf, j));
                    FloatVector.fromArray(S, dy, i + j).mul(derivative).intoArray(dx, i + j);
                }
            }
            for (int j = Math.max(s * step, full); j < Math.min(n, e * step); j++) {
                org.maesil.tensor.kernels.Gelu.geluBackwardElement(x, dy, dx, j);
            }
        });
    }

    /**
     * out[o + j] = Phi(x[from + j]) for j < len (a multiple of the vector length); tmp[to + j]
     * receives t = 1 / (1 + z/2) (len floats of scratch).
     */
    static void normalCdf(float[] x, int from, int len, float[] out, int o, float[] tmp, int to) {
        int step = S.length();
        for (int j = 0; j < len; j += step) { // tmp = t, out = exp argument: poly(t) - z^2
            FloatVector z = FloatVector.fromArray(S, x, from + j).abs().mul(INV_SQRT2);
            FloatVector t = FloatVector.broadcast(S, 1f).div(z.mul(0.5f).add(1f));
            // Horner, written out: a vector carried around a loop may be left boxed by C2
            FloatVector poly = FloatVector.broadcast(S, 0.17087277f);
            poly = poly.fma(t, FloatVector.broadcast(S, -0.82215223f));
            poly = poly.fma(t, FloatVector.broadcast(S, 1.48851587f));
            poly = poly.fma(t, FloatVector.broadcast(S, -1.13520398f));
            poly = poly.fma(t, FloatVector.broadcast(S, 0.27886807f));
            poly = poly.fma(t, FloatVector.broadcast(S, -0.18628806f));
            poly = poly.fma(t, FloatVector.broadcast(S, 0.09678418f));
            poly = poly.fma(t, FloatVector.broadcast(S, 0.37409196f));
            poly = poly.fma(t, FloatVector.broadcast(S, 1.00002368f));
            poly = poly.fma(t, FloatVector.broadcast(S, -1.26551223f));
            t.intoArray(tmp, to + j);
            poly.sub(z.mul(z)).intoArray(out, o + j);
        }
        VectorExp.expInPlace(out, o, o + len);
        for (int j = 0; j < len; j += step) { // erfc(z) / 2 = t exp(...) / 2; Phi = it or 1 - it by the sign of x
            FloatVector v = FloatVector.fromArray(S, x, from + j);
            FloatVector halfErfc = FloatVector.fromArray(S, tmp, to + j).mul(FloatVector.fromArray(S, out, o + j)).mul(0.5f);
            VectorMask<Float> positive = v.compare(jdk.incubator.vector.VectorOperators.GE, 0f);
            halfErfc.blend(FloatVector.broadcast(S, 1f).sub(halfErfc), positive).intoArray(out, o + j);
        }
    }
}
