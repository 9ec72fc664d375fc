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
 */
final class VectorGelu {
    private VectorGelu() {}

    private static final VectorSpecies<Float> S = MicroKernel6x16.S;
    private static final float INV_SQRT2 = 0.70710678118654752f;
    private static final float INV_SQRT_2PI = 0.39894228040143268f;

    /** Phi(x) for one vector. */
    static FloatVector normalCdf(FloatVector x) {
        FloatVector z = x.abs().mul(INV_SQRT2);
        FloatVector t = FloatVector.broadcast(S, 1f).div(z.mul(0.5f).add(1f));
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
        FloatVector halfErfc = t.mul(VectorExp.exp(poly.sub(z.mul(z)))).mul(0.5f);
        VectorMask<Float> positive = x.compare(jdk.incubator.vector.VectorOperators.GE, 0f);
        return halfErfc.blend(FloatVector.broadcast(S, 1f).sub(halfErfc), positive);
    }

    static void forward(Parallel parallel, float[] x, float[] y, int n) {
        int step = S.length();
        parallel.forRange((n + step - 1) / step, (s, e) -> {
            for (int blk = s; blk < e; blk++) {
                int i = blk * step;
                if (i + step <= n) {
                    FloatVector v = FloatVector.fromArray(S, x, i);
                    v.mul(normalCdf(v)).intoArray(y, i);
                } else {
                    for (int j = i; j < n; j++) org.maesil.tensor.kernels.Gelu.geluForwardElement(x, y, j);
                }
            }
        });
    }

    /**
     * dx = dy gelu'(x). Two passes over each chunk, each in its own method with one exp: with
     * both exps in one loop body C2 (JDK 17) sometimes fails to intrinsify the vector code and
     * falls back to the Java implementation of the Vector API (tens of ns per element). The
     * arithmetic is the same as one pass, so the bits are too.
     */
    static void backward(Parallel parallel, float[] x, float[] dy, float[] dx, int n) {
        int step = S.length();
        if (dx == dy || dx == x) {
            backwardInPlace(parallel, x, dy, dx, n);
            return;
        }
        parallel.forRange((n + step - 1) / step, (s, e) -> {
            int full = Math.min(e, n / step);
            if (full > s) {
                cdfInto(x, dx, s * step, full * step);
                derivativeTimesGrad(x, dy, dx, s * step, full * step);
            }
            for (int j = Math.max(s, full) * step; j < Math.min(n, e * step); j++) {
                org.maesil.tensor.kernels.Gelu.geluBackwardElement(x, dy, dx, j);
            }
        });
    }

    /** One pass (dx may be x or dy): the same arithmetic, slower on JDK 17 (see above). */
    private static void backwardInPlace(Parallel parallel, float[] x, float[] dy, float[] dx, int n) {
        int step = S.length();
        parallel.forRange((n + step - 1) / step, (s, e) -> {
            for (int blk = s; blk < e; blk++) {
                int i = blk * step;
                if (i + step <= n) {
                    FloatVector v = FloatVector.fromArray(S, x, i);
                    FloatVector density = VectorExp.exp(v.mul(v).mul(-0.5f)).mul(INV_SQRT_2PI);
                    FloatVector derivative = v.fma(density, normalCdf(v));
                    FloatVector.fromArray(S, dy, i).mul(derivative).intoArray(dx, i);
                } else {
                    for (int j = i; j < n; j++) org.maesil.tensor.kernels.Gelu.geluBackwardElement(x, dy, dx, j);
                }
            }
        });
    }

    /** out[i] = Phi(x[i]) for i in [from, to), whole vectors. */
    private static void cdfInto(float[] x, float[] out, int from, int to) {
        for (int i = from; i < to; i += S.length()) {
            normalCdf(FloatVector.fromArray(S, x, i)).intoArray(out, i);
        }
    }

    /** dx[i] = dy[i] (Phi + x phi(x)), with Phi already in dx[i], for i in [from, to), whole vectors. */
    private static void derivativeTimesGrad(float[] x, float[] dy, float[] dx, int from, int to) {
        for (int i = from; i < to; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            FloatVector density = VectorExp.exp(v.mul(v).mul(-0.5f)).mul(INV_SQRT_2PI);
            FloatVector derivative = v.fma(density, FloatVector.fromArray(S, dx, i));
            FloatVector.fromArray(S, dy, i).mul(derivative).intoArray(dx, i);
        }
    }
}
