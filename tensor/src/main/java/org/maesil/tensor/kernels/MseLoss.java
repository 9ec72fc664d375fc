package org.maesil.tensor.kernels;

/**
 * Mean squared error over rows of pred, target [rows, cols] with optional row weights w [rows]
 * (e.g. 1 for masked patches, 0 for visible ones):
 * loss = sum_r w_r mean_c (p_rc - t_rc)^2 / sum_r w_r.
 *
 * <p>The kernels give per-row sums of squared errors; the host adds them (times w_r) in row
 * order, so the loss does not depend on the thread count. The gradient is elementwise.
 * Row sums are double: the loss is a double.
 */
public final class MseLoss {
    private MseLoss() {}

    /** rowSum_r = sum_c (p_rc - t_rc)^2; one row of [rows, cols]. */
    public static void squaredErrorRowSum(float[] pred, float[] target, double[] rowSum, int cols, int row) {
        int off = row * cols;
        double sum = 0.0;
        for (int c = 0; c < cols; c++) {
            double diff = (double) pred[off + c] - target[off + c];
            sum += diff * diff;
        }
        rowSum[row] = sum;
    }

    /** dp_i = factor (p_i - t_i), factor = scale * 2 / (cols * rows) for the unweighted loss. */
    public static void mseGradElement(float[] pred, float[] target, float[] dpred, float factor, int i) {
        dpred[i] = factor * (pred[i] - target[i]);
    }

    /** dp_rc = factor w_r (p_rc - t_rc), factor = scale * 2 / (cols * sum_r w_r); element i = r * cols + c. */
    public static void weightedMseGradElement(float[] pred, float[] target, float[] rowWeight, float[] dpred,
                                              int cols, float factor, int i) {
        dpred[i] = factor * rowWeight[i / cols] * (pred[i] - target[i]);
    }
}
