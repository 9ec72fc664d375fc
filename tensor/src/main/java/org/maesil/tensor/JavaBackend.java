package org.maesil.tensor;

import static org.maesil.tensor.ArgumentChecks.need;

import org.maesil.tensor.fast.FastPaths;

import org.maesil.tensor.kernels.AdamW;
import org.maesil.tensor.kernels.Attention;
import org.maesil.tensor.kernels.Conv3d;
import org.maesil.tensor.kernels.ConvTranspose3d;
import org.maesil.tensor.kernels.Elementwise;
import org.maesil.tensor.kernels.Gelu;
import org.maesil.tensor.kernels.GroupNorm;
import org.maesil.tensor.kernels.LayerNorm;
import org.maesil.tensor.kernels.Matmul;
import org.maesil.tensor.kernels.MseLoss;
import org.maesil.tensor.kernels.Reduction;
import org.maesil.tensor.kernels.Relu;
import org.maesil.tensor.kernels.Softmax;

/**
 * The CPU schedule: each kernel's index space split across a team of threads
 * ({@link Parallel}). Results are bit-identical for any thread count.
 */
public final class JavaBackend implements Backend {
    private final Parallel parallel;
    /** Vector API fast paths (matmul, im2col conv, tiled attention); null when off (see FastPaths). */
    private final FastPaths fast;

    public JavaBackend(int threads) {
        this(threads, true);
    }

    /**
     * With {@code fastPaths} false, every op runs its reference kernel from
     * org.maesil.tensor.kernels (the code the TornadoVM backend runs), never a fast path:
     * the schedule to compare fast paths and devices against.
     */
    public JavaBackend(int threads, boolean fastPaths) {
        this.parallel = new Parallel(threads);
        this.fast = fastPaths ? FastPaths.createOrNull(parallel) : null;
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
        if (fast != null && fast.matmul(a, b, c, batch, m, n, k, transA, transB, accumulate, strideA, strideB)) return;
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
        if (fast != null && fast.conv3dForward(x, w, bias, y, g)) return;
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
        if (fast != null && fast.conv3dBackwardInput(dy, w, dx, g)) return;
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
        if (dbias != null) need(dbias, g.cout(), "conv3dBackwardWeight", "dbias");
        if (fast != null && fast.conv3dBackwardWeight(x, dy, dw, dbias, g)) return;
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
        if (fast != null && fast.convTranspose3dForward(x, w, bias, y, g)) return;
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
        if (fast != null && fast.convTranspose3dBackwardInput(dy, w, dx, g)) return;
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
        if (dbias != null) need(dbias, g.cin(), "convTranspose3dBackwardWeight", "dbias");
        if (fast != null && fast.convTranspose3dBackwardWeight(x, dy, dw, dbias, g)) return;
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
                                 int bh, int lq, int lk, int d, float scale) {
        requireAttentionShapes("attentionForward", q, k, v, bh, lq, lk, d);
        need(out, (long) bh * lq * d, "attentionForward", "out");
        need(lse, (long) bh * lq, "attentionForward", "lse");
        if (fast != null && fast.attentionForward(q, k, v, out, lse, bh, lq, lk, d, scale)) return;
        parallel.forRange(bh * lq, (s, e) -> {
            for (int row = s; row < e; row++) {
                Attention.attentionForwardRow(q, k, v, out, lse, lq, lk, d, scale, row);
            }
        });
    }

