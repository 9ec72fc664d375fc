package org.maesil.tensor.kernels;

/** Reductions, each written as one output element (a column, a block) from its index. */
public final class Reduction {
    private Reduction() {}

    /**
     * Block length of {@link #sumOfSquaresBlock}. Fixed, so the partial sums, and the total
     * added from them in block order, do not depend on how blocks are spread over threads.
     */
    public static final int SUM_BLOCK = 4096;

    /** db[c] = sum_r dy[r, c] for dy [rows, cols], summed in order r = 0, 1, ...; index = c. */
    public static void sumRowsElement(float[] dy, float[] db, int rows, int cols, int c) {
        float sum = 0f;
        for (int r = 0; r < rows; r++) sum += dy[r * cols + c];
        db[c] = sum;
    }

    /** partial[block] = sum_{i in [block * SUM_BLOCK, min(n, (block + 1) * SUM_BLOCK))} x[i]^2, in double. */
    public static void sumOfSquaresBlock(float[] x, double[] partial, int n, int block) {
        int start = block * SUM_BLOCK;
        int end = Math.min(n, start + SUM_BLOCK);
        double sum = 0.0;
        for (int i = start; i < end; i++) {
            double v = x[i];
            sum += v * v;
        }
        partial[block] = sum;
    }
}
