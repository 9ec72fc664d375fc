package org.maesil.tensor.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.maesil.tensor.kernels.LinearOpsReference.relError;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.maesil.tensor.Conv3dGeometry;
import org.maesil.tensor.JavaBackend;
import org.maesil.tensor.Tensor;
import org.maesil.tensor.io.SafeTensors;

/**
 * Matmul, Conv3d, ConvTranspose3d and AdamW against PyTorch (float32, CPU), from the fixtures
 * that tools/fixtures/make_kernel_fixtures_a.py writes (its docstrings give every tensor's
 * layout). Error measure: the normwise relative error of {@link LinearOpsReference#relError},
 * max |java - torch| / max |torch| per tensor; bound 1e-5.
 *
 * <p>Weight layout of the transposed convolution: PyTorch's ConvTranspose3d(in_channels = cout,
 * out_channels = cin) weight [in_channels, out_channels, k...] is used unchanged as the
 * project's [cout, cin, k...] (see Conv3dGeometry); its input has the convolution's output
 * shape and its output the convolution's input shape (PyTorch called with output_padding
 * where needed).
 */
class TorchParityKernelsATest {
    static final double BOUND = 1e-5;
    /** The reference kernels (fast paths off) and the default JavaBackend (fast paths where available). */
    static JavaBackend reference;
    static JavaBackend fastPaths;

    @BeforeAll
    static void start() {
        reference = new JavaBackend(2, false);
        fastPaths = new JavaBackend(2);
    }

    @AfterAll
    static void stop() {
        reference.close();
        fastPaths.close();
    }

    @Test
    void matmulMatchesPyTorch() throws Exception {
        matmul(reference, "reference kernels");
        matmul(fastPaths, "default JavaBackend");
    }

    @Test
    void conv3dMatchesPyTorch() throws Exception {
        conv3d(reference, "reference kernels");
        conv3d(fastPaths, "default JavaBackend");
    }

    @Test
    void convTranspose3dMatchesPyTorch() throws Exception {
        convTranspose3d(reference, "reference kernels");
        convTranspose3d(fastPaths, "default JavaBackend");
    }

    static Path fixture(String name) throws URISyntaxException {
        var url = TorchParityKernelsATest.class.getResource("/fixtures/" + name);
        assertThat(url).as("fixture " + name + " (make it with tools/fixtures/make_kernel_fixtures_a.py)").isNotNull();
        return Path.of(url.toURI());
    }

    static int[] ints(String csv) {
        String[] parts = csv.split(",");
        int[] r = new int[parts.length];
        for (int i = 0; i < parts.length; i++) r[i] = Integer.parseInt(parts[i].trim());
        return r;
    }

    static double[] doubles(String csv) {
        String[] parts = csv.split(",");
        double[] r = new double[parts.length];
        for (int i = 0; i < parts.length; i++) r[i] = Double.parseDouble(parts[i].trim());
        return r;
    }