    @Override
    public void attentionBackward(float[] q, float[] k, float[] v, float[] out, float[] lse, float[] dout,
                                  float[] dq, float[] dk, float[] dv, float[] delta,
                                  int bh, int lq, int lk, int d, float scale) {
        requireAttentionShapes("attentionBackward", q, k, v, bh, lq, lk, d);
        long qSize = (long) bh * lq * d;
        long kvSize = (long) bh * lk * d;
        need(out, qSize, "attentionBackward", "out");
        need(dout, qSize, "attentionBackward", "dout");
        need(dq, qSize, "attentionBackward", "dq");
        need(dk, kvSize, "attentionBackward", "dk");
        need(dv, kvSize, "attentionBackward", "dv");
        need(lse, (long) bh * lq, "attentionBackward", "lse");
        need(delta, (long) bh * lq, "attentionBackward", "delta");
        if (fast != null && fast.attentionBackward(q, k, v, out, lse, dout, dq, dk, dv, delta, bh, lq, lk, d, scale)) return;
        parallel.forRange(bh * lq, (s, e) -> {
            for (int row = s; row < e; row++) {
                Attention.attentionDeltaRow(dout, out, delta, d, row);
            }
        });
        parallel.forRange(bh * lq, (s, e) -> {
            for (int row = s; row < e; row++) {
                Attention.attentionGradQueryRow(q, k, v, dout, lse, delta, dq, lq, lk, d, scale, row);
            }
        });
        parallel.forRange(bh * lk, (s, e) -> {
            for (int row = s; row < e; row++) {
                Attention.attentionGradKeyValueRow(q, k, v, dout, lse, delta, dk, dv, lq, lk, d, scale, row);
            }
        });
    }

    private static void requireAttentionShapes(String op, float[] q, float[] k, float[] v,
                                               int bh, int lq, int lk, int d) {
        if (bh < 0 || lq < 0 || d < 1 || lk < 1) {
            throw new IllegalArgumentException(op + ": need bh, lq >= 0 and lk, d >= 1, got bh=" + bh
                    + " lq=" + lq + " lk=" + lk + " d=" + d);
        }
        need(q, (long) bh * lq * d, op, "q");
        need(k, (long) bh * lk * d, op, "k");
        need(v, (long) bh * lk * d, op, "v");
    }

    @Override
    public void layerNormForward(float[] x, float[] gamma, float[] beta, float[] y, float[] mean, float[] rstd,
                                 int rows, int cols, float eps) {
        long size = (long) rows * cols;
        need(x, size, "layerNormForward", "x");
        need(y, size, "layerNormForward", "y");
        need(gamma, cols, "layerNormForward", "gamma");
        need(beta, cols, "layerNormForward", "beta");
        need(mean, rows, "layerNormForward", "mean");
        need(rstd, rows, "layerNormForward", "rstd");
        if (fast != null && fast.layerNormForward(x, gamma, beta, y, mean, rstd, rows, cols, eps)) return;
        parallel.forRange(rows, (s, e) -> {
            for (int row = s; row < e; row++) {
                LayerNorm.layerNormForwardRow(x, gamma, beta, y, mean, rstd, cols, eps, row);
            }
        });
    }

    @Override
    public void layerNormBackward(float[] x, float[] gamma, float[] mean, float[] rstd, float[] dy,
                                  float[] dx, float[] dgamma, float[] dbeta, int rows, int cols) {
        long size = (long) rows * cols;
        need(x, size, "layerNormBackward", "x");
        need(dy, size, "layerNormBackward", "dy");
        need(dx, size, "layerNormBackward", "dx");
        need(gamma, cols, "layerNormBackward", "gamma");
        need(dgamma, cols, "layerNormBackward", "dgamma");
        need(dbeta, cols, "layerNormBackward", "dbeta");
        need(mean, rows, "layerNormBackward", "mean");
        need(rstd, rows, "layerNormBackward", "rstd");
        if (fast == null || !fast.layerNormGradInput(x, gamma, mean, rstd, dy, dx, rows, cols)) {
            parallel.forRange(rows, (s, e) -> {
                for (int row = s; row < e; row++) {
                    LayerNorm.layerNormGradInputRow(x, gamma, mean, rstd, dy, dx, cols, row);
                }
            });
        }
        if (fast != null && fast.layerNormGradParams(x, mean, rstd, dy, dgamma, dbeta, rows, cols)) return;
        parallel.forRange(cols, (s, e) -> {
            for (int col = s; col < e; col++) {
                LayerNorm.layerNormGradParamsColumn(x, mean, rstd, dy, dgamma, dbeta, rows, cols, col);
            }
        });
    }

