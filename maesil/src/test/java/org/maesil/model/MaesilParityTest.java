package org.maesil.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.maesil.layers.Parameter;
import org.maesil.layers.io.Checkpoint;
import org.maesil.layers.optim.AdamW;
import org.maesil.tensor.JavaBackend;
import org.maesil.tensor.Tensor;
import org.maesil.tensor.io.SafeTensors;
import org.maesil.train.Presets;

/**
 * The Java model against the float64 PyTorch reference of tools/fixtures/make_maesil_fixtures.py
 * (tiny preset, shared initial weights, fixed masks and input): loss, every parameter gradient,
 * and the weights after 3 AdamW steps. Error of a tensor: max |java - torch| / max |torch|.
 */
class MaesilParityTest {
    static JavaBackend be;
    static Map<String, Tensor> init, grads, after;

    @BeforeAll
    static void load() throws Exception {
        be = new JavaBackend(2);
        init = SafeTensors.read(fixture("tiny_init"));
        grads = SafeTensors.read(fixture("tiny_grads"));
        after = SafeTensors.read(fixture("tiny_adamw3"));
    }

    @AfterAll
    static void close() { be.close(); }

    static Path fixture(String name) throws Exception {
        return Path.of(MaesilParityTest.class.getResource("/fixtures/maesil/" + name + ".safetensors").toURI());
    }

    static MaesilModel model(boolean normPix) throws Exception {
        MaesilModel m = new MaesilModel(Presets.TINY.maesil().withNormPixLoss(normPix), be, 0);
        Checkpoint.applyParameters(new Checkpoint.Contents(fixture("tiny_init"), init, Map.of()), m.parameters());
        return m;
    }

    static DualMask.Sample[] masks() {
        Tensor plane = init.get("mask_plane");
        Tensor axis = init.get("mask_axis");
        int b = plane.dim(0), n = plane.dim(1);
        int grid = (int) Math.round(Math.cbrt(n));
        DualMask.Sample[] out = new DualMask.Sample[b];
        for (int i = 0; i < b; i++) {
            boolean[] p = new boolean[n], a = new boolean[n];
            for (int t = 0; t < n; t++) {
                p[t] = plane.data[i * n + t] != 0f;
                a[t] = axis.data[i * n + t] != 0f;
            }
            out[i] = DualMask.fromMasks(grid, p, a);
        }
        return out;
    }

    static double relErr(Tensor java, Tensor ref) {
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < ref.size(); i++) {
            maxDiff = Math.max(maxDiff, Math.abs(java.data[i] - ref.data[i]));
            maxRef = Math.max(maxRef, Math.abs(ref.data[i]));
        }
        return maxDiff / Math.max(maxRef, 1e-30);
    }

    @Test
    void lossMatchesTorch() throws Exception {
        MaesilModel m = model(false);
        double loss = m.trainStep(init.get("x"), masks()).loss();
        double ref = init.get("loss").data[0];
        double err = Math.abs(loss - ref) / Math.abs(ref);
        System.out.printf("parity loss: java %.8f torch %.8f rel %.2e%n", loss, ref, err);
        assertThat(err).isLessThan(1e-5);

        MaesilModel np = model(true);
        double lossNp = np.trainStep(init.get("x"), masks()).loss();
        double refNp = init.get("loss_norm_pix").data[0];
        System.out.printf("parity norm-pix loss: java %.8f torch %.8f rel %.2e%n", lossNp, refNp, Math.abs(lossNp - refNp) / refNp);
        assertThat(Math.abs(lossNp - refNp) / refNp).isLessThan(1e-5);
    }

    @Test
    void everyGradientMatchesTorch() throws Exception {
        MaesilModel m = model(false);
        m.trainStep(init.get("x"), masks());
        double worst = 0;
        String worstName = "";
        assertThat(m.parameters()).hasSize(grads.size());
        for (Parameter p : m.parameters()) {
            Tensor ref = grads.get(p.name);
            assertThat(ref).as(p.name).isNotNull();
            double e = relErr(p.grad, ref);
            if (e > worst) { worst = e; worstName = p.name; }
            assertThat(e).as("gradient of " + p.name).isLessThan(1e-4);
        }
        System.out.printf("parity gradients: %d tensors, worst rel %.2e (%s)%n", grads.size(), worst, worstName);
    }

    @Test
    void weightsAfterThreeAdamWStepsMatchTorch() throws Exception {
        MaesilModel m = model(false);
        List<Parameter> params = m.parameters();
        AdamW opt = new AdamW(be, params, 0.9f, 0.95f, 1e-8f, 0.05f);
        DualMask.Sample[] masks = masks();
        for (int s = 0; s < 3; s++) {
            m.trainStep(init.get("x"), masks);
            opt.step(1e-3);
        }
        // The key part of every attention's qkv bias has a gradient that is zero in exact
        // arithmetic (softmax is invariant to adding one constant to all scores of a row), so
        // both sides carry only rounding noise there, which AdamW's m / sqrt(v) scales up to
        // O(lr) updates in arbitrary directions. Those entries are compared separately: their
        // Java gradient must be rounding noise, and they are left out of the 1e-4 comparison.
        double worst = 0;
        String worstName = "";
        for (Parameter p : params) {
            Tensor ref = after.get(p.name);
            Tensor java = p.value;
            if (p.name.endsWith(".attn.qkv.bias")) {
                int w = p.size() / 3;
                java = without(java, w, 2 * w);
                ref = without(ref, w, 2 * w);
            }
            double e = relErr(java, ref);
            if (e > worst) { worst = e; worstName = p.name; }
            assertThat(e).as(p.name).isLessThan(1e-4);
        }
        System.out.printf("parity weights after 3 AdamW steps: worst rel %.2e (%s; key biases excluded)%n", worst, worstName);

        MaesilModel fresh = model(false);
        fresh.trainStep(init.get("x"), masks);
        for (Parameter p : fresh.parameters()) {
            if (!p.name.endsWith(".attn.qkv.bias")) continue;
            int w = p.size() / 3;
            double keyMax = 0, allMax = 0;
            for (int i = 0; i < p.size(); i++) {
                allMax = Math.max(allMax, Math.abs(p.grad.data[i]));
                if (i >= w && i < 2 * w) keyMax = Math.max(keyMax, Math.abs(p.grad.data[i]));
            }
            System.out.printf("  %s: max |key-bias gradient| / max |qkv-bias gradient| = %.1e%n", p.name, keyMax / allMax);
            assertThat(keyMax / allMax).as(p.name + " key-bias gradient").isLessThan(1e-4);
        }
    }

    /** The tensor without elements [from, to). */
    static Tensor without(Tensor t, int from, int to) {
        float[] d = new float[t.size() - (to - from)];
        System.arraycopy(t.data, 0, d, 0, from);
        System.arraycopy(t.data, to, d, from, t.size() - to);
        return new Tensor(d, d.length);
    }
}
