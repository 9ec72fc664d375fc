package org.maesil.tensor.fast;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register tile of the fast matmul: a 6 x NR block of C accumulated in twelve vector
 * registers (6 rows x 2 vectors), from one packed 6-row panel of A and one packed NR-column
 * panel of B (see {@link Packing}). NR = 2 vector lengths of the machine's preferred species:
 * 16 floats with AVX2 (8-lane ymm registers), 32 with AVX-512 (16-lane zmm registers). The
 * class name keeps the AVX2 shape.
 *
 * <p>Per step p of the kc loop it loads two vectors of B (NR floats, contiguous), broadcasts
 * the six A values of column p (contiguous), and does 12 fused multiply-adds: 12
 * accumulators + 2 B vectors + 1 broadcast = 15 registers (AVX2 has 16). A larger tile
 * (4 x 24) spills on AVX2.
 *
 * <p>Summation order of every C element: its kc products in order p = 0, 1, ..., then added
 * to C (or stored when not accumulating). It does not depend on where the tile lies, so the
 * result is independent of the thread split.
 */
final class MicroKernel6x16 {
    private MicroKernel6x16() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Floats per vector register: 8 (AVX2) or 16 (AVX-512). */
    static final int LANES = S.length();
    static final int MR = 6;
    static final int NR = 2 * LANES;

    /**
     * c[cOff + r*ldc + j] (+)= sum_p ap[aOff + p*6 + r] * bp[bOff + p*NR + j] for r < rows,
     * j < cols (rows <= 6, cols <= NR). scratch[so .. so + 6*NR): spill space for edge tiles.
     */
    static void tile(float[] ap, int aOff, float[] bp, int bOff, int kc,
                     float[] c, int cOff, int ldc, int rows, int cols, boolean accumulate,
                     float[] scratch, int so) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero;
        FloatVector c30 = zero, c31 = zero, c40 = zero, c41 = zero, c50 = zero, c51 = zero;
        for (int p = 0; p < kc; p++) {
            int ao = aOff + p * MR, bo = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + LANES);
            FloatVector a = FloatVector.broadcast(S, ap[ao]);
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, ap[ao + 1]);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, ap[ao + 2]);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, ap[ao + 3]);
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(S, ap[ao + 4]);
            c40 = a.fma(b0, c40); c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(S, ap[ao + 5]);
            c50 = a.fma(b0, c50); c51 = a.fma(b1, c51);
        }
        // A full tile is stored straight into C; an edge tile into scratch (rows NR apart), and
        // its valid part copied from there. One block of stores serves both, and one zero()
        // starts all accumulators: C2 inlines every written-out Vector API call with its whole
        // template, and in some JVMs its inlining budget ran out before the last calls of this
        // method, which then ran the Vector API's Java fallback with boxed vectors (separate
        // store blocks for accumulate / store / edge: the small MAE step at 105-150 ms instead
        // of 65-80 in 5 of 42 JVMs, the last rows' stores in the fallback; this form: 0 of 40).
        boolean full = rows == MR && cols == NR;
        float[] dst = full ? c : scratch;
        int ld = full ? ldc : NR;
        int o0 = full ? cOff : so, o1 = o0 + ld, o2 = o1 + ld, o3 = o2 + ld, o4 = o3 + ld, o5 = o4 + ld;
        if (full && accumulate) {
            c00 = c00.add(FloatVector.fromArray(S, c, o0)); c01 = c01.add(FloatVector.fromArray(S, c, o0 + LANES));
            c10 = c10.add(FloatVector.fromArray(S, c, o1)); c11 = c11.add(FloatVector.fromArray(S, c, o1 + LANES));
            c20 = c20.add(FloatVector.fromArray(S, c, o2)); c21 = c21.add(FloatVector.fromArray(S, c, o2 + LANES));
            c30 = c30.add(FloatVector.fromArray(S, c, o3)); c31 = c31.add(FloatVector.fromArray(S, c, o3 + LANES));
            c40 = c40.add(FloatVector.fromArray(S, c, o4)); c41 = c41.add(FloatVector.fromArray(S, c, o4 + LANES));
            c50 = c50.add(FloatVector.fromArray(S, c, o5)); c51 = c51.add(FloatVector.fromArray(S, c, o5 + LANES));
        }
        c00.intoArray(dst, o0); c01.intoArray(dst, o0 + LANES);
        c10.intoArray(dst, o1); c11.intoArray(dst, o1 + LANES);
        c20.intoArray(dst, o2); c21.intoArray(dst, o2 + LANES);
        c30.intoArray(dst, o3); c31.intoArray(dst, o3 + LANES);
        c40.intoArray(dst, o4); c41.intoArray(dst, o4 + LANES);
        c50.intoArray(dst, o5); c51.intoArray(dst, o5 + LANES);
        if (full) return;
        for (int r = 0; r < rows; r++) {
            int ci = cOff + r * ldc;
            for (int j = 0; j < cols; j++) {
                float v = scratch[so + r * NR + j];
                c[ci + j] = accumulate ? c[ci + j] + v : v;
            }
        }
    }
}
