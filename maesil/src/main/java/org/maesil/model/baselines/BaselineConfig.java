package org.maesil.model.baselines;

import java.util.Arrays;

/**
 * The shape and options of the convolutional baselines (AE, VAE, VQ-VAE).
 *
 * <p>Encoder: {@code widths.length} stages of Conv3d(k 4, stride 2, pad 1) + GroupNorm + GELU,
 * then a 1x1x1 convolution to the latent (the VAE has two: mu and log-variance). Decoder:
 * Conv3d(k 3, pad 1) latent -> last width + GroupNorm + GELU, then ConvTranspose3d(k 4, stride 2,
 * pad 1) stages back up (GroupNorm + GELU between them), the last one to 1 channel, linear output.
 * The latent is [latentChannels, S/f, S/f, S/f] with f = 2^stages.
 *
 * <p>Matched compression: the latent has as many floats per superpatch as MAESIL's encoder gets
 * visible voxels at the same preset: latentChannels = f^3 * visibleFraction, so
 * latentChannels (S/f)^3 = visibleFraction * S^3 (25% at the default 75% masking: f = 4,
 * 16 channels).
 *
 * @param superpatch     superpatch edge S
 * @param widths         channels after each down-sampling stage (the decoder mirrors them)
 * @param groups         GroupNorm groups (must divide every width)
 * @param visibleFraction MAESIL's visible fraction of voxels at this preset (sets latentChannels)
 * @param codebookSize   VQ-VAE codebook entries K (the code dimension is latentChannels)
 * @param klWeight       VAE: weight of the KL term (KL summed over latent elements, divided by the voxels of the batch)
 * @param klWarmupSteps  VAE: steps of linear warm-up of the KL weight from klWeight/warmup to klWeight (0: none)
 * @param commitment     VQ-VAE: commitment weight beta
 * @param decay          VQ-VAE: EMA decay of the codebook statistics
 * @param emaEps         VQ-VAE: Laplace smoothing of the EMA cluster sizes
 * @param deadThreshold  VQ-VAE: a code whose EMA cluster size falls below this is restarted from a batch encoding
 */
public record BaselineConfig(int superpatch, int[] widths, int groups, double visibleFraction, int codebookSize,
                             double klWeight, int klWarmupSteps, double commitment, double decay, double emaEps,
                             double deadThreshold) {

    public BaselineConfig {
        widths = widths.clone();
        if (widths.length < 1) throw new IllegalArgumentException("baseline needs at least one down-sampling stage");
        int f = 1 << widths.length;
        if (superpatch < f || superpatch % f != 0) {
            throw new IllegalArgumentException("superpatch " + superpatch + " must be a multiple of the down-sampling factor " + f);
        }
        for (int w : widths) {
            if (w < 1 || w % groups != 0) throw new IllegalArgumentException("baseline width " + w + " is not a multiple of " + groups + " groups");
        }
        if (!(visibleFraction > 0 && visibleFraction <= 1)) throw new IllegalArgumentException("visible fraction must be in (0, 1]");
        if (codebookSize < 2) throw new IllegalArgumentException("codebook size must be >= 2, got " + codebookSize);
        if (!(klWeight >= 0)) throw new IllegalArgumentException("kl-weight must be >= 0, got " + klWeight);
        if (klWarmupSteps < 0) throw new IllegalArgumentException("kl-warmup must be >= 0, got " + klWarmupSteps);
        if (!(commitment >= 0)) throw new IllegalArgumentException("commitment must be >= 0, got " + commitment);
        if (!(decay >= 0 && decay < 1)) throw new IllegalArgumentException("decay must be in [0, 1), got " + decay);
        if (!(emaEps > 0)) throw new IllegalArgumentException("EMA eps must be > 0");
        if (!(deadThreshold >= 0)) throw new IllegalArgumentException("dead-threshold must be >= 0, got " + deadThreshold);
        if (latentChannelsFor(widths.length, visibleFraction) < 1) {
            throw new IllegalArgumentException("visible fraction " + visibleFraction + " gives no latent channel");
        }
    }

    private static int latentChannelsFor(int stages, double visibleFraction) {
        int f = 1 << stages;
        return (int) Math.round(f * f * f * visibleFraction);
    }

    @Override public int[] widths() { return widths.clone(); }
    public int stages() { return widths.length; }
    /** Down-sampling factor per axis, 2^stages. */
    public int factor() { return 1 << widths.length; }
    /** Latent edge S / f. */
    public int latentEdge() { return superpatch / factor(); }
    /** Latent channels C = round(f^3 * visibleFraction) (also the VQ code dimension). */
    public int latentChannels() { return latentChannelsFor(widths.length, visibleFraction); }
    /** Latent floats per superpatch, C (S/f)^3. */
    public int latentElements() { int e = latentEdge(); return latentChannels() * e * e * e; }
    /** Latent floats / input voxels. */
    public double compressionRatio() { double s = superpatch; return latentElements() / (s * s * s); }

    public BaselineConfig withKl(double weight, int warmup) {
        return new BaselineConfig(superpatch, widths, groups, visibleFraction, codebookSize, weight, warmup, commitment, decay, emaEps, deadThreshold);
    }

    public BaselineConfig withCodebook(int size, double commit, double dead) {
        return new BaselineConfig(superpatch, widths, groups, visibleFraction, size, klWeight, klWarmupSteps, commit, decay, emaEps, dead);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BaselineConfig b && b.superpatch == superpatch && Arrays.equals(b.widths, widths) && b.groups == groups
                && b.visibleFraction == visibleFraction && b.codebookSize == codebookSize && b.klWeight == klWeight
                && b.klWarmupSteps == klWarmupSteps && b.commitment == commitment && b.decay == decay && b.emaEps == emaEps
                && b.deadThreshold == deadThreshold;
    }

    @Override
    public int hashCode() { return Arrays.hashCode(widths) * 31 + superpatch; }

    @Override
    public String toString() {
        return "BaselineConfig[S=" + superpatch + ", widths=" + Arrays.toString(widths) + ", groups=" + groups
                + ", latent=" + latentChannels() + "x" + latentEdge() + "^3, K=" + codebookSize + "]";
    }
}