    @Override
    public void groupNormForward(float[] x, float[] gamma, float[] beta, float[] y, float[] mean, float[] rstd,
                                 int n, int c, int l, int groups, float eps) {
        checkGroups(c, groups, "groupNormForward");
        long size = (long) n * c * l;
        need(x, size, "groupNormForward", "x");
        need(y, size, "groupNormForward", "y");
        need(gamma, c, "groupNormForward", "gamma");
        need(beta, c, "groupNormForward", "beta");
        need(mean, (long) n * groups, "groupNormForward", "mean");
        need(rstd, (long) n * groups, "groupNormForward", "rstd");
        if (fast != null && fast.groupNormForward(x, gamma, beta, y, mean, rstd, n, c, l, groups, eps)) return;
        parallel.forRange(n * groups, (s, e) -> {
            for (int row = s; row < e; row++) {
                GroupNorm.groupNormForwardRow(x, gamma, beta, y, mean, rstd, c, l, groups, eps, row);
            }
        });
    }

    @Override
    public void groupNormBackward(float[] x, float[] gamma, float[] mean, float[] rstd, float[] dy,
                                  float[] dx, float[] dgamma, float[] dbeta, int n, int c, int l, int groups) {
        checkGroups(c, groups, "groupNormBackward");
        long size = (long) n * c * l;
        need(x, size, "groupNormBackward", "x");
        need(dy, size, "groupNormBackward", "dy");
        need(dx, size, "groupNormBackward", "dx");
        need(gamma, c, "groupNormBackward", "gamma");
        need(dgamma, c, "groupNormBackward", "dgamma");
        need(dbeta, c, "groupNormBackward", "dbeta");
        need(mean, (long) n * groups, "groupNormBackward", "mean");
        need(rstd, (long) n * groups, "groupNormBackward", "rstd");
        if (fast != null && fast.groupNormBackward(x, gamma, mean, rstd, dy, dx, dgamma, dbeta, n, c, l, groups)) return;
        parallel.forRange(n * groups, (s, e) -> {
            for (int row = s; row < e; row++) {
                GroupNorm.groupNormGradInputRow(x, gamma, mean, rstd, dy, dx, c, l, groups, row);
            }
        });
        parallel.forRange(c, (s, e) -> {
            for (int ch = s; ch < e; ch++) {
                GroupNorm.groupNormGradParamsChannel(x, mean, rstd, dy, dgamma, dbeta, n, c, l, groups, ch);
            }
        });
    }

    private static void checkGroups(int c, int groups, String what) {
        if (groups < 1 || c % groups != 0) {
            throw new IllegalArgumentException(what + ": " + c + " channels cannot be split into " + groups + " groups");
        }
    }

    @Override
    public void geluForward(float[] x, float[] y, int n) {
        need(x, n, "geluForward", "x");
        need(y, n, "geluForward", "y");
        if (fast != null && fast.geluForward(x, y, n)) return;
        parallel.forRange(n, (s, e) -> {
            for (int i = s; i < e; i++) {
                Gelu.geluForwardElement(x, y, i);
            }
        });
    }

    @Override
    public void geluBackward(float[] x, float[] dy, float[] dx, int n) {
        need(x, n, "geluBackward", "x");
        need(dy, n, "geluBackward", "dy");
        need(dx, n, "geluBackward", "dx");
        if (fast != null && fast.geluBackward(x, dy, dx, n)) return;
        parallel.forRange(n, (s, e) -> {
            for (int i = s; i < e; i++) {
                Gelu.geluBackwardElement(x, dy, dx, i);
            }
        });
    }

    @Override
    public void reluForward(float[] x, float[] y, int n) {
        need(x, n, "reluForward", "x");
        need(y, n, "reluForward", "y");
        if (fast != null && fast.reluForward(x, y, n)) return;
        parallel.forRange(n, (s, e) -> {
            for (int i = s; i < e; i++) {
                Relu.reluForwardElement(x, y, i);
            }
        });
    }

    @Override
    public void reluBackward(float[] x, float[] dy, float[] dx, int n) {
        need(x, n, "reluBackward", "x");
        need(dy, n, "reluBackward", "dy");
        need(dx, n, "reluBackward", "dx");
        if (fast != null && fast.reluBackward(x, dy, dx, n)) return;
        parallel.forRange(n, (s, e) -> {
            for (int i = s; i < e; i++) {
                Relu.reluBackwardElement(x, dy, dx, i);
            }
        });
    }

