package org.maesil.tornado;

import static org.maesil.tensor.ArgumentChecks.need;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.maesil.tensor.Backend;
import org.maesil.tensor.Conv3dGeometry;
import org.maesil.tensor.GeneratedCode;
import org.maesil.tensor.kernels.Reduction;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;

/**
 * The TornadoVM schedule of the engine's kernels (DESIGN.md, "One kernel source, two
 * schedules"): every operation of {@link Backend} is a task graph whose tasks are the thin
 * {@code @Parallel} loops of {@link TornadoTasks}, which call the kernel functions of
 * {@code org.maesil.tensor.kernels}; TornadoVM JIT-compiles them for the chosen device.
 *
 * <h2>Data movement</h2>
 * A task graph and its execution plan are built (and the kernels compiled) once per operation,
 * array identities and integer shapes, then cached (least recently used first out), so a
 * training loop that reuses its buffers compiles each kernel once and then only moves data:
 * <ul>
 *   <li>arrays the kernel reads: {@code DataTransferMode.EVERY_EXECUTION} to the device, since
 *       the host (or another operation's plan) may have changed them since the last call;</li>
 *   <li>arrays the kernel only writes: allocated on the device once
 *       ({@code FIRST_EXECUTION}) and copied back after every execution;</li>
 *   <li>the packed convolution geometry, created by this backend and never changed:
 *       {@code FIRST_EXECUTION} only;</li>
 *   <li>scalars that change between calls (learning rate, scale factors) travel in a small
 *       {@code float[]} copied every execution, so the compiled plan stays valid;</li>
 *   <li>operations made of several kernels (attention backward, layer norm backward,
 *       convolution weight and bias gradients) run them in one task graph, so intermediate
 *       arrays (attention's delta) stay on the device between those kernels.</li>
 * </ul>
 * TornadoVM keeps device buffers per execution plan, so an array shared by two operations is
 * copied once per operation; keeping a whole training step on the device needs the step as one
 * task graph, which the eager {@link Backend} interface does not express (docs/TORNADO.md).
 *
 * <p>A kernel TornadoVM cannot compile is an error naming the operation and the device, never a
 * silent fallback to Java: the provider sets {@code tornado.recover.bailout=False}.
 */
public final class TornadoBackend implements Backend, GeneratedCode {

    /**
     * Cached execution plans at most (system property {@code maesil.tornado.maxPlans}, default
     * 4096); the least recently used one is freed first. A training step needs one plan per
     * (operation, layer): MAESIL's tiny preset uses about 210, so the cache must hold a whole
     * step or every step recompiles.
     */
    static final int MAX_PLANS = Integer.getInteger("maesil.tornado.maxPlans", 4096);

    private final TornadoDevice device;
    private final String spec;
    private final Map<Key, Plan> plans = new LinkedHashMap<>(64, 0.75f, true);
    private final Map<String, Integer> compilations = new LinkedHashMap<>();
    private int graphCounter;
    private boolean closed;

    TornadoBackend(TornadoDevice device, String spec) {
        this.device = device;
        this.spec = spec;
    }

    @Override
    public String name() {
        return spec + " (" + device.getPhysicalDevice().getDeviceName() + ")";
    }

    /** The TornadoVM device this backend runs on. */
    public TornadoDevice device() {
        return device;
    }

    /** How many times each operation's task graph was built and compiled (for tests: caching works). */
    public synchronized Map<String, Integer> compilations() {
        return new LinkedHashMap<>(compilations);
    }

    @Override
    public String drainGeneratedCode() {
        return TornadoRuntimeAccess.drainGeneratedCode();
    }

    // ================================================================ plan cache

    /** Adds an operation's tasks to its task graph; f is the plan's own per-call scalar array. */
    private interface Tasks {
        void add(TaskGraph g, float[] f);
    }

    private record Plan(TornadoExecutionPlan exec, float[] f) {}

