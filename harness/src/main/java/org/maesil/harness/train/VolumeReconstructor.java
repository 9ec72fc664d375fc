package org.maesil.harness.train;

import org.maesil.data.Preprocess;
import org.maesil.data.Superpatches;
import org.maesil.data.Volume;
import org.maesil.model.ReconstructionModel;
import org.maesil.model.Rng;
import org.maesil.tensor.Tensor;

/**
 * Full-volume reconstruction with a trained model: the windowed volume ([0, 1]) is padded
 * (centred, with 0) to a multiple of the superpatch edge S, every superpatch goes through
 * {@link ReconstructionModel#reconstruct} on its own - superpatch i with the seed
 * {@code Rng.derive(evalSeed, i)}, so MAESIL's masks depend only on the evaluation seed and the
 * superpatch's place - and the outputs are put back together and cropped to the input's size.
 * Near-empty superpatches are reconstructed too (the output covers the whole volume).
 * For MAESIL the output is the composite (visible patches from the input, masked from the model)
 * and the mask volume holds 1 at masked voxels; for the baselines the mask is null.
 */
public final class VolumeReconstructor {
    private VolumeReconstructor() {}

    /** The default evaluation seed of MAESIL's masks. */
    public static final long EVAL_SEED = 20251127L;

    public record Result(Volume reconstruction, Volume mask, int superpatches, double seconds) {}

    /** Reconstructs a windowed volume (values in [0, 1]); the output keeps its geometry. */
    public static Result reconstruct(ReconstructionModel model, Volume windowed, long evalSeed) {
        long t0 = System.nanoTime();
        int s = model.superpatchSize();
        Volume padded = Preprocess.padToMultiple(windowed, s, 0f);
        int count = Superpatches.count(padded, s);
        float[][] out = new float[count][];
        float[][] masks = new float[count][];
        boolean masked = false;
        Tensor batch = new Tensor(1, 1, s, s, s);
        for (int i = 0; i < count; i++) {
            Superpatches.cut(padded, s, i, batch.data);
            ReconstructionModel.Reconstruction r = model.reconstruct(batch, Rng.derive(evalSeed, i));
            out[i] = r.output().data.clone();
            if (r.mask() != null) {
                masks[i] = r.mask().data.clone();
                masked = true;
            }
        }
        Volume rec = crop(Superpatches.assemble(out, padded, s), windowed);
        Volume mask = null;
        if (masked) mask = crop(Superpatches.assemble(masks, padded, s), windowed);
        String what = model.kind() + " reconstruction of " + windowed.description;
        return new Result(rec.withVoxels(rec.voxels, what), mask, count, (System.nanoTime() - t0) * 1e-9);
    }

    /** Undoes the centred padding of {@link Preprocess#padToMultiple}: the region of {@code like} inside {@code padded}. */
    static Volume crop(Volume padded, Volume like) {
        int ox = Math.floorDiv(padded.nx - like.nx, 2);
        int oy = Math.floorDiv(padded.ny - like.ny, 2);
        int oz = Math.floorDiv(padded.nz - like.nz, 2);
        float[] v = new float[like.voxels.length];
        for (int z = 0; z < like.nz; z++) {
            for (int y = 0; y < like.ny; y++) {
                System.arraycopy(padded.voxels, ox + padded.nx * ((y + oy) + padded.ny * (z + oz)), v, like.nx * (y + like.ny * z), like.nx);
            }
        }
        return like.withVoxels(v, padded.description);
    }
}
