package org.maesil.tensor;

/**
 * A schedule for the engine's kernels. The kernels themselves are static functions in
 * {@code org.maesil.tensor.kernels}, each computing one output element (or one row) from its
 * index; a backend decides where and how the index space runs: {@link JavaBackend} across CPU
 * threads, the TornadoVM backend (module {@code tornado}) as task graphs on a GPU.
 *
 * <p>Conventions: arrays are row-major; every output array is overwritten (never accumulated
 * into) unless the method says so; shapes are passed as ints so that kernels stay free of
 * objects. Implementations must give results that do not depend on the number of threads.
 */
public interface Backend extends AutoCloseable {

    /** Short name with device, e.g. "java(2 threads)" or "tornado:opencl:0". */
    String name();

    // ---------------------------------------------------------------- matrix multiply

    /**
     * Batched matrix multiply: C[b] = op(A[b]) op(B[b]) (+ C[b] when accumulate), for b < batch.
     * A[b] is [m, k] ([k, m] when transA), B[b] is [k, n] ([n, k] when transB), C[b] is [m, n].
     * A batch stride of 0 for A or B broadcasts one matrix across the batch.
     */
    void matmul(float[] a, float[] b, float[] c, int batch, int m, int n, int k,
                boolean transA, boolean transB, boolean accumulate, int strideA, int strideB);

    /** Unbatched convenience form of {@link #matmul(float[], float[], float[], int, int, int, int, boolean, boolean, boolean, int, int)}. */
    default void matmul(float[] a, float[] b, float[] c, int m, int n, int k,
                        boolean transA, boolean transB, boolean accumulate) {
        matmul(a, b, c, 1, m, n, k, transA, transB, accumulate, m * k, k * n);
    }

    // ---------------------------------------------------------------- 3D convolution (NCDHW)

    /** y = conv3d(x, w) + bias; bias may be null. Shapes in {@link Conv3dGeometry}. */
    void conv3dForward(float[] x, float[] w, float[] bias, float[] y, Conv3dGeometry g);

    /** dx = gradient of conv3d with respect to its input, from dy. */
    void conv3dBackwardInput(float[] dy, float[] w, float[] dx, Conv3dGeometry g);

    /** dw (and dbias, if not null) = gradient of conv3d with respect to weight and bias. */
    void conv3dBackwardWeight(float[] x, float[] dy, float[] dw, float[] dbias, Conv3dGeometry g);

    /**
     * Transposed convolution: y (shape of g's input) = convT(x (shape of g's output), w) + bias,
     * bias of length g.cin() or null. The adjoint of {@link #conv3dForward} (plus bias).
     */
    void convTranspose3dForward(float[] x, float[] w, float[] bias, float[] y, Conv3dGeometry g);

    /** dx (shape of g's output) from dy (shape of g's input): a plain convolution. */
    void convTranspose3dBackwardInput(float[] dy, float[] w, float[] dx, Conv3dGeometry g);

    /** dw and dbias (length g.cin(), or null) of the transposed convolution. */
    void convTranspose3dBackwardWeight(float[] x, float[] dy, float[] dw, float[] dbias, Conv3dGeometry g);

    // ---------------------------------------------------------------- attention

    /**
     * Multi-head scaled-dot-product softmax attention, tiled with an online softmax (memory
     * linear in sequence length): out = softmax(q k^T * scale) v per (batch, head).
     * q: [bh, lq, d], k and v: [bh, lk, d], out: [bh, lq, d], lse: [bh, lq] receives the
     * log-sum-exp of each score row, which the backward pass needs.
     */
    void attentionForward(float[] q, float[] k, float[] v, float[] out, float[] lse,
                          int bh, int lq, int lk, int d, float scale);

    /**
     * Backward of {@link #attentionForward}: dq, dk, dv from dout, recomputing scores tile by
     * tile. delta: [bh, lq] scratch (receives rowsum(dout * out)).
     */
    void attentionBackward(float[] q, float[] k, float[] v, float[] out, float[] lse, float[] dout,
                           float[] dq, float[] dk, float[] dv, float[] delta,
                           int bh, int lq, int lk, int d, float scale);

    // ---------------------------------------------------------------- normalisation and activations

    /** y = (x - mean) * rstd * gamma + beta per row of [rows, cols]; saves mean and rstd [rows]. */
    void layerNormForward(float[] x, float[] gamma, float[] beta, float[] y, float[] mean, float[] rstd,
                          int rows, int cols, float eps);

