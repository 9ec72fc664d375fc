package org.maesil.tensor.kernels;

/**
 * ReLU, relu(x) = max(x, 0), and its gradient, as PyTorch computes them: x itself unless x < 0,
 * so relu(NaN) = NaN and relu(-0) = -0; the gradient passes dy unless x <= 0, so also where x is
 * NaN (threshold_backward).
 */
public final class Relu {
    private Relu() {}

    /** y[i] = x[i] < 0 ? 0 : x[i]. */
    public static void reluForwardElement(float[] x, float[] y, int i) {
        y[i] = x[i] < 0f ? 0f : x[i];
    }

    /** dx[i] = x[i] <= 0 ? 0 : dy[i]. */
    public static void reluBackwardElement(float[] x, float[] dy, float[] dx, int i) {
        dx[i] = x[i] <= 0f ? 0f : dy[i];
    }
}
