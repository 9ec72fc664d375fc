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
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
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
        // The stores are written out (no helper method, no vector merged across branches): a
        // vector that C2 cannot prove stays in registers gets boxed on the heap, every step.
        if (rows == MR && cols == NR) {
            int o0 = cOff, o1 = cOff + ldc, o2 = cOff + 2 * ldc, o3 = cOff + 3 * ldc, o4 = cOff + 4 * ldc, o5 = cOff + 5 * ldc;
            if (accumulate) {
                FloatVector.fromArray(S, c, o0).add(c00).intoArray(c, o0);
                FloatVector.fromArray(S, c, o0 + LANES).add(c01).intoArray(c, o0 + LANES);
                FloatVector.fromArray(S, c, o1).add(c10).intoArray(c, o1);
                FloatVector.fromArray(S, c, o1 + LANES).add(c11).intoArray(c, o1 + LANES);
                FloatVector.fromArray(S, c, o2).add(c20).intoArray(c, o2);
                FloatVector.fromArray(S, c, o2 + LANES).add(c21).intoArray(c, o2 + LANES);
                FloatVector.fromArray(S, c, o3).add(c30).intoArray(c, o3);
                FloatVector.fromArray(S, c, o3 + LANES).add(c31).intoArray(c, o3 + LANES);
                FloatVector.fromArray(S, c, o4).add(c40).intoArray(c, o4);
                FloatVector.fromArray(S, c, o4 + LANES).add(c41).intoArray(c, o4 + LANES);
                FloatVector.fromArray(S, c, o5).add(c50).intoArray(c, o5);
                FloatVector.fromArray(S, c, o5 + LANES).add(c51).intoArray(c, o5 + LANES);
            } else {
                c00.intoArray(c, o0); c01.intoArray(c, o0 + LANES);
                c10.intoArray(c, o1); c11.intoArray(c, o1 + LANES);
                c20.intoArray(c, o2); c21.intoArray(c, o2 + LANES);
                c30.intoArray(c, o3); c31.intoArray(c, o3 + LANES);
                c40.intoArray(c, o4); c41.intoArray(c, o4 + LANES);
                c50.intoArray(c, o5); c51.intoArray(c, o5 + LANES);
            }
            return;
        }
        // Edge tile: spill the registers, then copy the valid rows x cols part.
        c00.intoArray(scratch, so + 0 * NR); c01.intoArray(scratch, so + 0 * NR + LANES);
        c10.intoArray(scratch, so + 1 * NR); c11.intoArray(scratch, so + 1 * NR + LANES);
        c20.intoArray(scratch, so + 2 * NR); c21.intoArray(scratch, so + 2 * NR + LANES);
        c30.intoArray(scratch, so + 3 * NR); c31.intoArray(scratch, so + 3 * NR + LANES);
        c40.intoArray(scratch, so + 4 * NR); c41.intoArray(scratch, so + 4 * NR + LANES);
        c50.intoArray(scratch, so + 5 * NR); c51.intoArray(scratch, so + 5 * NR + LANES);
        for (int r = 0; r < rows; r++) {
            int ci = cOff + r * ldc;
            for (int j = 0; j < cols; j++) {
                float v = scratch[so + r * NR + j];
                c[ci + j] = accumulate ? c[ci + j] + v : v;
            }
        }
    }
}
