package org.maesil.tensor.kernels;

/**
 * Batched matrix multiply C[b] = op(A[b]) op(B[b]) (+ C[b]), row-major.
 *
 * <p>Shapes: A[b] is [m, k] ([k, m] when transA = 1), B[b] is [k, n] ([n, k] when transB = 1),
 * C[b] is [m, n]. Batch b of A starts at b * strideA, of B at b * strideB (a stride of 0
 * broadcasts one matrix over the batch), of C at b * m * n. Flags are ints (0 or 1).
 *
 * <p>Each output element is summed in the order p = 0, 1, ..., k - 1, starting from C's old
 * value when accumulate = 1 and from 0 otherwise. {@link #matmulElement} and {@link #matmulRow}
 * follow exactly this order, so they give the same bits.
 */
public final class Matmul {
    private Matmul() {}

    /** Offset of A[b][i][p] (op applied): [m, k] row-major, or the transpose of a [k, m] matrix. */
    static int offsetA(int base, int i, int p, int m, int k, int transA) {
        return transA == 0 ? base + i * k + p : base + p * m + i;
    }

    /** Offset of B[b][p][j] (op applied): [k, n] row-major, or the transpose of an [n, k] matrix. */
    static int offsetB(int base, int p, int j, int n, int k, int transB) {
        return transB == 0 ? base + p * n + j : base + j * k + p;
    }

    /** c[b, i, j] = (accumulate ? c[b, i, j] : 0) + sum_p opA[b, i, p] * opB[b, p, j]; index = (b * m + i) * n + j. */
    public static void matmulElement(float[] a, float[] b, float[] c, int m, int n, int k,
                                     int transA, int transB, int accumulate, int strideA, int strideB, int index) {
        int j = index % n;
        int row = index / n;
        int i = row % m;
        int batch = row / m;
        int baseA = batch * strideA;
        int baseB = batch * strideB;
        float sum = accumulate == 1 ? c[index] : 0f;
        for (int p = 0; p < k; p++) {
            sum += a[offsetA(baseA, i, p, m, k, transA)] * b[offsetB(baseB, p, j, n, k, transB)];
        }
        c[index] = sum;
    }

    /**
     * One row of C: c[b, i, :] = (accumulate ? c[b, i, :] : 0) + sum_p opA[b, i, p] * opB[b, p, :];
     * row = b * m + i. Same bits as {@link #matmulElement}; the loop order keeps B's memory
     * contiguous in the inner loop (p outer, j inner when transB = 0; a dot product over p
     * when transB = 1).
     */
    public static void matmulRow(float[] a, float[] b, float[] c, int m, int n, int k,
                                 int transA, int transB, int accumulate, int strideA, int strideB, int row) {
        int i = row % m;
        int batch = row / m;
        int baseA = batch * strideA;
        int baseB = batch * strideB;
        int baseC = row * n;
        if (transB == 0) {
            if (accumulate == 0) {
                for (int j = 0; j < n; j++) c[baseC + j] = 0f;
            }
            for (int p = 0; p < k; p++) {
                float aip = a[offsetA(baseA, i, p, m, k, transA)];
                int rowB = baseB + p * n;
                for (int j = 0; j < n; j++) {
                    c[baseC + j] += aip * b[rowB + j];
                }
            }
        } else {
            for (int j = 0; j < n; j++) {
                float sum = accumulate == 1 ? c[baseC + j] : 0f;
                int rowB = baseB + j * k;
                if (transA == 0) {
                    int rowA = baseA + i * k;
                    for (int p = 0; p < k; p++) sum += a[rowA + p] * b[rowB + p];
                } else {
                    for (int p = 0; p < k; p++) sum += a[baseA + p * m + i] * b[rowB + p];
                }
                c[baseC + j] = sum;
            }
        }
    }
}
