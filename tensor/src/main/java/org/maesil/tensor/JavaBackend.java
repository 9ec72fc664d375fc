package org.maesil.tensor;

/**
 * The CPU schedule: each kernel's index space split across a team of threads
 * ({@link Parallel}). Results are bit-identical for any thread count.
 */
public final class JavaBackend implements Backend {
    private final Parallel parallel;

    public JavaBackend(int threads) {
        this.parallel = new Parallel(threads);
    }

    public JavaBackend() {
        this(Backends.defaultThreads());
    }

    public int threads() { return parallel.threads(); }

    public Parallel parallel() { return parallel; }

    @Override
    public String name() { return "java(" + parallel.threads() + " threads)"; }

    private static UnsupportedOperationException notYet(String op) {
        return new UnsupportedOperationException(op + " is not implemented yet in the Java backend");
    }

    @Override
    public void matmul(float[] a, float[] b, float[] c, int batch, int m, int n, int k,
                       boolean transA, boolean transB, boolean accumulate, int strideA, int strideB) {
        throw notYet("matmul");
    }

    @Override
    public void conv3dForward(float[] x, float[] w, float[] bias, float[] y, Conv3dGeometry g) { throw notYet("conv3dForward"); }

    @Override
    public void conv3dBackwardInput(float[] dy, float[] w, float[] dx, Conv3dGeometry g) { throw notYet("conv3dBackwardInput"); }

    @Override
    public void conv3dBackwardWeight(float[] x, float[] dy, float[] dw, float[] dbias, Conv3dGeometry g) { throw notYet("conv3dBackwardWeight"); }

    @Override
    public void convTranspose3dForward(float[] x, float[] w, float[] bias, float[] y, Conv3dGeometry g) { throw notYet("convTranspose3dForward"); }

    @Override
    public void convTranspose3dBackwardInput(float[] dy, float[] w, float[] dx, Conv3dGeometry g) { throw notYet("convTranspose3dBackwardInput"); }

    @Override
    public void convTranspose3dBackwardWeight(float[] x, float[] dy, float[] dw, float[] dbias, Conv3dGeometry g) { throw notYet("convTranspose3dBackwardWeight"); }

    @Override
    public void attentionForward(float[] q, float[] k, float[] v, float[] out, float[] lse,
                                 int bh, int lq, int lk, int d, float scale) { throw notYet("attentionForward"); }

    @Override
    public void attentionBackward(float[] q, float[] k, float[] v, float[] out, float[] lse, float[] dout,
                                  float[] dq, float[] dk, float[] dv, float[] delta,
                                  int bh, int lq, int lk, int d, float scale) { throw notYet("attentionBackward"); }

    @Override
    public void layerNormForward(float[] x, float[] gamma, float[] beta, float[] y, float[] mean, float[] rstd,
                                 int rows, int cols, float eps) { throw notYet("layerNormForward"); }

    @Override
    public void layerNormBackward(float[] x, float[] gamma, float[] mean, float[] rstd, float[] dy,
                                  float[] dx, float[] dgamma, float[] dbeta, int rows, int cols) { throw notYet("layerNormBackward"); }

    @Override
    public void geluForward(float[] x, float[] y, int n) { throw notYet("geluForward"); }

    @Override
    public void geluBackward(float[] x, float[] dy, float[] dx, int n) { throw notYet("geluBackward"); }

    @Override
    public void softmaxForward(float[] x, float[] y, int rows, int cols) { throw notYet("softmaxForward"); }

    @Override
    public void softmaxBackward(float[] y, float[] dy, float[] dx, int rows, int cols) { throw notYet("softmaxBackward"); }

    @Override
    public double mseLoss(float[] pred, float[] target, float[] rowWeight, int rows, int cols) { throw notYet("mseLoss"); }

    @Override
    public void mseLossBackward(float[] pred, float[] target, float[] rowWeight, float[] dpred,
                                int rows, int cols, float scale) { throw notYet("mseLossBackward"); }

    @Override
    public void addBias(float[] x, float[] bias, float[] y, int rows, int cols) { throw notYet("addBias"); }

    @Override
    public void sumRows(float[] dy, float[] db, int rows, int cols) { throw notYet("sumRows"); }

    @Override
    public void add(float[] a, float[] b, float[] y, int n) { throw notYet("add"); }

    @Override
    public void axpy(float alpha, float[] x, float[] y, int n) { throw notYet("axpy"); }

    @Override
    public void scale(float[] x, float alpha, float[] y, int n) { throw notYet("scale"); }

    @Override
    public double sumOfSquares(float[] x, int n) { throw notYet("sumOfSquares"); }

    @Override
    public void adamw(float[] p, float[] g, float[] m, float[] v, int n,
                      float lr, float beta1, float beta2, float eps, float weightDecay, float bc1, float bc2) { throw notYet("adamw"); }

    @Override
    public void close() { parallel.close(); }
}