    @Override
    public void softmaxForward(float[] x, float[] y, int rows, int cols) {
        need(x, (long) rows * cols, "softmaxForward", "x");
        need(y, (long) rows * cols, "softmaxForward", "y");
        parallel.forRange(rows, (s, e) -> {
            for (int row = s; row < e; row++) {
                Softmax.softmaxForwardRow(x, y, cols, row);
            }
        });
    }

    @Override
    public void softmaxBackward(float[] y, float[] dy, float[] dx, int rows, int cols) {
        need(y, (long) rows * cols, "softmaxBackward", "y");
        need(dy, (long) rows * cols, "softmaxBackward", "dy");
        need(dx, (long) rows * cols, "softmaxBackward", "dx");
        parallel.forRange(rows, (s, e) -> {
            for (int row = s; row < e; row++) {
                Softmax.softmaxBackwardRow(y, dy, dx, cols, row);
            }
        });
    }

    /** Per-row sums of squared errors for {@link #mseLoss}; grown when needed, reused between calls. */
    private double[] mseRowSums = new double[0];

    @Override
    public double mseLoss(float[] pred, float[] target, float[] rowWeight, int rows, int cols) {
        need(pred, (long) rows * cols, "mseLoss", "pred");
        need(target, (long) rows * cols, "mseLoss", "target");
        if (rowWeight != null) need(rowWeight, rows, "mseLoss", "rowWeight");
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("mseLoss: need rows, cols >= 1, got rows=" + rows + " cols=" + cols);
        }
        if (mseRowSums.length < rows) mseRowSums = new double[rows];
        double[] rowSums = mseRowSums;
        parallel.forRange(rows, (s, e) -> {
            for (int row = s; row < e; row++) {
                MseLoss.squaredErrorRowSum(pred, target, rowSums, cols, row);
            }
        });
        // add the rows on this thread, in row order, so the thread count cannot change the result
        double weighted = 0.0;
        for (int r = 0; r < rows; r++) {
            weighted += (rowWeight == null ? 1.0 : rowWeight[r]) * rowSums[r];
        }
        return weighted / ((double) cols * mseWeightSum(rowWeight, rows, "mseLoss"));
    }

    /** sum_r w_r in row order (rows when w is null); an error if it is not positive. */
    private static double mseWeightSum(float[] rowWeight, int rows, String op) {
        if (rowWeight == null) return rows;
        double sum = 0.0;
        for (int r = 0; r < rows; r++) sum += rowWeight[r];
        if (!(sum > 0.0)) {
            throw new IllegalArgumentException(op + ": the row weights sum to " + sum + "; need a positive sum");
        }
        return sum;
    }

    @Override
    public void mseLossBackward(float[] pred, float[] target, float[] rowWeight, float[] dpred,
                                int rows, int cols, float scale) {
        need(pred, (long) rows * cols, "mseLossBackward", "pred");
        need(target, (long) rows * cols, "mseLossBackward", "target");
        need(dpred, (long) rows * cols, "mseLossBackward", "dpred");
        if (rowWeight != null) need(rowWeight, rows, "mseLossBackward", "rowWeight");
        float factor = (float) (2.0 * scale / ((double) cols * mseWeightSum(rowWeight, rows, "mseLossBackward")));
        parallel.forRange(rows * cols, (s, e) -> {
            if (rowWeight == null) {
                for (int i = s; i < e; i++) MseLoss.mseGradElement(pred, target, dpred, factor, i);
            } else {
                for (int i = s; i < e; i++) MseLoss.weightedMseGradElement(pred, target, rowWeight, dpred, cols, factor, i);
            }
        });
    }

    @Override
    public void addBias(float[] x, float[] bias, float[] y, int rows, int cols) {
        long size = (long) rows * cols;
        need(x, size, "addBias", "x");
        need(bias, cols, "addBias", "bias");
        need(y, size, "addBias", "y");
        if (fast != null && fast.addBias(x, bias, y, rows, cols)) return;
        parallel.forRange((int) size, (s, e) -> {
            for (int i = s; i < e; i++) Elementwise.addBiasElement(x, bias, y, cols, i);
        });
    }

    @Override
    public void sumRows(float[] dy, float[] db, int rows, int cols) {
        need(dy, (long) rows * cols, "sumRows", "dy");
        need(db, cols, "sumRows", "db");
        if (fast != null && fast.sumRows(dy, db, rows, cols)) return;
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
