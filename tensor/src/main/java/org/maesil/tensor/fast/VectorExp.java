package org.maesil.tensor.fast;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp(x) on one vector of floats (8 with AVX2, 16 with AVX-512) at once (Cephes expf): x = n ln2 + r with n = round(x / ln2), |r| <= ln2/2,
 * exp(r) by a degree-6 polynomial, times 2^n built in the exponent bits. Relative error about
 * 2 ulp; inputs are clamped to [-87.3, 88.7] (so exp of anything below -87.3 gives ~1e-38, not 0).
 * Pure arithmetic, so every thread gets the same bits.
 *
 * <p>The only entry is the array form {@link #expInPlace}: a method that takes or returns a
 * vector is only fast when C2 inlines it into its caller (else the vector is boxed and the
 * Vector API runs its Java fallback, tens of ns per element), and C2 stops inlining a method
 * once its own compiled code is large. That happened to exp(FloatVector) inside GELU (a fifth
 * of the AE's training time) and, as a private helper, inside this loop; over arrays, with
 * the body in the loop, no vector crosses a call boundary.
 */
final class VectorExp {
    private VectorExp() {}

    static final VectorSpecies<Float> S = MicroKernel6x16.S;
    /** Integer lanes of the same shape as S (for the bit reinterpretations below). */
    private static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, S.vectorShape());
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f; // 1.5 * 2^23: adding and subtracting it rounds to an integer

    /** a[i] = exp(a[i]) for i in [from, to); to - from a multiple of the vector length. */
    static void expInPlace(float[] a, int from, int to) {
        // The body is written out in the loop, not in a helper taking a FloatVector: see the class comment.
        for (int i = from; i < to; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, a, i).max(-87.3f).min(88.7f);
            // t = x log2(e) + 1.5 * 2^23: the float's low mantissa bits now hold n = round(x log2(e))
            FloatVector t = x.mul(LOG2E).add(ROUND);
            FloatVector n = t.sub(ROUND);
            FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), x);  // x - n ln2, in two parts
            r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
            FloatVector y = FloatVector.broadcast(S, 1.9875691500e-4f);
            y = y.fma(r, FloatVector.broadcast(S, 1.3981999507e-3f));
            y = y.fma(r, FloatVector.broadcast(S, 8.3334519073e-3f));
            y = y.fma(r, FloatVector.broadcast(S, 4.1665795894e-2f));
            y = y.fma(r, FloatVector.broadcast(S, 1.6666665459e-1f));
            y = y.fma(r, FloatVector.broadcast(S, 5.0000001201e-1f));
            y = y.fma(r.mul(r), r.add(1f));
            // 2^n: the bits of t are ROUND's bits + n; move n + 127 into the exponent field (times
            // 2^23 = shift left by 23), an integer reinterpretation (JDK 17 does not compile a
            // float-to-int conversion to vector code)
            IntVector bits = (IntVector) t.convertShape(VectorOperators.REINTERPRET_F2I, IS, 0);
            IntVector e = bits.sub(Float.floatToRawIntBits(ROUND) - 127).mul(1 << 23);
            y.mul((FloatVector) e.convertShape(VectorOperators.REINTERPRET_I2F, S, 0)).intoArray(a, i);
        }
    }
}
