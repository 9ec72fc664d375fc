package org.maesil.tensor.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.maesil.tensor.JavaBackend;
import org.maesil.tensor.Tensor;
import org.maesil.tensor.io.SafeTensors;

/**
 * The attention, layer-norm, GELU, softmax and MSE kernels against PyTorch, through the fixtures
 * written by tools/fixtures/make_kernel_fixtures_b.py. Each fixture holds PyTorch's results in
 * float64 and in float32 (suffix "_f32"); the Java results (of the reference kernels, and for
 * attention also of the default backend's CPU fast path) must be within a max relative error
 * ({@link ReferenceMath#maxRelError}: relative, with an absolute floor of a tenth of the largest
 * reference value) of 1e-5 of both. The measured errors are printed.
 */
class PyTorchParityTest {
    private static final double BOUND = 1e-5;
    /** The reference kernels (what the TornadoVM backend runs) and the default backend (CPU fast paths where they exist). */
    private static JavaBackend reference;
    private static JavaBackend defaults;

    @BeforeAll
    static void start() {
        reference = new JavaBackend(2, false);
        defaults = new JavaBackend(2);
    }

    @AfterAll
    static void stop() {
        reference.close();
        defaults.close();
    }

    private static JavaBackend[] backends() {
        return new JavaBackend[] {reference, defaults};
    }

    private static String label(JavaBackend be) {
        return be == reference ? "reference" : "default";
    }

    private static Path fixture(String name) throws URISyntaxException {
        URL url = PyTorchParityTest.class.getResource("/fixtures/" + name + ".safetensors");
        assertThat(url).as("fixture " + name + " (make it with tools/fixtures/make_kernel_fixtures_b.py)").isNotNull();
        return Path.of(url.toURI());
    }

    /** Compares one output with PyTorch's float64 and float32 results, prints and asserts both errors. */
    private static void check(String fixture, String output, float[] ours, Map<String, Tensor> t) {
        check("reference", fixture, output, ours, t);
    }

    private static void check(String schedule, String fixture, String output, float[] ours, Map<String, Tensor> t) {
        double vsTorch64 = ReferenceMath.maxRelError(ours, t.get(output).data);
        double vsTorch32 = ReferenceMath.maxRelError(ours, t.get(output + "_f32").data);
        double torch32vs64 = ReferenceMath.maxRelError(t.get(output + "_f32").data, t.get(output).data);
        System.out.printf("pytorch-parity %-9s %-13s %-6s java vs torch-f64 %.2e | java vs torch-f32 %.2e | torch-f32 vs torch-f64 %.2e%n",
                schedule, fixture, output, vsTorch64, vsTorch32, torch32vs64);
        String what = schedule + " " + fixture + " " + output;
        assertThat(vsTorch64).as(what + " vs PyTorch float64").isLessThanOrEqualTo(BOUND);
        assertThat(vsTorch32).as(what + " vs PyTorch float32").isLessThanOrEqualTo(BOUND);
    }

    private static int meta(Map<String, String> m, String key) {
        return Integer.parseInt(m.get(key));
    }

    @ParameterizedTest
    @ValueSource(strings = {"attention_a", "attention_b", "attention_c", "attention_d"})
    void attention(String name) throws Exception {
        Path file = fixture(name);
        Map<String, Tensor> t = SafeTensors.read(file);
        Map<String, String> m = SafeTensors.readMetadata(file);
        int bh = meta(m, "bh"), lq = meta(m, "lq"), lk = meta(m, "lk"), d = meta(m, "d");
        float scale = (float) Double.parseDouble(m.get("scale"));
        float[] q = t.get("q").data, k = t.get("k").data, v = t.get("v").data;
        for (JavaBackend be : backends()) {
            float[] out = new float[bh * lq * d];
            float[] lse = new float[bh * lq];
            be.attentionForward(q, k, v, out, lse, bh, lq, lk, d, scale);
            float[] dq = new float[q.length], dk = new float[k.length], dv = new float[v.length];
            be.attentionBackward(q, k, v, out, lse, t.get("dout").data, dq, dk, dv, new float[bh * lq],
                    bh, lq, lk, d, scale);
            String s = label(be);
            check(s, name, "out", out, t);
            check(s, name, "lse", lse, t);
            if (lk > 1) { // with one key dq and dk are zero: nothing relative to compare
                check(s, name, "dq", dq, t);
                check(s, name, "dk", dk, t);
            }
            check(s, name, "dv", dv, t);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"layer_norm_a", "layer_norm_b"})
    void layerNorm(String name) throws Exception {
        Path file = fixture(name);
        Map<String, Tensor> t = SafeTensors.read(file);
        Map<String, String> m = SafeTensors.readMetadata(file);
        int rows = meta(m, "rows"), cols = meta(m, "cols");
        float eps = (float) Double.parseDouble(m.get("eps"));
        float[] x = t.get("x").data, gamma = t.get("gamma").data;
        float[] y = new float[rows * cols], mean = new float[rows], rstd = new float[rows];
        reference.layerNormForward(x, gamma, t.get("beta").data, y, mean, rstd, rows, cols, eps);
        float[] dx = new float[rows * cols], dgamma = new float[cols], dbeta = new float[cols];
        reference.layerNormBackward(x, gamma, mean, rstd, t.get("dy").data, dx, dgamma, dbeta, rows, cols);
        check(name, "y", y, t);
        check(name, "mean", mean, t);
        check(name, "rstd", rstd, t);
        check(name, "dx", dx, t);
        check(name, "dgamma", dgamma, t);
        check(name, "dbeta", dbeta, t);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gelu_a"})
    void gelu(String name) throws Exception {
        Map<String, Tensor> t = SafeTensors.read(fixture(name));
        float[] x = t.get("x").data;
        float[] y = new float[x.length], dx = new float[x.length];
        reference.geluForward(x, y, x.length);
        reference.geluBackward(x, t.get("dy").data, dx, x.length);
        check(name, "y", y, t);
        check(name, "dx", dx, t);
    }

    @ParameterizedTest
    @ValueSource(strings = {"softmax_a"})
    void softmax(String name) throws Exception {
        Path file = fixture(name);
        Map<String, Tensor> t = SafeTensors.read(file);
        Map<String, String> m = SafeTensors.readMetadata(file);
        int rows = meta(m, "rows"), cols = meta(m, "cols");
        float[] y = new float[rows * cols], dx = new float[rows * cols];
        reference.softmaxForward(t.get("x").data, y, rows, cols);
        reference.softmaxBackward(y, t.get("dy").data, dx, rows, cols);
        check(name, "y", y, t);
        check(name, "dx", dx, t);
    }

    @ParameterizedTest
    @ValueSource(strings = {"mse_plain", "mse_masked"})
    void mse(String name) throws Exception {
        Path file = fixture(name);
        Map<String, Tensor> t = SafeTensors.read(file);
        Map<String, String> m = SafeTensors.readMetadata(file);
        int rows = meta(m, "rows"), cols = meta(m, "cols");
        float[] weight = m.get("weighting").equals("none") ? null : t.get("weight").data;
        float[] pred = t.get("pred").data, target = t.get("target").data;
        float[] loss = {(float) reference.mseLoss(pred, target, weight, rows, cols)};
        float[] dpred = new float[rows * cols];
        reference.mseLossBackward(pred, target, weight, dpred, rows, cols, 1f);
        check(name, "loss", loss, t);
        check(name, "dpred", dpred, t);
    }
}
