package org.maesil.tensor.fast;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Copies blocks of the operands of C = op(A) op(B) into the panel layouts that
 * {@link MicroKernel6x16} streams through:
 *
 * <pre>
 *   A block [mc x kc]  ->  ceil(mc/6) panels, each kc columns of 6 consecutive rows:
 *                           panel q, step p, row r  at  q*6*kc + p*6 + r
 *   B block [kc x nc]  ->  ceil(nc/16) panels, each kc rows of 16 consecutive columns:
 *                           panel q, step p, col j  at  q*16*kc + p*16 + j
 * </pre>
 *
 * Rows or columns past the matrix edge are filled with zeros, so the micro-kernel always
 * runs full tiles. op(A)[i, p] = transA ? a[aOff + p*lda + i] : a[aOff + i*lda + p];
 * op(B)[p, j] = transB ? b[bOff + j*ldb + p] : b[bOff + p*ldb + j].
 */
final class Packing {
    private Packing() {}

    static final int MR = MicroKernel6x16.MR;
    static final int NR = MicroKernel6x16.NR;
    private static final VectorSpecies<Float> S = MicroKernel6x16.S;
    private static final int LANES = MicroKernel6x16.LANES;

    /** Packs op(A)[i0 .. i0+mc, p0 .. p0+kc) into dst (from dstOff), 6-row panels. */
    static void packA(float[] a, int aOff, int lda, boolean transA, int i0, int mc, int p0, int kc,
                      float[] dst, int dstOff) {
        for (int q = 0; q < mc; q += MR) {
            int rows = Math.min(MR, mc - q);
            int d = dstOff + (q / MR) * MR * kc;
            if (transA && rows == MR) {
                // op(A)[i, p] = a[p*lda + i]: the 6 rows of one step are contiguous (written out:
                // a loop of 6 with a variable bound cost 2-3x as much, 11% of a MAESIL step)
                for (int p = 0, s = aOff + p0 * lda + i0 + q; p < kc; p++, d += MR, s += lda) {
                    dst[d] = a[s];
                    dst[d + 1] = a[s + 1];
                    dst[d + 2] = a[s + 2];
                    dst[d + 3] = a[s + 3];
                    dst[d + 4] = a[s + 4];
                    dst[d + 5] = a[s + 5];
                }
            } else if (transA) {
                for (int p = 0; p < kc; p++, d += MR) {
                    int s = aOff + (p0 + p) * lda + i0 + q;
                    for (int r = 0; r < rows; r++) dst[d + r] = a[s + r];
                    for (int r = rows; r < MR; r++) dst[d + r] = 0f;
                }
            } else if (rows == MR) {
                // six rows read side by side, the panel written in order
                int s0 = aOff + (i0 + q) * lda + p0, s1 = s0 + lda, s2 = s1 + lda, s3 = s2 + lda, s4 = s3 + lda, s5 = s4 + lda;
                for (int p = 0; p < kc; p++, d += MR) {
                    dst[d] = a[s0 + p];
                    dst[d + 1] = a[s1 + p];
                    dst[d + 2] = a[s2 + p];
                    dst[d + 3] = a[s3 + p];
                    dst[d + 4] = a[s4 + p];
                    dst[d + 5] = a[s5 + p];
                }
            } else {
                for (int r = 0; r < MR; r++) {
                    if (r < rows) {
                        int s = aOff + (i0 + q + r) * lda + p0;
                        for (int p = 0; p < kc; p++) dst[d + p * MR + r] = a[s + p];
                    } else {
                        for (int p = 0; p < kc; p++) dst[d + p * MR + r] = 0f;
                    }
                }
            }
        }
    }

    /** Packs the 16-column panels number [q0, q1) of op(B)[p0 .. p0+kc, 0 .. n) into dst. */
    static void packB(float[] b, int bOff, int ldb, boolean transB, int n, int p0, int kc,
                      int q0, int q1, float[] dst) {
        packB(b, bOff, ldb, transB, n, p0, kc, q0, q1, dst, 0);
    }

    /** As above, with panel q stored from dst[dstOff + q*16*kc]. */
    static void packB(float[] b, int bOff, int ldb, boolean transB, int n, int p0, int kc,
                      int q0, int q1, float[] dst, int dstOff) {
        for (int q = q0; q < q1; q++) {
            int j0 = q * NR;
            int cols = Math.min(NR, n - j0);
            int d = dstOff + q * NR * kc;
            if (transB) {
                for (int j = 0; j < NR; j++) {
                    if (j < cols) {
                        int s = bOff + (j0 + j) * ldb + p0;
                        for (int p = 0; p < kc; p++) dst[d + p * NR + j] = b[s + p];
                    } else {
                        for (int p = 0; p < kc; p++) dst[d + p * NR + j] = 0f;
                    }
                }
            } else {
                for (int p = 0; p < kc; p++, d += NR) {
                    int s = bOff + (p0 + p) * ldb + j0;
                    if (cols == NR) { // two vectors (System.arraycopy's call costs more than the copy of 2 x 64 bytes)
                        FloatVector.fromArray(S, b, s).intoArray(dst, d);
                        FloatVector.fromArray(S, b, s + LANES).intoArray(dst, d + LANES);
                    } else {
                        for (int j = 0; j < cols; j++) dst[d + j] = b[s + j];
                        for (int j = cols; j < NR; j++) dst[d + j] = 0f;
                    }
                }
            }
        }
    }
}