    static Conv3dGeometry geometry(int[] v) {
        return new Conv3dGeometry(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14]);
    }

    void matmul(JavaBackend backend, String label) throws Exception {
        Path file = fixture("kernels_a_matmul.safetensors");
        Map<String, Tensor> t = SafeTensors.read(file);
        Map<String, String> meta = SafeTensors.readMetadata(file);
        int cases = Integer.parseInt(meta.get("cases"));
        double worstC = 0, worstGrad = 0;
        for (int c = 0; c < cases; c++) {
            int[] s = ints(meta.get("case" + c));
            int batch = s[0], m = s[1], n = s[2], k = s[3];
            boolean ta = s[4] == 1, tb = s[5] == 1, bcast = s[6] == 1;
            String p = "case" + c + ".";
            float[] a = t.get(p + "a").data, b = t.get(p + "b").data, r = t.get(p + "r").data;
            int strideB = bcast ? 0 : k * n;

            float[] out = new float[batch * m * n];
            backend.matmul(a, b, out, batch, m, n, k, ta, tb, false, m * k, strideB);

            // backward of sum(C * R): dA = R opB^T (stored transposed when transA), per batch
            float[] da = new float[batch * m * k];
            if (!ta) backend.matmul(r, b, da, batch, m, k, n, false, !tb, false, m * n, strideB);
            else backend.matmul(b, r, da, batch, k, m, n, tb, true, false, strideB, m * n);
            // dB = opA^T R per batch; a broadcast B gets the sum over the batch (accumulate)
            float[] db = new float[bcast ? k * n : batch * k * n];
            for (int bt = 0; bt < batch; bt++) {
                float[] aB = slice(a, bt * m * k, m * k), rB = slice(r, bt * m * n, m * n);
                float[] dbB = bcast ? db : new float[k * n];
                if (!tb) backend.matmul(aB, rB, dbB, k, n, m, !ta, false, bcast && bt > 0);
                else backend.matmul(rB, aB, dbB, n, k, m, true, ta, bcast && bt > 0);
                if (!bcast) System.arraycopy(dbB, 0, db, bt * k * n, k * n);
            }
            double errC = relError(out, t.get(p + "c").data);
            double errA = relError(da, t.get(p + "da").data);
            double errB = relError(db, t.get(p + "db").data);
            worstC = Math.max(worstC, errC);
            worstGrad = Math.max(worstGrad, Math.max(errA, errB));
            assertThat(errC).as(label + ": c, case " + c).isLessThanOrEqualTo(BOUND);
            assertThat(errA).as(label + ": da, case " + c).isLessThanOrEqualTo(BOUND);
            assertThat(errB).as(label + ": db, case " + c).isLessThanOrEqualTo(BOUND);
        }
        System.out.printf("matmul vs PyTorch (%s): max rel error c %.3e, gradients %.3e%n", label, worstC, worstGrad);
    }

    static float[] slice(float[] a, int from, int length) {
        float[] r = new float[length];
        System.arraycopy(a, from, r, 0, length);
        return r;
    }

    void conv3d(JavaBackend backend, String label) throws Exception {
        Path file = fixture("kernels_a_conv3d.safetensors");
        Map<String, Tensor> t = SafeTensors.read(file);
        Map<String, String> meta = SafeTensors.readMetadata(file);
        int cases = Integer.parseInt(meta.get("cases"));
        double[] worst = new double[4];
        for (int c = 0; c < cases; c++) {
            Conv3dGeometry g = geometry(ints(meta.get("case" + c)));
            String p = "case" + c + ".";
            float[] x = t.get(p + "x").data, w = t.get(p + "w").data, b = t.get(p + "b").data, r = t.get(p + "r").data;
            float[] y = new float[g.outputSize()];
            backend.conv3dForward(x, w, b, y, g);
            float[] dx = new float[g.inputSize()], dw = new float[g.weightSize()], db = new float[g.cout()];
            backend.conv3dBackwardInput(r, w, dx, g);
            backend.conv3dBackwardWeight(x, r, dw, db, g);
            double[] err = {relError(y, t.get(p + "y").data), relError(dx, t.get(p + "dx").data),
                    relError(dw, t.get(p + "dw").data), relError(db, t.get(p + "db").data)};
            for (int i = 0; i < 4; i++) {
                worst[i] = Math.max(worst[i], err[i]);
                assertThat(err[i]).as(label + ": " + new String[] {"y", "dx", "dw", "db"}[i] + ", case " + c + " " + g).isLessThanOrEqualTo(BOUND);
            }
        }
        System.out.printf("conv3d vs PyTorch (%s): max rel error y %.3e, dx %.3e, dw %.3e, db %.3e%n", label, worst[0], worst[1], worst[2], worst[3]);
    }

    void convTranspose3d(JavaBackend backend, String label) throws Exception {
        Path file = fixture("kernels_a_conv_transpose3d.safetensors");
        Map<String, Tensor> t = SafeTensors.read(file);
        Map<String, String> meta = SafeTensors.readMetadata(file);
        int cases = Integer.parseInt(meta.get("cases"));
        double[] worst = new double[4];
        for (int c = 0; c < cases; c++) {
            Conv3dGeometry g = geometry(ints(meta.get("case" + c)));
            String p = "case" + c + ".";
            float[] x = t.get(p + "x").data, w = t.get(p + "w").data, b = t.get(p + "b").data, r = t.get(p + "r").data;
            float[] y = new float[g.inputSize()];
            backend.convTranspose3dForward(x, w, b, y, g);
            float[] dx = new float[g.outputSize()], dw = new float[g.weightSize()], db = new float[g.cin()];
            backend.convTranspose3dBackwardInput(r, w, dx, g);
            backend.convTranspose3dBackwardWeight(x, r, dw, db, g);
            double[] err = {relError(y, t.get(p + "y").data), relError(dx, t.get(p + "dx").data),
                    relError(dw, t.get(p + "dw").data), relError(db, t.get(p + "db").data)};
            for (int i = 0; i < 4; i++) {
                worst[i] = Math.max(worst[i], err[i]);
                assertThat(err[i]).as(label + ": " + new String[] {"y", "dx", "dw", "db"}[i] + ", case " + c + " " + g).isLessThanOrEqualTo(BOUND);
            }
        }
        System.out.printf("convTranspose3d vs PyTorch (%s): max rel error y %.3e, dx %.3e, dw %.3e, db %.3e%n", label, worst[0], worst[1], worst[2], worst[3]);
    }

    /**
     * AdamW steps against torch.optim.AdamW. Besides p, m and v, the update p{t} - p{t-1} itself
     * is compared (normwise relative), since the update is much smaller than p.
     */
    @Test
    void adamwMatchesPyTorch() throws Exception {
        Path file = fixture("kernels_a_adamw.safetensors");
        Map<String, Tensor> t = SafeTensors.read(file);
        Map<String, String> meta = SafeTensors.readMetadata(file);
        int cases = Integer.parseInt(meta.get("cases"));
        double worstP = 0, worstUpdate = 0, worstMoments = 0;
        for (int c = 0; c < cases; c++) {
            double[] s = doubles(meta.get("case" + c));
            int size = (int) s[0], steps = (int) s[1];
            float lr = (float) s[2], b1 = (float) s[3], b2 = (float) s[4], eps = (float) s[5], wd = (float) s[6];
            String pre = "case" + c + ".";
            float[] p = t.get(pre + "p0").data.clone();
            float[] m = new float[size], v = new float[size];
            for (int step = 1; step <= steps; step++) {
                float[] before = p.clone();
                float bc1 = (float) (1 - Math.pow(s[3], step)), bc2 = (float) (1 - Math.pow(s[4], step));
                reference.adamw(p, t.get(pre + "g" + step).data, m, v, size, lr, b1, b2, eps, wd, bc1, bc2);
                float[] torchP = t.get(pre + "p" + step).data;
                float[] torchBefore = step == 1 ? t.get(pre + "p0").data : t.get(pre + "p" + (step - 1)).data;
                double[] update = new double[size], torchUpdate = new double[size];
                for (int i = 0; i < size; i++) {
                    update[i] = (double) p[i] - before[i];
                    torchUpdate[i] = (double) torchP[i] - torchBefore[i];
                }
                double errP = relError(p, torchP);
                double errU = relError(update, torchUpdate);
                double errM = Math.max(relError(m, t.get(pre + "m" + step).data), relError(v, t.get(pre + "v" + step).data));
                worstP = Math.max(worstP, errP);
                worstUpdate = Math.max(worstUpdate, errU);
                worstMoments = Math.max(worstMoments, errM);
                String what = "case " + c + " step " + step;
                assertThat(errP).as("p, " + what).isLessThanOrEqualTo(BOUND);
                assertThat(errM).as("m and v, " + what).isLessThanOrEqualTo(BOUND);
                // the update is ~1e-3 of p: float32 rounding of p alone makes it relatively ~1e-4 uncertain
                assertThat(errU).as("update, " + what).isLessThanOrEqualTo(1e-3);
            }
        }
        System.out.printf("adamw vs PyTorch: max rel error p %.3e, m/v %.3e, update p(t)-p(t-1) %.3e%n", worstP, worstMoments, worstUpdate);
    }
}
