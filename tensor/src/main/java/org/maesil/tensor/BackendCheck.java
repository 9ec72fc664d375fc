package org.maesil.tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Every operation of {@link Backend}, forward and backward, on small fixed inputs, so that two
 * backends can be compared output by output: the TornadoVM backend's tests and
 * {@code maesil portability} run each case on the Java backend (the reference) and on each
 * device, and compare with {@link #relativeError}.
 *
 * <p>Inputs are drawn from a generator seeded by the case name, so every backend sees the same
 * numbers. A case {@link Case#prepare() prepares} an {@link Instance} that owns its arrays and
 * can run many times (for timing) on one backend: arrays that an operation updates in place
 * (AdamW's parameters and moments, axpy's y, an accumulating matmul's C) are restored before
 * each run.
 */
public final class BackendCheck {
    private BackendCheck() {}

    /** The default tolerance on {@link #relativeError}. */
    public static final double TOLERANCE = 1e-5;

    /**
     * One check.
     *
     * @param name      e.g. "conv3d backward"
     * @param op        the Backend method(s) it calls
     * @param direction "forward", "backward" or "update" (optimiser and reductions)
     * @param kernels   simple names of the classes in org.maesil.tensor.kernels it runs
     */
    public record Case(String name, String op, String direction, List<String> kernels, Setup setup) {
        public Instance prepare() {
            return setup.prepare(new SplittableRandom(name.hashCode()));
        }
    }

    /** Makes a case's arrays. */
    @FunctionalInterface
    public interface Setup {
        Instance prepare(SplittableRandom random);
    }

    /** A case's arrays, ready to run on one backend. */
    public interface Instance {
        /** Restores in-place arrays and runs the operation(s); returns the outputs by name. */
        Map<String, float[]> run(Backend backend);
    }

    /** max_i |got_i - ref_i| / max_i |ref_i| (the infinity-norm relative error); 0 when both are all zero. */
    public static double relativeError(float[] got, float[] ref) {
        if (got.length != ref.length) return Double.POSITIVE_INFINITY;
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < ref.length; i++) {
            double d = Math.abs((double) got[i] - ref[i]);
            if (Double.isNaN(d)) return Double.NaN;
            maxDiff = Math.max(maxDiff, d);
            maxRef = Math.max(maxRef, Math.abs((double) ref[i]));
        }
        if (maxDiff == 0) return 0;
        return maxRef == 0 ? Double.POSITIVE_INFINITY : maxDiff / maxRef;
    }

    /** The worst relative error over all outputs of two runs of one case. */
    public static double maxRelativeError(Map<String, float[]> got, Map<String, float[]> ref) {
        double worst = 0;
        for (var e : ref.entrySet()) {
            float[] g = got.get(e.getKey());
            double err = g == null ? Double.POSITIVE_INFINITY : relativeError(g, e.getValue());
            if (Double.isNaN(err) || err > worst) worst = err;
            if (Double.isNaN(worst)) break;
        }
        return worst;
    }

    // ================================================================ helpers

    static float[] uniform(SplittableRandom r, int n, double lo, double hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return a;
    }

    static float[] uniform(SplittableRandom r, int n) {
        return uniform(r, n, -1, 1);
    }

    private static Map<String, float[]> outputs(Object... nameArray) {
        Map<String, float[]> m = new LinkedHashMap<>();
        for (int i = 0; i < nameArray.length; i += 2) {
            m.put((String) nameArray[i], ((float[]) nameArray[i + 1]).clone());
        }
        return m;
    }

    // ================================================================ the cases

    /** All cases, in the order of the Backend interface. */
    public static List<Case> cases() {
        List<Case> c = new ArrayList<>();

        // C[b] = A[b] B (B shared across the batch: a linear layer) and its gradients
        c.add(new Case("matmul forward", "matmul", "forward", List.of("Matmul"), r -> {
            int batch = 2, m = 7, n = 9, k = 13;
            float[] a = uniform(r, batch * m * k), b = uniform(r, k * n), out = new float[batch * m * n];
            return be -> {
                be.matmul(a, b, out, batch, m, n, k, false, false, false, m * k, 0);
                return outputs("c", out);
            };
        }));
        c.add(new Case("matmul backward", "matmul", "backward", List.of("Matmul"), r -> {
            int m = 11, n = 9, k = 13;
            float[] a = uniform(r, m * k), b = uniform(r, k * n), dc = uniform(r, m * n);
            float[] da = new float[m * k], db0 = uniform(r, k * n), db = new float[k * n];
            return be -> {
                be.matmul(dc, b, da, 1, m, k, n, false, true, false, m * n, k * n);   // dA = dC B^T
                System.arraycopy(db0, 0, db, 0, db.length);
                be.matmul(a, dc, db, 1, k, n, m, true, false, true, m * k, m * n);    // dB += A^T dC
                return outputs("da", da, "db", db);
            };
        }));

        // 3D convolution, stride 2, padding 1, with bias
        c.add(new Case("conv3d forward", "conv3dForward", "forward", List.of("Conv3d"), r -> {
            Conv3dGeometry g = new Conv3dGeometry(2, 3, 4, 6, 5, 7, 3, 3, 3, 2, 2, 2, 1, 1, 1);
            float[] x = uniform(r, g.inputSize()), w = uniform(r, g.weightSize()), bias = uniform(r, g.cout());
            float[] y = new float[g.outputSize()];
            return be -> {
                be.conv3dForward(x, w, bias, y, g);
                return outputs("y", y);
            };
        }));
        c.add(new Case("conv3d backward", "conv3dBackwardInput, conv3dBackwardWeight", "backward", List.of("Conv3d"), r -> {
            Conv3dGeometry g = new Conv3dGeometry(2, 3, 4, 6, 5, 7, 3, 3, 3, 2, 2, 2, 1, 1, 1);
            float[] x = uniform(r, g.inputSize()), w = uniform(r, g.weightSize()), dy = uniform(r, g.outputSize());
            float[] dx = new float[g.inputSize()], dw = new float[g.weightSize()], db = new float[g.cout()];
            return be -> {
                be.conv3dBackwardInput(dy, w, dx, g);
                be.conv3dBackwardWeight(x, dy, dw, db, g);
                return outputs("dx", dx, "dw", dw, "dbias", db);
            };
        }));

        // transposed 3D convolution: kernel 2, stride 2 (a decoder's upsampling) and kernel 3,
        // stride 2, padding 1 (overlapping taps)
        c.add(new Case("convTranspose3d forward", "convTranspose3dForward", "forward", List.of("ConvTranspose3d", "Conv3d"), r -> {
            Conv3dGeometry g = new Conv3dGeometry(2, 3, 4, 7, 6, 5, 3, 3, 3, 2, 2, 2, 1, 1, 1);
            float[] x = uniform(r, g.outputSize()), w = uniform(r, g.weightSize()), bias = uniform(r, g.cin());
            float[] y = new float[g.inputSize()];
            return be -> {
                be.convTranspose3dForward(x, w, bias, y, g);
                return outputs("y", y);
            };
        }));
        c.add(new Case("convTranspose3d backward", "convTranspose3dBackwardInput, convTranspose3dBackwardWeight", "backward",
                List.of("ConvTranspose3d", "Conv3d"), r -> {
            Conv3dGeometry g = Conv3dGeometry.cubic(2, 3, 4, 6, 6, 6, 2, 2, 0);
            float[] x = uniform(r, g.outputSize()), w = uniform(r, g.weightSize()), dy = uniform(r, g.inputSize());
            float[] dx = new float[g.outputSize()], dw = new float[g.weightSize()], db = new float[g.cin()];
            return be -> {
                be.convTranspose3dBackwardInput(dy, w, dx, g);
                be.convTranspose3dBackwardWeight(x, dy, dw, db, g);
                return outputs("dx", dx, "dw", dw, "dbias", db);
            };
        }));

        // attention over 70 keys: more than one key tile of the online softmax
        c.add(new Case("attention forward", "attentionForward", "forward", List.of("Attention"), r -> {
            int bh = 3, lq = 70, lk = 70, d = 8;
            float scale = (float) (1 / Math.sqrt(d));
            float[] q = uniform(r, bh * lq * d, -2, 2), k = uniform(r, bh * lk * d, -2, 2), v = uniform(r, bh * lk * d);
            float[] out = new float[bh * lq * d], lse = new float[bh * lq];
            return be -> {
                be.attentionForward(q, k, v, out, lse, bh, lq, lk, d, scale);
                return outputs("out", out, "lse", lse);
            };
        }));
        c.add(new Case("attention backward", "attentionBackward", "backward", List.of("Attention"), r -> {
            int bh = 3, lq = 70, lk = 66, d = 8;
            float scale = (float) (1 / Math.sqrt(d));
            float[] q = uniform(r, bh * lq * d, -2, 2), k = uniform(r, bh * lk * d, -2, 2), v = uniform(r, bh * lk * d);
            float[] dout = uniform(r, bh * lq * d);
            float[] out = new float[bh * lq * d], lse = new float[bh * lq];
            // the forward pass's out and lse come from the reference backend, so both backends
            // differentiate exactly the same numbers
            try (JavaBackend ref = new JavaBackend(1)) {
                ref.attentionForward(q, k, v, out, lse, bh, lq, lk, d, scale);
            }
            float[] dq = new float[q.length], dk = new float[k.length], dv = new float[v.length], delta = new float[bh * lq];
            return be -> {
                be.attentionBackward(q, k, v, out, lse, dout, dq, dk, dv, delta, bh, lq, lk, d, scale);
                return outputs("dq", dq, "dk", dk, "dv", dv);
            };
        }));

        // layer norm, GELU, softmax
        c.add(new Case("layerNorm forward", "layerNormForward", "forward", List.of("LayerNorm"), r -> {
            int rows = 10, cols = 24;
            float[] x = uniform(r, rows * cols, -3, 3), gamma = uniform(r, cols, 0.5, 1.5), beta = uniform(r, cols);
            float[] y = new float[rows * cols], mean = new float[rows], rstd = new float[rows];
            return be -> {
                be.layerNormForward(x, gamma, beta, y, mean, rstd, rows, cols, 1e-5f);
                return outputs("y", y, "mean", mean, "rstd", rstd);
            };
        }));
        c.add(new Case("layerNorm backward", "layerNormBackward", "backward", List.of("LayerNorm"), r -> {
            int rows = 10, cols = 24;
            float[] x = uniform(r, rows * cols, -3, 3), gamma = uniform(r, cols, 0.5, 1.5), beta = uniform(r, cols);
            float[] dy = uniform(r, rows * cols);
            float[] y = new float[rows * cols], mean = new float[rows], rstd = new float[rows];
            try (JavaBackend ref = new JavaBackend(1)) {
                ref.layerNormForward(x, gamma, beta, y, mean, rstd, rows, cols, 1e-5f);
            }
            float[] dx = new float[rows * cols], dgamma = new float[cols], dbeta = new float[cols];
            return be -> {
                be.layerNormBackward(x, gamma, mean, rstd, dy, dx, dgamma, dbeta, rows, cols);
                return outputs("dx", dx, "dgamma", dgamma, "dbeta", dbeta);
            };
        }));
        c.add(new Case("groupNorm forward", "groupNormForward", "forward", List.of("GroupNorm"), r -> {
            int n = 2, ch = 6, l = 20, groups = 3;
            float[] x = uniform(r, n * ch * l, -3, 3), gamma = uniform(r, ch, 0.5, 1.5), beta = uniform(r, ch);
            float[] y = new float[n * ch * l], mean = new float[n * groups], rstd = new float[n * groups];
            return be -> {
                be.groupNormForward(x, gamma, beta, y, mean, rstd, n, ch, l, groups, 1e-5f);
                return outputs("y", y, "mean", mean, "rstd", rstd);
            };
        }));
        c.add(new Case("groupNorm backward", "groupNormBackward", "backward", List.of("GroupNorm"), r -> {
            int n = 2, ch = 6, l = 20, groups = 3;
            float[] x = uniform(r, n * ch * l, -3, 3), gamma = uniform(r, ch, 0.5, 1.5), beta = uniform(r, ch);
            float[] dy = uniform(r, n * ch * l);
            float[] y = new float[n * ch * l], mean = new float[n * groups], rstd = new float[n * groups];
            try (JavaBackend ref = new JavaBackend(1)) {
                ref.groupNormForward(x, gamma, beta, y, mean, rstd, n, ch, l, groups, 1e-5f);
            }
            float[] dx = new float[n * ch * l], dgamma = new float[ch], dbeta = new float[ch];
            return be -> {
                be.groupNormBackward(x, gamma, mean, rstd, dy, dx, dgamma, dbeta, n, ch, l, groups);
                return outputs("dx", dx, "dgamma", dgamma, "dbeta", dbeta);
            };
        }));
        c.add(new Case("gelu forward", "geluForward", "forward", List.of("Gelu"), r -> {
            int n = 1000;
            float[] x = uniform(r, n, -5, 5), y = new float[n];
            return be -> {
                be.geluForward(x, y, n);
                return outputs("y", y);
            };
        }));
        c.add(new Case("gelu backward", "geluBackward", "backward", List.of("Gelu"), r -> {
            int n = 1000;
            float[] x = uniform(r, n, -5, 5), dy = uniform(r, n), dx = new float[n];
            return be -> {
                be.geluBackward(x, dy, dx, n);
                return outputs("dx", dx);
            };
        }));
        c.add(new Case("relu forward", "reluForward", "forward", List.of("Relu"), r -> {
            int n = 1000;
            float[] x = uniform(r, n, -5, 5), y = new float[n];
            return be -> {
                be.reluForward(x, y, n);
                return outputs("y", y);
            };
        }));
        c.add(new Case("relu backward", "reluBackward", "backward", List.of("Relu"), r -> {
            int n = 1000;
            float[] x = uniform(r, n, -5, 5), dy = uniform(r, n), dx = new float[n];
            return be -> {
                be.reluBackward(x, dy, dx, n);
                return outputs("dx", dx);
            };
        }));
        c.add(new Case("softmax forward", "softmaxForward", "forward", List.of("Softmax"), r -> {
            int rows = 9, cols = 33;
            float[] x = uniform(r, rows * cols, -6, 6), y = new float[rows * cols];
            return be -> {
                be.softmaxForward(x, y, rows, cols);
                return outputs("y", y);
            };
        }));
        c.add(new Case("softmax backward", "softmaxBackward", "backward", List.of("Softmax"), r -> {
            int rows = 9, cols = 33;
            float[] x = uniform(r, rows * cols, -6, 6), y = new float[rows * cols], dy = uniform(r, rows * cols);
            try (JavaBackend ref = new JavaBackend(1)) {
                ref.softmaxForward(x, y, rows, cols);
            }
            float[] dx = new float[rows * cols];
            return be -> {
                be.softmaxBackward(y, dy, dx, rows, cols);
                return outputs("dx", dx);
            };
        }));

        // masked (row-weighted) mean squared error
        c.add(new Case("mseLoss forward", "mseLoss", "forward", List.of("MseLoss"), r -> {
            int rows = 12, cols = 40;
            float[] p = uniform(r, rows * cols), t = uniform(r, rows * cols), w = new float[rows];
            for (int i = 0; i < rows; i++) w[i] = i % 4 == 0 ? 0f : 1f;
            return be -> {
                double weighted = be.mseLoss(p, t, w, rows, cols);
                double plain = be.mseLoss(p, t, null, rows, cols);
                return outputs("loss", new float[] {(float) weighted, (float) plain});
            };
        }));
        c.add(new Case("mseLoss backward", "mseLossBackward", "backward", List.of("MseLoss"), r -> {
            int rows = 12, cols = 40;
            float[] p = uniform(r, rows * cols), t = uniform(r, rows * cols), w = new float[rows];
            for (int i = 0; i < rows; i++) w[i] = i % 4 == 0 ? 0f : 1f;
            float[] dw = new float[rows * cols], dp = new float[rows * cols];
            return be -> {
                be.mseLossBackward(p, t, w, dw, rows, cols, 0.5f);
                be.mseLossBackward(p, t, null, dp, rows, cols, 1f);
                return outputs("dpred weighted", dw, "dpred", dp);
            };
        }));

        // bias: forward adds it to every row, backward sums the rows
        c.add(new Case("addBias forward", "addBias", "forward", List.of("Elementwise"), r -> {
            int rows = 17, cols = 12;
            float[] x = uniform(r, rows * cols), bias = uniform(r, cols), y = new float[rows * cols];
            return be -> {
                be.addBias(x, bias, y, rows, cols);
                return outputs("y", y);
            };
        }));
        c.add(new Case("addBias backward (sumRows)", "sumRows", "backward", List.of("Reduction"), r -> {
            int rows = 17, cols = 12;
            float[] dy = uniform(r, rows * cols), db = new float[cols];
            return be -> {
                be.sumRows(dy, db, rows, cols);
                return outputs("db", db);
            };
        }));

        // elementwise arithmetic (their gradients are the same operations: residual add, scaling)
        c.add(new Case("add / axpy / scale", "add, axpy, scale", "forward", List.of("Elementwise"), r -> {
            int n = 777;
            float[] a = uniform(r, n), b = uniform(r, n), y0 = uniform(r, n);
            float[] sum = new float[n], y = new float[n], scaled = new float[n];
            return be -> {
                be.add(a, b, sum, n);
                System.arraycopy(y0, 0, y, 0, n);
                be.axpy(-0.75f, a, y, n);
                be.scale(b, 1.5f, scaled, n);
                return outputs("add", sum, "axpy", y, "scale", scaled);
            };
        }));

        // gradient-norm reduction and the optimiser step
        c.add(new Case("sumOfSquares", "sumOfSquares", "update", List.of("Reduction"), r -> {
            int n = 10_000;
            float[] x = uniform(r, n);
            return be -> outputs("sum", new float[] {(float) be.sumOfSquares(x, n)});
        }));
        c.add(new Case("adamw step", "adamw", "update", List.of("AdamW"), r -> {
            int n = 1000;
            float[] p0 = uniform(r, n), g = uniform(r, n), m0 = uniform(r, n, -0.1, 0.1), v0 = uniform(r, n, 0, 0.01);
            float[] p = new float[n], m = new float[n], v = new float[n];
            return be -> {
                System.arraycopy(p0, 0, p, 0, n);
                System.arraycopy(m0, 0, m, 0, n);
                System.arraycopy(v0, 0, v, 0, n);
                int step = 3;
                float b1 = 0.9f, b2 = 0.95f;
                be.adamw(p, g, m, v, n, 1e-3f, b1, b2, 1e-8f, 0.05f,
                        (float) (1 - Math.pow(b1, step)), (float) (1 - Math.pow(b2, step)));
                return outputs("p", p, "m", m, "v", v);
            };
        }));
        return c;
    }
}
