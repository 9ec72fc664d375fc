package org.maesil.model.baselines;

import java.util.Map;
import org.maesil.model.ReconstructionModel;
import org.maesil.tensor.Tensor;

/**
 * The plain 3D convolutional autoencoder baseline ({@code --model ae}): image -> encoder ->
 * 1x1x1 head {@code encoder.out} -> latent [C, S/f, S/f, S/f] -> decoder -> image; loss: mean
 * squared error over all voxels. Deterministic: the step seed is not used.
 */
public final class ConvAutoencoder extends ConvBaseline {

    public ConvAutoencoder(BaselineConfig cfg, org.maesil.tensor.Backend backend, long initSeed) {
        super(cfg, backend, initSeed, "out");
    }

    @Override public String kind() { return "ae"; }

    @Override
    public StepResult trainStep(Tensor batch, long seed) {
        checkBatch(batch);
        Tensor pred = decoder.forward(heads[0].forward(trunk.forward(batch)));
        double loss = reconstructionLoss(pred, batch);
        trunk.backward(heads[0].backward(decoder.backward(reconstructionGradient(pred, batch))));
        return new StepResult(loss, Map.of());
    }

    @Override
    public ReconstructionModel.Reconstruction reconstruct(Tensor batch, long seed) {
        checkBatch(batch);
        return new Reconstruction(copyOf(decoder.forward(heads[0].forward(trunk.forward(batch)))), null);
    }
}