    /** dx, dgamma, dbeta of layer norm (dgamma, dbeta overwritten). */
    void layerNormBackward(float[] x, float[] gamma, float[] mean, float[] rstd, float[] dy,
                           float[] dx, float[] dgamma, float[] dbeta, int rows, int cols);

    /**
     * Group normalisation of x [n, c, l] as torch.nn.GroupNorm(groups, c, eps): per (sample,
     * group of c / groups channels), y = (x - mean) * rstd * gamma[ch] + beta[ch]; saves mean and
     * rstd [n * groups]. Kernel: {@code kernels.GroupNorm}. This default runs the reference
     * kernel row by row on the calling thread; backends give it their own schedule.
     */
    default void groupNormForward(float[] x, float[] gamma, float[] beta, float[] y, float[] mean, float[] rstd,
                                  int n, int c, int l, int groups, float eps) {
        for (int row = 0; row < n * groups; row++) {
            org.maesil.tensor.kernels.GroupNorm.groupNormForwardRow(x, gamma, beta, y, mean, rstd, c, l, groups, eps, row);
        }
    }

    /** dx, dgamma, dbeta of group norm (all overwritten); same default as {@link #groupNormForward}. */
    default void groupNormBackward(float[] x, float[] gamma, float[] mean, float[] rstd, float[] dy,
                                   float[] dx, float[] dgamma, float[] dbeta, int n, int c, int l, int groups) {
        for (int row = 0; row < n * groups; row++) {
            org.maesil.tensor.kernels.GroupNorm.groupNormGradInputRow(x, gamma, mean, rstd, dy, dx, c, l, groups, row);
        }
        for (int ch = 0; ch < c; ch++) {
            org.maesil.tensor.kernels.GroupNorm.groupNormGradParamsChannel(x, mean, rstd, dy, dgamma, dbeta, n, c, l, groups, ch);
        }
    }

    /** y = gelu(x) = x * Phi(x) (exact, erf form, as PyTorch's default), n elements. */
    void geluForward(float[] x, float[] y, int n);

    /** dx = dy * gelu'(x). */
    void geluBackward(float[] x, float[] dy, float[] dx, int n);

    /** y = relu(x) = x < 0 ? 0 : x, n elements (y may be x; relu(NaN) = NaN, relu(-0) = -0, as PyTorch). */
    void reluForward(float[] x, float[] y, int n);

    /** dx = x <= 0 ? 0 : dy (PyTorch's threshold_backward; dx may be dy). */
    void reluBackward(float[] x, float[] dy, float[] dx, int n);

    /** Row-wise softmax of [rows, cols]. */
    void softmaxForward(float[] x, float[] y, int rows, int cols);

    /** dx = y * (dy - rowsum(dy * y)). */
    void softmaxBackward(float[] y, float[] dy, float[] dx, int rows, int cols);

    // ---------------------------------------------------------------- loss

    /**
     * Weighted mean-squared error over rows of [rows, cols]:
     * loss = sum_r w_r mean_c (p - t)^2 / sum_r w_r (w may be null: all ones). Returns loss.
     */
    double mseLoss(float[] pred, float[] target, float[] rowWeight, int rows, int cols);

    /** dpred = scale * w_r * 2 (p - t) / (cols * sum_r w_r) for the loss above. */
    void mseLossBackward(float[] pred, float[] target, float[] rowWeight, float[] dpred,
                         int rows, int cols, float scale);

    // ---------------------------------------------------------------- elementwise and reductions

    /** y[r, c] = x[r, c] + bias[c] for [rows, cols] (y may be x). */
    void addBias(float[] x, float[] bias, float[] y, int rows, int cols);

    /** db[c] = sum_r dy[r, c] (overwrites db). */
    void sumRows(float[] dy, float[] db, int rows, int cols);

    /** y = a + b, n elements (y may alias a or b). */
    void add(float[] a, float[] b, float[] y, int n);

    /** y += alpha * x, n elements. */
    void axpy(float alpha, float[] x, float[] y, int n);

    /** y = alpha * x, n elements (y may be x). */
    void scale(float[] x, float alpha, float[] y, int n);

    /** sum of x[i]^2 in double, computed in fixed-size blocks (thread-count independent). */
    double sumOfSquares(float[] x, int n);

    /**
     * AdamW step on n parameters (decoupled weight decay, bias-corrected moments):
     * m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
     * p -= lr * (m / bc1 / (sqrt(v / bc2) + eps) + wd * p).
     */
    void adamw(float[] p, float[] g, float[] m, float[] v, int n,
               float lr, float beta1, float beta2, float eps, float weightDecay, float bc1, float bc2);

    /** Releases threads or device memory. */
    @Override
    void close();
}
