package org.maesil.model.baselines;

import java.util.LinkedHashMap;
import java.util.Map;
import org.maesil.layers.Buffers;
import org.maesil.model.Rng;
import org.maesil.tensor.Backend;
import org.maesil.tensor.Tensor;

/**
 * The variational autoencoder baseline ({@code --model vae}): the encoder's two 1x1x1 heads give
 * mu and log-variance of a diagonal Gaussian latent [C, S/f, S/f, S/f]; training decodes
 * z = mu + exp(logvar / 2) eps (reparameterisation, eps ~ N(0, 1)), evaluation decodes mu.
 *
 * <p>Loss = recon + w_t kl, with recon the mean squared error over all voxels and
 * kl = sum over latent elements of (mu^2 + exp(logvar) - 1 - logvar) / 2, divided by the number
 * of voxels of the batch (so recon + kl is the per-voxel negative ELBO of a Gaussian decoder of
 * variance 1/2, up to a constant). w_t = klWeight min(1, (t + 1) / klWarmupSteps) at the model's
 * t-th training step (klWeight when there is no warm-up). The step count is extra state
 * ({@code vae.steps}), saved in checkpoints. Logged: "recon", "kl", "klWeight".
 *
 * <p>Noise: eps of sample b is drawn from {@code new Rng(Rng.derive(seed, b))}, one
 * {@link Rng#nextGaussian()} per latent element in [C, S/f, S/f, S/f] order.
 */
public final class ConvVae extends ConvBaseline {
    private final Tensor steps = new Tensor(1);
    private Tensor noise, z, dmu, dlogvar, dh;

    public ConvVae(BaselineConfig cfg, Backend backend, long initSeed) {
        super(cfg, backend, initSeed, "mu", "logvar");
    }

    @Override public String kind() { return "vae"; }

    @Override public Map<String, Tensor> extraState() { return Map.of("vae.steps", steps); }

    /** The KL weight of the next training step. */
    public double currentKlWeight() {
        double t = steps.data[0];
        int warm = cfg.klWarmupSteps();
        return warm > 0 ? cfg.klWeight() * Math.min(1.0, (t + 1) / warm) : cfg.klWeight();
    }

    @Override
    public StepResult trainStep(Tensor batch, long seed) {
        int b = checkBatch(batch);
        int[] shape = latentShape(b);
        noise = Buffers.ensure(noise, shape);
        int per = noise.size() / b;
        for (int i = 0; i < b; i++) {
            Rng rng = new Rng(Rng.derive(seed, i));
            for (int e = 0; e < per; e++) noise.data[i * per + e] = (float) rng.nextGaussian();
        }
        return trainStep(batch, noise);
    }

    /** One forward/backward with the noise given explicitly ([B, C, S/f, S/f, S/f]), for parity tests. */
    public StepResult trainStep(Tensor batch, Tensor eps) {
        int b = checkBatch(batch);
        if (!Buffers.sameShape(eps, latentShape(b))) throw new IllegalArgumentException("vae noise " + eps + " must be " + java.util.Arrays.toString(latentShape(b)));
        double w = currentKlWeight();
        Tensor h = trunk.forward(batch);
        Tensor mu = heads[0].forward(h);
        Tensor logvar = heads[1].forward(h);
        int n = mu.size();
        z = Buffers.ensure(z, mu.shape());
        for (int i = 0; i < n; i++) LatentKernels.reparameteriseElement(mu.data, logvar.data, eps.data, z.data, i);
        Tensor pred = decoder.forward(z);
        double recon = reconstructionLoss(pred, batch);
        double voxels = batch.size();
        double kl = LatentKernels.klDivergenceSum(mu.data, logvar.data, n) / voxels;
        double loss = recon + w * kl;

        Tensor dz = decoder.backward(reconstructionGradient(pred, batch));
        dmu = Buffers.ensure(dmu, mu.shape());
        dlogvar = Buffers.ensure(dlogvar, mu.shape());
        float klScale = (float) (w / voxels);
        for (int i = 0; i < n; i++) {
            LatentKernels.reparameteriseBackwardElement(mu.data, logvar.data, eps.data, dz.data, dmu.data, dlogvar.data, klScale, i);
        }
        Tensor d1 = heads[0].backward(dmu);
        dh = Buffers.ensure(dh, d1.shape());
        System.arraycopy(d1.data, 0, dh.data, 0, d1.size());
        Tensor d2 = heads[1].backward(dlogvar);
        be.add(dh.data, d2.data, dh.data, dh.size());
        trunk.backward(dh);
        steps.data[0] += 1f;

        Map<String, Double> extras = new LinkedHashMap<>();
        extras.put("recon", recon);
        extras.put("kl", kl);
        extras.put("klWeight", w);
        return new StepResult(loss, extras);
    }

    @Override
    public Reconstruction reconstruct(Tensor batch, long seed) {
        checkBatch(batch);
        Tensor mu = heads[0].forward(trunk.forward(batch));
        return new Reconstruction(copyOf(decoder.forward(mu)), null);
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> m = super.describe();
        m.put("klWeight", cfg.klWeight());
        m.put("klWarmupSteps", cfg.klWarmupSteps());
        return m;
    }

    private int[] latentShape(int b) {
        int e = cfg.latentEdge();
        return new int[] {b, cfg.latentChannels(), e, e, e};
    }
}
