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

    /**
     * What a progress display counts per superpatch, e.g. "tokens" for MAESIL (g^3 per
     * superpatch); by default "voxels" (S^3).
     */
    default String workUnit() { return "voxels"; }

    /** Units of {@link #workUnit()} per superpatch. */
    default long workPerSample() { long s = superpatchSize(); return s * s * s; }

    /** The model's shape and options as name/value pairs, for logs, checkpoints and reports. */
    default Map<String, Object> describe() { return Map.of("kind", kind()); }

    /**
     * State that is not a parameter but must survive a checkpoint for an exact resume (e.g. a
     * VQ-VAE's EMA codebook statistics), keyed by unique names; live tensors. Empty by default.
     */
    default Map<String, Tensor> extraState() { return Map.of(); }

    /** Restores {@link #extraState()} from checkpoint tensors; an error names the missing key. */
    default void loadExtraState(Map<String, Tensor> tensors) {
        for (var e : extraState().entrySet()) {
            Tensor t = tensors.get(e.getKey());
            if (t == null || t.size() != e.getValue().size()) {
                throw new IllegalArgumentException("checkpoint state '" + e.getKey() + "' is missing or has the wrong size");
            }
            System.arraycopy(t.data, 0, e.getValue().data, 0, t.size());
        }
    }

    /** Loss and named extra values of one training step. */
    record StepResult(double loss, Map<String, Double> extras) {}

    /** A reconstruction of a batch and, for masked models, the voxel mask [B, 1, S, S, S]. */
    record Reconstruction(Tensor output, Tensor mask) {}
}