    /** Operation + array identities + integer shape: what a compiled plan is valid for. */
    private static final class Key {
        final String op;
        final Object[] arrays;
        final int[] ints;
        final int hash;

        Key(String op, Object[] arrays, int[] ints) {
            this.op = op;
            this.arrays = arrays;
            this.ints = ints;
            int h = op.hashCode() * 31 + Arrays.hashCode(ints);
            for (Object a : arrays) h = h * 31 + System.identityHashCode(a);
            this.hash = h;
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Key k) || !op.equals(k.op) || arrays.length != k.arrays.length) return false;
            for (int i = 0; i < arrays.length; i++) {
                if (arrays[i] != k.arrays[i]) return false;
            }
            return Arrays.equals(ints, k.ints);
        }
    }

    /**
     * Runs one operation: finds (or builds and compiles) the plan for these arrays and ints,
     * copies this call's scalars into it, executes it and brings the written arrays back.
     *
     * @param reads  arrays the kernels read (copied to the device every execution)
     * @param writes arrays the kernels write (copied back every execution)
     * @param consts arrays built by this backend that never change (copied once)
     * @param ints   integer shapes and flags baked into the tasks
     * @param floats per-call scalars (may be null)
     */
    private synchronized void run(String op, Object[] reads, Object[] writes, Object[] consts, int[] ints,
                                  float[] floats, Tasks tasks) {
        if (closed) throw new IllegalStateException(op + ": the tornado backend is closed");
        Object[] identity = new Object[reads.length + writes.length];
        System.arraycopy(reads, 0, identity, 0, reads.length);
        System.arraycopy(writes, 0, identity, reads.length, writes.length);
        Key key = new Key(op, identity, ints);
        Plan plan = plans.get(key);
        if (plan == null) {
            plan = build(op, reads, writes, consts, floats, tasks);
            plans.put(key, plan);
            evictIfNeeded();
        } else if (floats != null) {
            System.arraycopy(floats, 0, plan.f(), 0, floats.length);
        }
        try {
            plan.exec().execute();
        } catch (RuntimeException | Error e) {
            plans.remove(key);
            free(plan);
            throw new IllegalStateException("tornado: " + op + " failed on " + name() + ": "
                    + TornadoRuntimeAccess.describe(e), e);
        }
    }

    private Plan build(String op, Object[] reads, Object[] writes, Object[] consts, float[] floats, Tasks tasks) {
        float[] f = floats == null ? null : floats.clone();
        TaskGraph g = new TaskGraph(op + "_" + (graphCounter++));
        Map<Object, Boolean> seen = new IdentityHashMap<>();
        List<Object> every = new ArrayList<>();
        List<Object> first = new ArrayList<>();
        for (Object a : reads) if (seen.put(a, Boolean.TRUE) == null) every.add(a);
        if (f != null && seen.put(f, Boolean.TRUE) == null) every.add(f);
        for (Object a : writes) if (seen.put(a, Boolean.TRUE) == null) first.add(a);
        for (Object a : consts) if (seen.put(a, Boolean.TRUE) == null) first.add(a);
        if (!every.isEmpty()) g.transferToDevice(DataTransferMode.EVERY_EXECUTION, every.toArray());
        if (!first.isEmpty()) g.transferToDevice(DataTransferMode.FIRST_EXECUTION, first.toArray());
        tasks.add(g, f);
        g.transferToHost(DataTransferMode.EVERY_EXECUTION, distinct(writes));
        ImmutableTaskGraph itg = g.snapshot();
        TornadoExecutionPlan exec = new TornadoExecutionPlan(itg).withDevice(device);
        if (TornadoRuntimeAccess.capturingCode()) exec.withPrintKernel();
        compilations.merge(op, 1, Integer::sum);
        return new Plan(exec, f);
    }

    private static Object[] distinct(Object[] arrays) {
        Map<Object, Boolean> seen = new IdentityHashMap<>();
        List<Object> out = new ArrayList<>();
        for (Object a : arrays) if (seen.put(a, Boolean.TRUE) == null) out.add(a);
        return out.toArray();
    }

    private void evictIfNeeded() {
        while (plans.size() > MAX_PLANS) {
            var it = plans.entrySet().iterator();
            Plan eldest = it.next().getValue();
            it.remove();
            free(eldest);
        }
    }

    private static void free(Plan plan) {
        try {
            plan.exec().freeDeviceMemory();
            plan.exec().close();
        } catch (Exception | Error ignored) {
            // the plan is dropped either way; a failure to free it must not hide the real error
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        for (Plan p : plans.values()) free(p);
        plans.clear();
    }

    // ================================================================ argument checks

    private static int flag(boolean b) {
        return b ? 1 : 0;
    }

    private static int checkedInt(long n, String op) {
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException(op + ": index space too large: " + n);
        return (int) n;
    }

    /** Stands in for an absent bias array, which the kernels then do not read (hasBias = 0). */
    private final float[] noBias = new float[1];

    // ================================================================ matrix multiply

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
        int total = checkedInt((long) batch * m * n, "matmul");
        Object[] reads = accumulate ? new Object[] {a, b, c} : new Object[] {a, b};
        run("matmul", reads, new Object[] {c}, new Object[0],
                new int[] {m, n, k, ta, tb, acc, strideA, strideB, total}, null,
                (g, f) -> g.task("matmul", TornadoTasks::matmul, a, b, c, m, n, k, ta, tb, acc, strideA, strideB, total));
    }

    // ================================================================ 3D convolution

    @Override
    public void conv3dForward(float[] x, float[] w, float[] bias, float[] y, Conv3dGeometry g) {
        need(x, g.inputSize(), "conv3dForward", "x");
        need(w, g.weightSize(), "conv3dForward", "w");
        need(y, g.outputSize(), "conv3dForward", "y");
        if (bias != null) need(bias, g.cout(), "conv3dForward", "bias");
        int[] geom = g.packed();
        int hasBias = bias == null ? 0 : 1;
        float[] bb = bias == null ? noBias : bias;
        int total = g.outputSize();
        run("conv3dForward", new Object[] {x, w, bb}, new Object[] {y}, new Object[] {geom}, withTotal(geom, total, hasBias), null,
                (t, f) -> t.task("conv3dForward", TornadoTasks::conv3dForward, x, w, bb, hasBias, y, geom, total));
    }

    @Override
    public void conv3dBackwardInput(float[] dy, float[] w, float[] dx, Conv3dGeometry g) {
        need(dy, g.outputSize(), "conv3dBackwardInput", "dy");
        need(w, g.weightSize(), "conv3dBackwardInput", "w");
        need(dx, g.inputSize(), "conv3dBackwardInput", "dx");
        int[] geom = g.packed();
        int total = g.inputSize();
        run("conv3dBackwardInput", new Object[] {dy, w}, new Object[] {dx}, new Object[] {geom}, withTotal(geom, total, 0), null,
                (t, f) -> t.task("conv3dBackwardInput", TornadoTasks::conv3dBackwardInput, dy, w, dx, geom, total));
    }

    @Override
    public void conv3dBackwardWeight(float[] x, float[] dy, float[] dw, float[] dbias, Conv3dGeometry g) {
        need(x, g.inputSize(), "conv3dBackwardWeight", "x");
        need(dy, g.outputSize(), "conv3dBackwardWeight", "dy");
        need(dw, g.weightSize(), "conv3dBackwardWeight", "dw");
        if (dbias != null) need(dbias, g.cout(), "conv3dBackwardWeight", "dbias");
        int[] geom = g.packed();
        int total = g.weightSize();
        int spatial = g.outD() * g.outH() * g.outW();
        int n = g.n(), cout = g.cout();
        Object[] writes = dbias == null ? new Object[] {dw} : new Object[] {dw, dbias};
        run("conv3dBackwardWeight", new Object[] {x, dy}, writes, new Object[] {geom}, withTotal(geom, total, dbias == null ? 0 : 1), null,
                (t, f) -> {
                    t.task("conv3dBackwardWeight", TornadoTasks::conv3dBackwardWeight, x, dy, dw, geom, total);
                    if (dbias != null) t.task("conv3dBiasGrad", TornadoTasks::channelSum, dy, dbias, n, cout, spatial);
                });
    }

    @Override
    public void convTranspose3dForward(float[] x, float[] w, float[] bias, float[] y, Conv3dGeometry g) {
        need(x, g.outputSize(), "convTranspose3dForward", "x");
        need(w, g.weightSize(), "convTranspose3dForward", "w");
        need(y, g.inputSize(), "convTranspose3dForward", "y");
        if (bias != null) need(bias, g.cin(), "convTranspose3dForward", "bias");
        int[] geom = g.packed();
        int hasBias = bias == null ? 0 : 1;
        float[] bb = bias == null ? noBias : bias;
        int total = g.inputSize();
        run("convTranspose3dForward", new Object[] {x, w, bb}, new Object[] {y}, new Object[] {geom}, withTotal(geom, total, hasBias), null,
                (t, f) -> t.task("convTranspose3dForward", TornadoTasks::convTranspose3dForward, x, w, bb, hasBias, y, geom, total));
    }

    @Override
    public void convTranspose3dBackwardInput(float[] dy, float[] w, float[] dx, Conv3dGeometry g) {
        need(dy, g.inputSize(), "convTranspose3dBackwardInput", "dy");
        need(w, g.weightSize(), "convTranspose3dBackwardInput", "w");
        need(dx, g.outputSize(), "convTranspose3dBackwardInput", "dx");
        int[] geom = g.packed();
        int total = g.outputSize();
        run("convTranspose3dBackwardInput", new Object[] {dy, w}, new Object[] {dx}, new Object[] {geom}, withTotal(geom, total, 0), null,
                (t, f) -> t.task("convTranspose3dBackwardInput", TornadoTasks::convTranspose3dBackwardInput, dy, w, dx, geom, total));
    }

    @Override
    public void convTranspose3dBackwardWeight(float[] x, float[] dy, float[] dw, float[] dbias, Conv3dGeometry g) {
        need(x, g.outputSize(), "convTranspose3dBackwardWeight", "x");
        need(dy, g.inputSize(), "convTranspose3dBackwardWeight", "dy");
        need(dw, g.weightSize(), "convTranspose3dBackwardWeight", "dw");
        if (dbias != null) need(dbias, g.cin(), "convTranspose3dBackwardWeight", "dbias");
        int[] geom = g.packed();
        int total = g.weightSize();
        int spatial = g.inD() * g.inH() * g.inW();
        int n = g.n(), cin = g.cin();
        Object[] writes = dbias == null ? new Object[] {dw} : new Object[] {dw, dbias};
        run("convTranspose3dBackwardWeight", new Object[] {x, dy}, writes, new Object[] {geom}, withTotal(geom, total, dbias == null ? 0 : 1), null,
                (t, f) -> {
                    t.task("convTranspose3dBackwardWeight", TornadoTasks::convTranspose3dBackwardWeight, x, dy, dw, geom, total);
                    if (dbias != null) t.task("convTranspose3dBiasGrad", TornadoTasks::channelSum, dy, dbias, n, cin, spatial);
                });
    }

    /** The cache key's ints for a convolution: its geometry, index-space size and bias flag. */
    private static int[] withTotal(int[] geom, int total, int flag) {
        int[] key = Arrays.copyOf(geom, geom.length + 2);
        key[geom.length] = total;
        key[geom.length + 1] = flag;
        return key;
    }

    // ================================================================ attention

    private static void attentionShapes(String op, float[] q, float[] k, float[] v, int bh, int lq, int lk, int d) {
        if (bh < 0 || lq < 0 || d < 1 || lk < 1) {
            throw new IllegalArgumentException(op + ": need bh, lq >= 0 and lk, d >= 1, got bh=" + bh
                    + " lq=" + lq + " lk=" + lk + " d=" + d);
        }
        need(q, (long) bh * lq * d, op, "q");
        need(k, (long) bh * lk * d, op, "k");
        need(v, (long) bh * lk * d, op, "v");
    }

    @Override
    public void attentionForward(float[] q, float[] k, float[] v, float[] out, float[] lse,
                                 int bh, int lq, int lk, int d, float scale) {
        attentionShapes("attentionForward", q, k, v, bh, lq, lk, d);
        need(out, (long) bh * lq * d, "attentionForward", "out");
        need(lse, (long) bh * lq, "attentionForward", "lse");
        int rows = checkedInt((long) bh * lq, "attentionForward");
        if (rows == 0) return;
        run("attentionForward", new Object[] {q, k, v}, new Object[] {out, lse}, new Object[0],
                new int[] {lq, lk, d, rows}, new float[] {scale},
                (g, f) -> g.task("attentionForward", TornadoTasks::attentionForward, q, k, v, out, lse, lq, lk, d, f, rows));
    }

    @Override
    public void attentionBackward(float[] q, float[] k, float[] v, float[] out, float[] lse, float[] dout,
                                  float[] dq, float[] dk, float[] dv, float[] delta,
                                  int bh, int lq, int lk, int d, float scale) {
        attentionShapes("attentionBackward", q, k, v, bh, lq, lk, d);
        long qSize = (long) bh * lq * d;
        long kvSize = (long) bh * lk * d;
        need(out, qSize, "attentionBackward", "out");
        need(dout, qSize, "attentionBackward", "dout");
        need(dq, qSize, "attentionBackward", "dq");
        need(dk, kvSize, "attentionBackward", "dk");
        need(dv, kvSize, "attentionBackward", "dv");
        need(lse, (long) bh * lq, "attentionBackward", "lse");
        need(delta, (long) bh * lq, "attentionBackward", "delta");
        int qRows = checkedInt((long) bh * lq, "attentionBackward");
        int kRows = checkedInt((long) bh * lk, "attentionBackward");
        if (qRows == 0) {
            Arrays.fill(dk, 0, (int) kvSize, 0f);
            Arrays.fill(dv, 0, (int) kvSize, 0f);
            return;
        }
        // delta is computed and used on the device within this one task graph
        run("attentionBackward", new Object[] {q, k, v, out, lse, dout}, new Object[] {dq, dk, dv, delta}, new Object[0],
                new int[] {lq, lk, d, qRows, kRows}, new float[] {scale},
                (g, f) -> g
                        .task("delta", TornadoTasks::attentionDelta, dout, out, delta, d, qRows)
                        .task("gradQuery", TornadoTasks::attentionGradQuery, q, k, v, dout, lse, delta, dq, lq, lk, d, f, qRows)
                        .task("gradKeyValue", TornadoTasks::attentionGradKeyValue, q, k, v, dout, lse, delta, dk, dv, lq, lk, d, f, kRows));
    }

    // ================================================================ normalisation and activations

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
        if (rows == 0) return;
        run("layerNormForward", new Object[] {x, gamma, beta}, new Object[] {y, mean, rstd}, new Object[0],
                new int[] {rows, cols}, new float[] {eps},
                (g, f) -> g.task("layerNormForward", TornadoTasks::layerNormForward, x, gamma, beta, y, mean, rstd, cols, f, rows));
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
        run("layerNormBackward", new Object[] {x, gamma, mean, rstd, dy}, new Object[] {dx, dgamma, dbeta}, new Object[0],
                new int[] {rows, cols}, null,
                (g, f) -> g
                        .task("gradInput", TornadoTasks::layerNormGradInput, x, gamma, mean, rstd, dy, dx, cols, rows)
                        .task("gradParams", TornadoTasks::layerNormGradParams, x, mean, rstd, dy, dgamma, dbeta, rows, cols));
    }

    private static void groupNormShapes(String op, int n, int c, int l, int groups) {
        if (n < 0 || c < 1 || l < 0 || groups < 1 || c % groups != 0) {
            throw new IllegalArgumentException(op + ": need n, l >= 0, c, groups >= 1 and groups dividing c, got n=" + n
                    + " c=" + c + " l=" + l + " groups=" + groups);
        }
    }

    @Override
    public void groupNormForward(float[] x, float[] gamma, float[] beta, float[] y, float[] mean, float[] rstd,
                                 int n, int c, int l, int groups, float eps) {
        groupNormShapes("groupNormForward", n, c, l, groups);
        long size = (long) n * c * l;
        need(x, size, "groupNormForward", "x");
        need(y, size, "groupNormForward", "y");
        need(gamma, c, "groupNormForward", "gamma");
        need(beta, c, "groupNormForward", "beta");
        need(mean, (long) n * groups, "groupNormForward", "mean");
        need(rstd, (long) n * groups, "groupNormForward", "rstd");
        int rows = n * groups;
        if (rows == 0) return;
        run("groupNormForward", new Object[] {x, gamma, beta}, new Object[] {y, mean, rstd}, new Object[0],
                new int[] {n, c, l, groups}, new float[] {eps},
                (g, f) -> g.task("groupNormForward", TornadoTasks::groupNormForward, x, gamma, beta, y, mean, rstd, c, l, groups, f, rows));
    }

    @Override
    public void groupNormBackward(float[] x, float[] gamma, float[] mean, float[] rstd, float[] dy,
                                  float[] dx, float[] dgamma, float[] dbeta, int n, int c, int l, int groups) {
        groupNormShapes("groupNormBackward", n, c, l, groups);
        long size = (long) n * c * l;
        need(x, size, "groupNormBackward", "x");
        need(dy, size, "groupNormBackward", "dy");
        need(dx, size, "groupNormBackward", "dx");
        need(gamma, c, "groupNormBackward", "gamma");
        need(dgamma, c, "groupNormBackward", "dgamma");
        need(dbeta, c, "groupNormBackward", "dbeta");
        need(mean, (long) n * groups, "groupNormBackward", "mean");
        need(rstd, (long) n * groups, "groupNormBackward", "rstd");
        int rows = n * groups;
        run("groupNormBackward", new Object[] {x, gamma, mean, rstd, dy}, new Object[] {dx, dgamma, dbeta}, new Object[0],
                new int[] {n, c, l, groups}, null,
                (g, f) -> g
                        .task("gradInput", TornadoTasks::groupNormGradInput, x, gamma, mean, rstd, dy, dx, c, l, groups, rows)
                        .task("gradParams", TornadoTasks::groupNormGradParams, x, mean, rstd, dy, dgamma, dbeta, n, c, l, groups));
    }

    @Override
    public void geluForward(float[] x, float[] y, int n) {
        need(x, n, "geluForward", "x");
        need(y, n, "geluForward", "y");
        if (n == 0) return;
        run("geluForward", new Object[] {x}, new Object[] {y}, new Object[0], new int[] {n}, null,
                (g, f) -> g.task("geluForward", TornadoTasks::geluForward, x, y, n));
    }

    @Override
    public void geluBackward(float[] x, float[] dy, float[] dx, int n) {
        need(x, n, "geluBackward", "x");
        need(dy, n, "geluBackward", "dy");
        need(dx, n, "geluBackward", "dx");
        if (n == 0) return;
        run("geluBackward", new Object[] {x, dy}, new Object[] {dx}, new Object[0], new int[] {n}, null,
                (g, f) -> g.task("geluBackward", TornadoTasks::geluBackward, x, dy, dx, n));
    }

    @Override
    public void reluForward(float[] x, float[] y, int n) {
        need(x, n, "reluForward", "x");
        need(y, n, "reluForward", "y");
        if (n == 0) return;
        run("reluForward", new Object[] {x}, new Object[] {y}, new Object[0], new int[] {n}, null,
                (g, f) -> g.task("reluForward", TornadoTasks::reluForward, x, y, n));
    }

    @Override
    public void reluBackward(float[] x, float[] dy, float[] dx, int n) {
        need(x, n, "reluBackward", "x");
        need(dy, n, "reluBackward", "dy");
        need(dx, n, "reluBackward", "dx");
        if (n == 0) return;
        run("reluBackward", new Object[] {x, dy}, new Object[] {dx}, new Object[0], new int[] {n}, null,
                (g, f) -> g.task("reluBackward", TornadoTasks::reluBackward, x, dy, dx, n));
    }

    @Override
    public void softmaxForward(float[] x, float[] y, int rows, int cols) {
        need(x, (long) rows * cols, "softmaxForward", "x");
        need(y, (long) rows * cols, "softmaxForward", "y");
        if (rows == 0) return;
        run("softmaxForward", new Object[] {x}, new Object[] {y}, new Object[0], new int[] {rows, cols}, null,
                (g, f) -> g.task("softmaxForward", TornadoTasks::softmaxForward, x, y, cols, rows));
    }

    @Override
    public void softmaxBackward(float[] y, float[] dy, float[] dx, int rows, int cols) {
        need(y, (long) rows * cols, "softmaxBackward", "y");
        need(dy, (long) rows * cols, "softmaxBackward", "dy");
        need(dx, (long) rows * cols, "softmaxBackward", "dx");
        if (rows == 0) return;
        run("softmaxBackward", new Object[] {y, dy}, new Object[] {dx}, new Object[0], new int[] {rows, cols}, null,
                (g, f) -> g.task("softmaxBackward", TornadoTasks::softmaxBackward, y, dy, dx, cols, rows));
    }

    // ================================================================ loss

    /** Per-row sums of squared errors, reused between calls (its identity keys the cached plan). */
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
        run("mseLoss", new Object[] {pred, target}, new Object[] {rowSums}, new Object[0], new int[] {rows, cols}, null,
                (g, f) -> g.task("squaredErrorRowSum", TornadoTasks::squaredErrorRowSum, pred, target, rowSums, cols, rows));
        // the device gives one partial sum per row; the host adds them in row order, in double
        double weighted = 0.0;
        for (int r = 0; r < rows; r++) {
            weighted += (rowWeight == null ? 1.0 : rowWeight[r]) * rowSums[r];
        }
        return weighted / ((double) cols * weightSum(rowWeight, rows, "mseLoss"));
    }

    private static double weightSum(float[] rowWeight, int rows, String op) {
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
        float factor = (float) (2.0 * scale / ((double) cols * weightSum(rowWeight, rows, "mseLossBackward")));
        int n = checkedInt((long) rows * cols, "mseLossBackward");
        if (n == 0) return;
        if (rowWeight == null) {
            run("mseLossBackward", new Object[] {pred, target}, new Object[] {dpred}, new Object[0], new int[] {n}, new float[] {factor},
                    (g, f) -> g.task("mseGrad", TornadoTasks::mseGrad, pred, target, dpred, f, n));
        } else {
            run("weightedMseLossBackward", new Object[] {pred, target, rowWeight}, new Object[] {dpred}, new Object[0],
                    new int[] {n, cols}, new float[] {factor},
                    (g, f) -> g.task("weightedMseGrad", TornadoTasks::weightedMseGrad, pred, target, rowWeight, dpred, cols, f, n));
        }
    }

    // ================================================================ elementwise and reductions

    @Override
    public void addBias(float[] x, float[] bias, float[] y, int rows, int cols) {
        long size = (long) rows * cols;
        need(x, size, "addBias", "x");
        need(bias, cols, "addBias", "bias");
        need(y, size, "addBias", "y");
        int n = checkedInt(size, "addBias");
        if (n == 0) return;
        run("addBias", new Object[] {x, bias}, new Object[] {y}, new Object[0], new int[] {n, cols}, null,
                (g, f) -> g.task("addBias", TornadoTasks::addBias, x, bias, y, cols, n));
    }

    @Override
    public void sumRows(float[] dy, float[] db, int rows, int cols) {
        need(dy, (long) rows * cols, "sumRows", "dy");
        need(db, cols, "sumRows", "db");
        if (cols == 0) return;
        run("sumRows", new Object[] {dy}, new Object[] {db}, new Object[0], new int[] {rows, cols}, null,
                (g, f) -> g.task("sumRows", TornadoTasks::sumRows, dy, db, rows, cols));
    }

    @Override
    public void add(float[] a, float[] b, float[] y, int n) {
        need(a, n, "add", "a");
        need(b, n, "add", "b");
        need(y, n, "add", "y");
        if (n == 0) return;
        run("add", new Object[] {a, b}, new Object[] {y}, new Object[0], new int[] {n}, null,
                (g, f) -> g.task("add", TornadoTasks::addArrays, a, b, y, n));
    }

    @Override
    public void axpy(float alpha, float[] x, float[] y, int n) {
        need(x, n, "axpy", "x");
        need(y, n, "axpy", "y");
        if (n == 0) return;
        run("axpy", new Object[] {x, y}, new Object[] {y}, new Object[0], new int[] {n}, new float[] {alpha},
                (g, f) -> g.task("axpy", TornadoTasks::axpy, f, x, y, n));
    }

    @Override
    public void scale(float[] x, float alpha, float[] y, int n) {
        need(x, n, "scale", "x");
        need(y, n, "scale", "y");
        if (n == 0) return;
        run("scale", new Object[] {x}, new Object[] {y}, new Object[0], new int[] {n}, new float[] {alpha},
                (g, f) -> g.task("scale", TornadoTasks::scaleArray, x, f, y, n));
    }

    /** Per-block partial sums of {@link #sumOfSquares}, reused between calls. */
    private double[] sumScratch = new double[0];

    @Override
    public double sumOfSquares(float[] x, int n) {
        need(x, n, "sumOfSquares", "x");
        if (n == 0) return 0.0;
        int blocks = (n + Reduction.SUM_BLOCK - 1) / Reduction.SUM_BLOCK;
        if (sumScratch.length < blocks) sumScratch = new double[blocks];
        double[] partial = sumScratch;
        run("sumOfSquares", new Object[] {x}, new Object[] {partial}, new Object[0], new int[] {n, blocks}, null,
                (g, f) -> g.task("sumOfSquares", TornadoTasks::sumOfSquaresBlocks, x, partial, n, blocks));
        // one partial sum per block from the device, added on the host in block order
        double total = 0.0;
        for (int b = 0; b < blocks; b++) total += partial[b];
        return total;
    }

    @Override
    public void adamw(float[] p, float[] g, float[] m, float[] v, int n,
                      float lr, float beta1, float beta2, float eps, float weightDecay, float bc1, float bc2) {
        need(p, n, "adamw", "p");
        need(g, n, "adamw", "g");
        need(m, n, "adamw", "m");
        need(v, n, "adamw", "v");
        if (n == 0) return;
        run("adamw", new Object[] {p, g, m, v}, new Object[] {p, m, v}, new Object[0], new int[] {n},
                new float[] {lr, beta1, beta2, eps, weightDecay, bc1, bc2},
                (t, f) -> t.task("adamw", TornadoTasks::adamw, p, g, m, v, f, n));
    }
}
