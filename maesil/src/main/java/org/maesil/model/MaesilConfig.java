package org.maesil.model;

/**
 * The shape of a MAESIL model and its masking.
 *
 * @param superpatch    superpatch edge S (voxels)
 * @param patch         patch edge p (voxels); S must be a multiple of p, grid g = S / p
 * @param width         encoder width (token dimension)
 * @param depth         encoder transformer blocks
 * @param heads         encoder attention heads
 * @param decoderWidth  decoder width
 * @param decoderDepth  decoder transformer blocks
 * @param decoderHeads  decoder attention heads
 * @param mlpRatio      MLP hidden width / block width (MAE: 4)
 * @param planeRatio    fraction of tokens masked in every axial token plane
 * @param axisRatio     fraction of axial token planes masked as one contiguous block
 * @param normPixLoss   per-patch normalised targets (MAE's norm_pix_loss)
 */
public record MaesilConfig(int superpatch, int patch, int width, int depth, int heads,
                           int decoderWidth, int decoderDepth, int decoderHeads, int mlpRatio,
                           double planeRatio, double axisRatio, boolean normPixLoss) {

    public MaesilConfig {
        if (patch < 1 || superpatch < patch || superpatch % patch != 0) {
            throw new IllegalArgumentException("superpatch " + superpatch + " must be a positive multiple of patch " + patch);
        }
        if (depth < 1 || decoderDepth < 1) throw new IllegalArgumentException("depth and decoder depth must be >= 1");
        if (heads < 1 || width % heads != 0) throw new IllegalArgumentException("width " + width + " must be a multiple of heads " + heads);
        if (decoderHeads < 1 || decoderWidth % decoderHeads != 0) {
            throw new IllegalArgumentException("decoder width " + decoderWidth + " must be a multiple of decoder heads " + decoderHeads);
        }
        if (width < 6 || width % 2 != 0 || decoderWidth < 6 || decoderWidth % 2 != 0) {
            throw new IllegalArgumentException("widths must be even and >= 6 (sin-cos positions), got " + width + " and " + decoderWidth);
        }
        if (mlpRatio < 1) throw new IllegalArgumentException("mlp ratio must be >= 1");
        new DualMask(superpatch / patch, planeRatio, axisRatio); // validates the ratios
    }

    public int grid() { return superpatch / patch; }
    public int tokens() { int g = grid(); return g * g * g; }
    public int patchVoxels() { return patch * patch * patch; }
    public DualMask masking() { return new DualMask(grid(), planeRatio, axisRatio); }

    public MaesilConfig withRatios(double plane, double axis) {
        return new MaesilConfig(superpatch, patch, width, depth, heads, decoderWidth, decoderDepth, decoderHeads,
                mlpRatio, plane, axis, normPixLoss);
    }

    public MaesilConfig withNormPixLoss(boolean on) {
        return new MaesilConfig(superpatch, patch, width, depth, heads, decoderWidth, decoderDepth, decoderHeads,
                mlpRatio, planeRatio, axisRatio, on);
    }
}
