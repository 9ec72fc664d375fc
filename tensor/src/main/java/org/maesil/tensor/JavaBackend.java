package org.maesil.tensor;

import org.maesil.tensor.kernels.AdamW;
import org.maesil.tensor.kernels.Conv3d;
import org.maesil.tensor.kernels.ConvTranspose3d;
import org.maesil.tensor.kernels.Elementwise;
import org.maesil.tensor.kernels.Matmul;
import org.maesil.tensor.kernels.Reduction;

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

    // ---------------------------------------------------------------- matmul, convolution, elementwise (kernels: Matmul, Conv3d, ConvTranspose3d, Elementwise, Reduction, AdamW)

    /** Stands in for an absent bias array, which the kernels then do not read (hasBias = 0). */
    private static final float[] NO_BIAS = new float[1];

    /** Partial sums of sumOfSquares, reused between calls. */
    private double[] sumScratch = new double[0];

    private static void need(float[] array, long length, String op, String name) {
        if (array == null) throw new IllegalArgumentException(op + ": " + name + " is null");
        if (array.length < length) {
            throw new IllegalArgumentException(op + ": " + name + " has length " + array.length + ", needs " + length);
        }
    }

    private static int flag(boolean b) { return b ? 1 : 0; }

    @Override
    public void matmul(float[] a, float[] b, float[] c, int batch, int m, int n, int k,
                       boolean transA, boolean transB, boolean accumulate, int strideA, int strideB) {
        if (batch < 0 || m < 0 || n < 0 || k < 0 || strideA < 0 || strideB < 0) {
            throw new IllegalArgumentException("matmul: negative size or stride");
        }
        if (batch == 0 || m == 0 || n == 0) return;
        need(a, (long) (batch - 1) * strideA + (long) m * k, "matmul", "a");
        need(b, (long) (batch - 1) * strideB + (long) k * n, "matmul", "b");
        need(c, (long) batch * m * n, "matmul", "c");
        int ta = flag(transA), tb = flag(transB), acc = flag(accumulate);
        parallel.forRange(batch * m, (s, e) -> {
            for (int row = s; row < e; row++) Matmul.matmulRow(a, b, c, m, n, k, ta, tb, acc, strideA, strideB, row);
        });
    }

    @Override
    public void conv3dForward(float[] x, float[] w, float[] bias, float[] y, Conv3dGeometry g) {
        need(x, g.inputSize(), "conv3dForward", "x");
        need(w, g.weightSize(), "conv3dForward", "w");
        need(y, g.outputSize(), "conv3dForward", "y");
        if (bias != null) need(bias, g.cout(), "conv3dForward", "bias");
        int[] geom = g.packed();
        int hasBias = bias == null ? 0 : 1;
        float[] bb = bias == null ? NO_BIAS : bias;
        parallel.forRange(g.outputSize(), (s, e) -> {
            for (int i = s; i < e; i++) Conv3d.forwardElement(x, w, bb, hasBias, y, geom, i);
        });
    }

    @Override
    public void conv3dBackwardInput(float[] dy, float[] w, float[] dx, Conv3dGeometry g) {
        need(dy, g.outputSize(), "conv3dBackwardInput", "dy");
        need(w, g.weightSize(), "conv3dBackwardInput", "w");
        need(dx, g.inputSize(), "conv3dBackwardInput", "dx");
        int[] geom = g.packed();
        parallel.forRange(g.inputSize(), (s, e) -> {
            for (int i = s; i < e; i++) Conv3d.backwardInputElement(dy, w, dx, geom, i);
        });
    }

    @Override
    public void conv3dBackwardWeight(float[] x, float[] dy, float[] dw, float[] dbias, Conv3dGeometry g) {
        need(x, g.inputSize(), "conv3dBackwardWeight", "x");
        need(dy, g.outputSize(), "conv3dBackwardWeight", "dy");
        need(dw, g.weightSize(), "conv3dBackwardWeight", "dw");
        int[] geom = g.packed();
        parallel.forRange(g.weightSize(), (s, e) -> {
            for (int i = s; i < e; i++) Conv3d.backwardWeightElement(x, dy, dw, geom, i);
        });
        if (dbias != null) {
            need(dbias, g.cout(), "conv3dBackwardWeight", "dbias");
            parallel.forRange(g.cout(), (s, e) -> {
                for (int c = s; c < e; c++) Conv3d.biasGradElement(dy, dbias, geom, c);
            });
        }
    }

    @Override
    public void convTranspose3dForward(float[] x, float[] w, float[] bias, float[] y, Conv3dGeometry g) {
        need(x, g.outputSize(), "convTranspose3dForward", "x");
        need(w, g.weightSize(), "convTranspose3dForward", "w");
        need(y, g.inputSize(), "convTranspose3dForward", "y");
        if (bias != null) need(bias, g.cin(), "convTranspose3dForward", "bias");
        int[] geom = g.packed();
        int hasBias = bias == null ? 0 : 1;
        float[] bb = bias == null ? NO_BIAS : bias;
        parallel.forRange(g.inputSize(), (s, e) -> {
            for (int i = s; i < e; i++) ConvTranspose3d.forwardElement(x, w, bb, hasBias, y, geom, i);
        });
    }

    @Override
    public void convTranspose3dBackwardInput(float[] dy, float[] w, float[] dx, Conv3dGeometry g) {
        need(dy, g.inputSize(), "convTranspose3dBackwardInput", "dy");
        need(w, g.weightSize(), "convTranspose3dBackwardInput", "w");
        need(dx, g.outputSize(), "convTranspose3dBackwardInput", "dx");
        int[] geom = g.packed();
        parallel.forRange(g.outputSize(), (s, e) -> {
            for (int i = s; i < e; i++) ConvTranspose3d.backwardInputElement(dy, w, dx, geom, i);
        });
    }

    @Override
    public void convTranspose3dBackwardWeight(float[] x, float[] dy, float[] dw, float[] dbias, Conv3dGeometry g) {
        need(x, g.outputSize(), "convTranspose3dBackwardWeight", "x");
        need(dy, g.inputSize(), "convTranspose3dBackwardWeight", "dy");
        need(dw, g.weightSize(), "convTranspose3dBackwardWeight", "dw");
        int[] geom = g.packed();
        parallel.forRange(g.weightSize(), (s, e) -> {
            for (int i = s; i < e; i++) ConvTranspose3d.backwardWeightElement(x, dy, dw, geom, i);
        });
        if (dbias != null) {
            need(dbias, g.cin(), "convTranspose3dBackwardWeight", "dbias");
            parallel.forRange(g.cin(), (s, e) -> {
                for (int c = s; c < e; c++) ConvTranspose3d.biasGradElement(dy, dbias, geom, c);
            });
        }
    }

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
    public void addBias(float[] x, float[] bias, float[] y, int rows, int cols) {
        long size = (long) rows * cols;
        need(x, size, "addBias", "x");
        need(bias, cols, "addBias", "bias");
        need(y, size, "addBias", "y");
        parallel.forRange((int) size, (s, e) -> {
            for (int i = s; i < e; i++) Elementwise.addBiasElement(x, bias, y, cols, i);
        });
    }

    @Override
    public void sumRows(float[] dy, float[] db, int rows, int cols) {
        need(dy, (long) rows * cols, "sumRows", "dy");
        need(db, cols, "sumRows", "db");
        parallel.forRange(cols, (s, e) -> {
            for (int c = s; c < e; c++) Reduction.sumRowsElement(dy, db, rows, cols, c);
        });
    }

    @Override
    public void add(float[] a, float[] b, float[] y, int n) {
        need(a, n, "add", "a");
        need(b, n, "add", "b");
        need(y, n, "add", "y");
        parallel.forRange(n, (s, e) -> {
            for (int i = s; i < e; i++) Elementwise.addElement(a, b, y, i);
        });
    }

    @Override
    public void axpy(float alpha, float[] x, float[] y, int n) {
        need(x, n, "axpy", "x");
        need(y, n, "axpy", "y");
        parallel.forRange(n, (s, e) -> {
            for (int i = s; i < e; i++) Elementwise.axpyElement(alpha, x, y, i);
        });
    }

    @Override
    public void scale(float[] x, float alpha, float[] y, int n) {
        need(x, n, "scale", "x");
        need(y, n, "scale", "y");
        parallel.forRange(n, (s, e) -> {
            for (int i = s; i < e; i++) Elementwise.scaleElement(x, alpha, y, i);
        });
    }

    @Override
    public double sumOfSquares(float[] x, int n) {
        need(x, n, "sumOfSquares", "x");
        int blocks = (n + Reduction.SUM_BLOCK - 1) / Reduction.SUM_BLOCK;
        if (sumScratch.length < blocks) sumScratch = new double[blocks];
        double[] partial = sumScratch;
        parallel.forRange(blocks, 1, (s, e) -> {
            for (int blk = s; blk < e; blk++) Reduction.sumOfSquaresBlock(x, partial, n, blk);
        });
        double total = 0.0;
        for (int blk = 0; blk < blocks; blk++) total += partial[blk];
        return total;
    }

    @Override
    public void adamw(float[] p, float[] g, float[] m, float[] v, int n,
                      float lr, float beta1, float beta2, float eps, float weightDecay, float bc1, float bc2) {
        need(p, n, "adamw", "p");
        need(g, n, "adamw", "g");
        need(m, n, "adamw", "m");
        need(v, n, "adamw", "v");
        parallel.forRange(n, (s, e) -> {
            for (int i = s; i < e; i++) AdamW.stepElement(p, g, m, v, lr, beta1, beta2, eps, weightDecay, bc1, bc2, i);
        });
    }

    @Override
    public void close() { parallel.close(); }
}
