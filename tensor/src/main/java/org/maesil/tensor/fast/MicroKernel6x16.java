package org.maesil.tensor.fast;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register tile of the fast matmul: a 6 x 16 block of C accumulated in twelve 8-lane
 * AVX2 registers (6 rows x 2 vectors), from one packed 6-row panel of A and one packed
 * 16-column panel of B (see {@link Packing}).
 *
 * <p>Per step p of the kc loop it loads two vectors of B (16 floats, contiguous), broadcasts
 * the six A values of column p (contiguous), and does 12 fused multiply-adds: 12
 * accumulators + 2 B vectors + 1 broadcast = 15 of the 16 ymm registers. A larger tile
 * (4 x 24) spills on AVX2.
 *
 * <p>Summation order of every C element: its kc products in order p = 0, 1, ..., then added
 * to C (or stored when not accumulating). It does not depend on where the tile lies, so the
 * result is independent of the thread split.
 */
final class MicroKernel6x16 {
    private MicroKernel6x16() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    static final int MR = 6;
    static final int NR = 16;

    /**
     * c[cOff + r*ldc + j] (+)= sum_p ap[aOff + p*6 + r] * bp[bOff + p*16 + j] for r < rows,
     * j < cols (rows <= 6, cols <= 16). scratch[so .. so+96): spill space for edge tiles.
     */
    static void tile(float[] ap, int aOff, float[] bp, int bOff, int kc,
                     float[] c, int cOff, int ldc, int rows, int cols, boolean accumulate,
                     float[] scratch, int so) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ao = aOff + p * MR, bo = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + 8);
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
        if (rows == MR && cols == NR) {
            store(c, cOff, c00, c01, accumulate);
            store(c, cOff + ldc, c10, c11, accumulate);
            store(c, cOff + 2 * ldc, c20, c21, accumulate);
            store(c, cOff + 3 * ldc, c30, c31, accumulate);
            store(c, cOff + 4 * ldc, c40, c41, accumulate);
            store(c, cOff + 5 * ldc, c50, c51, accumulate);
            return;
        }
        // Edge tile: spill the registers, then copy the valid rows x cols part.
        c00.intoArray(scratch, so + 0);  c01.intoArray(scratch, so + 8);
        c10.intoArray(scratch, so + 16); c11.intoArray(scratch, so + 24);
        c20.intoArray(scratch, so + 32); c21.intoArray(scratch, so + 40);
        c30.intoArray(scratch, so + 48); c31.intoArray(scratch, so + 56);
        c40.intoArray(scratch, so + 64); c41.intoArray(scratch, so + 72);
        c50.intoArray(scratch, so + 80); c51.intoArray(scratch, so + 88);
        for (int r = 0; r < rows; r++) {
            int ci = cOff + r * ldc;
            for (int j = 0; j < cols; j++) {
                float v = scratch[so + r * NR + j];
                c[ci + j] = accumulate ? c[ci + j] + v : v;
            }
        }
    }

    private static void store(float[] c, int off, FloatVector v0, FloatVector v1, boolean accumulate) {
        if (accumulate) {
            v0 = v0.add(FloatVector.fromArray(S, c, off));
            v1 = v1.add(FloatVector.fromArray(S, c, off + 8));
        }
        v0.intoArray(c, off);
        v1.intoArray(c, off + 8);
    }
}
