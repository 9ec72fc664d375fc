package org.maesil.model.baselines;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.maesil.layers.Parameter;
import org.maesil.layers.io.Checkpoint;
import org.maesil.model.ReconstructionModel;
import org.maesil.tensor.JavaBackend;
import org.maesil.tensor.Tensor;
import org.maesil.tensor.io.SafeTensors;

/**
 * The three baselines against the float64 PyTorch references of
 * tools/fixtures/make_baseline_fixtures.py (tiny preset, shared weights, fixed input, fixed VAE
 * noise, one forward/backward each): loss, logged values, every parameter gradient, and for the
 * VQ-VAE the codes and the codebook / EMA statistics after the step (with dead-code restarts).
 * Error of a tensor: max |java - torch| / max |torch|.
 */
class BaselineParityTest {
    static final double TOL = 1e-4;
    static JavaBackend be;
    static Map<String, Tensor> init;
    static long stepSeed;

    @BeforeAll
    static void load() throws Exception {
        be = new JavaBackend(2);
        init = SafeTensors.read(fixture("tiny_init"));
        stepSeed = Long.parseLong(SafeTensors.readMetadata(fixture("tiny_init")).get("step_seed"));
    }

    @AfterAll
    static void close() { be.close(); }

    static Path fixture(String name) throws Exception {
        return Path.of(BaselineParityTest.class.getResource("/fixtures/baselines/" + name + ".safetensors").toURI());
    }

    static <M extends ReconstructionModel> M withFixtureWeights(M m) throws Exception {
        Checkpoint.applyParameters(new Checkpoint.Contents(fixture("tiny_init"), init, Map.of()), m.parameters());
        return m;
    }

    static double relErr(Tensor java, Tensor ref) {
        assertThat(java.size()).isEqualTo(ref.size());
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < ref.size(); i++) {
            maxDiff = Math.max(maxDiff, Math.abs(java.data[i] - ref.data[i]));
            maxRef = Math.max(maxRef, Math.abs(ref.data[i]));
        }
        return maxDiff / Math.max(maxRef, 1e-30);
    }

    static double scalarErr(double java, String key) {
        double ref = init.get(key).data[0];
        return Math.abs(java - ref) / Math.abs(ref);
    }

    /** Checks every parameter gradient against the fixture; returns the largest error. */
    static double checkGradients(ReconstructionModel m, Map<String, Tensor> ref) {
        double worst = 0;
        String worstName = "";
        for (Parameter p : m.parameters()) {
            Tensor r = ref.get(p.name);
            assertThat(r).as("fixture gradient of " + p.name).isNotNull();
            double e = relErr(p.grad, r);
            assertThat(e).as("gradient of " + p.name).isLessThanOrEqualTo(TOL);
            if (e > worst) {
                worst = e;
                worstName = p.name;
            }
        }
        System.out.printf("%s: %d parameter gradients, max relative error %.2e (%s)%n", m.kind(), m.parameters().size(), worst, worstName);
        return worst;
    }

    @Test
    void autoencoderLossAndGradientsMatchTorch() throws Exception {
        ConvAutoencoder m = withFixtureWeights(new ConvAutoencoder(Baselines.forPreset("tiny"), be, 0));
        double loss = m.trainStep(init.get("x"), stepSeed).loss();
        System.out.printf("ae: loss %.8f vs torch %.8f, relative error %.2e%n", loss, init.get("ae_loss").data[0], scalarErr(loss, "ae_loss"));
        assertThat(scalarErr(loss, "ae_loss")).isLessThanOrEqualTo(TOL);
        checkGradients(m, SafeTensors.read(fixture("tiny_ae_grads")));
    }

    @Test
    void vaeLossKlAndGradientsMatchTorchWithTheSameNoise() throws Exception {
        ConvVae m = withFixtureWeights(new ConvVae(Baselines.forPreset("tiny"), be, 0));
        ReconstructionModel.StepResult r = m.trainStep(init.get("x"), init.get("vae_noise"));
        System.out.printf("vae: loss error %.2e, recon error %.2e, kl error %.2e%n", scalarErr(r.loss(), "vae_loss"),
                scalarErr(r.extras().get("recon"), "vae_recon"), scalarErr(r.extras().get("kl"), "vae_kl"));
        assertThat(scalarErr(r.loss(), "vae_loss")).isLessThanOrEqualTo(TOL);
        assertThat(scalarErr(r.extras().get("recon"), "vae_recon")).isLessThanOrEqualTo(TOL);
        assertThat(scalarErr(r.extras().get("kl"), "vae_kl")).isLessThanOrEqualTo(TOL);
        assertThat(r.extras().get("klWeight")).isEqualTo(1.0);
        checkGradients(m, SafeTensors.read(fixture("tiny_vae_grads")));
        assertThat(m.extraState().get("vae.steps").data[0]).isEqualTo(1f);
    }

    @Test
    void vqvaeLossGradientsCodesAndEmaUpdateMatchTorch() throws Exception {
        VqVae m = withFixtureWeights(new VqVae(Baselines.forPreset("tiny"), be, 0));
        System.arraycopy(init.get("quantizer.embedding").data, 0, m.codebook().data, 0, m.codebook().size());
        ReconstructionModel.StepResult r = m.trainStep(init.get("x"), stepSeed);
        Map<String, Tensor> ref = SafeTensors.read(fixture("tiny_vqvae_grads"));
        int[] codes = m.lastCodes();
        Tensor refCodes = ref.get("codes");
        for (int i = 0; i < codes.length; i++) assertThat(codes[i]).as("code of latent vector " + i).isEqualTo((int) refCodes.data[i]);
        System.out.printf("vqvae: loss error %.2e, recon error %.2e, commit error %.2e, perplexity %.4f (torch %.4f), restarts %.0f%n",
                scalarErr(r.loss(), "vqvae_loss"), scalarErr(r.extras().get("recon"), "vqvae_recon"),
                scalarErr(r.extras().get("commit"), "vqvae_commit"), r.extras().get("perplexity"),
                init.get("vqvae_perplexity").data[0], r.extras().get("restarts"));
        assertThat(scalarErr(r.loss(), "vqvae_loss")).isLessThanOrEqualTo(TOL);
        assertThat(scalarErr(r.extras().get("recon"), "vqvae_recon")).isLessThanOrEqualTo(TOL);
        assertThat(scalarErr(r.extras().get("commit"), "vqvae_commit")).isLessThanOrEqualTo(TOL);
        assertThat(scalarErr(r.extras().get("perplexity"), "vqvae_perplexity")).isLessThanOrEqualTo(1e-6);
        assertThat(r.extras().get("restarts")).isEqualTo(init.get("vqvae_restarts").data[0]);
        checkGradients(m, ref);
        double eEmb = relErr(m.codebook(), ref.get("quantizer.embedding"));
        double eCs = relErr(m.clusterSize(), ref.get("quantizer.ema_cluster_size"));
        double eEs = relErr(m.embedSum(), ref.get("quantizer.ema_embed_sum"));
        System.out.printf("vqvae EMA after one step: codebook %.2e, cluster size %.2e, embed sum %.2e%n", eEmb, eCs, eEs);
        assertThat(eEmb).as("codebook").isLessThanOrEqualTo(TOL);
        assertThat(eCs).as("cluster size").isLessThanOrEqualTo(TOL);
        assertThat(eEs).as("embed sum").isLessThanOrEqualTo(TOL);
    }
}
