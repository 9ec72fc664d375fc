package org.maesil.model;

import java.util.Map;
import org.maesil.layers.Module;
import org.maesil.tensor.Tensor;

/**
 * What the trainer, the evaluator and the harness see of MAESIL and of the AE / VAE / VQ-VAE
 * baselines: a model that reconstructs batches of superpatches [B, 1, S, S, S] in [0, 1].
 */
public interface ReconstructionModel extends Module {

    /** "maesil", "ae", "vae" or "vqvae". */
    String kind();

    /** The superpatch edge S this model takes. */
    int superpatchSize();

    /**
     * One forward and backward pass on a batch: fills every parameter's gradient and returns
     * the loss and any extra quantities to log (e.g. "kl", "perplexity"). {@code seed} drives
     * every random choice of the step (masks, noise), so a step can be replayed exactly.
     */
    StepResult trainStep(Tensor batch, long seed);

    /**
     * Reconstructs a batch for evaluation. For MAESIL the reconstruction is the composite
     * (visible patches from the input, masked patches from the model) and {@code mask} holds
     * 1 for masked voxels; baselines return a null mask.
     */
    Reconstruction reconstruct(Tensor batch, long seed);

    /** Loss and named extra values of one training step. */
    record StepResult(double loss, Map<String, Double> extras) {}

    /** A reconstruction of a batch and, for masked models, the voxel mask [B, 1, S, S, S]. */
    record Reconstruction(Tensor output, Tensor mask) {}
}
