package org.maesil.model.baselines;

import java.util.Set;
import org.maesil.model.DualMask;
import org.maesil.model.ReconstructionModel;
import org.maesil.tensor.Backend;
import org.maesil.train.ModelSpec;
import org.maesil.train.Presets;

/**
 * The baselines' shapes per preset and their factories for {@code --model ae|vae|vqvae}
 * (registered in {@link org.maesil.train.Models}).
 *
 * <table>
 *   <caption>Baseline shapes per preset (f = 4: two stride-2 stages; latent C = 16 = 4^3 x 25%)</caption>
 *   <tr><th>preset</th><th>S</th><th>widths</th><th>groups</th><th>latent</th><th>K</th></tr>
 *   <tr><td>tiny</td><td>16</td><td>4, 8</td><td>2</td><td>16 x 4^3</td><td>32</td></tr>
 *   <tr><td>demo</td><td>32</td><td>16, 32</td><td>8</td><td>16 x 8^3</td><td>128</td></tr>
 *   <tr><td>paper</td><td>128</td><td>32, 64</td><td>8</td><td>16 x 32^3</td><td>512</td></tr>
 * </table>
 * The latent always holds as many floats as MAESIL's visible voxels at the preset's masking
 * (25% of the superpatch at the default planeRatio 0.5, axisRatio 0.5). The paper gives no
 * baseline architecture; these widths are this project's choice, small enough that the
 * baselines train at least as fast as MAESIL at each preset.
 *
 * <p>Defaults of the options (model options of {@link ModelSpec}): VAE "kl-weight" 1.0 (with
 * the per-voxel KL of {@link ConvVae}, the textbook sum-of-squares + KL objective), "kl-warmup" 0
 * steps; VQ-VAE "codebook-size" per preset, "commitment" 0.25, "dead-threshold" 1e-3; decay
 * 0.99 and eps 1e-5 fixed.
 */
public final class Baselines {
    private Baselines() {}

    public static final double DEFAULT_KL_WEIGHT = 1.0;
    public static final double COMMITMENT = 0.25;
    public static final double DECAY = 0.99;
    public static final double EMA_EPS = 1e-5;
    public static final double DEAD_THRESHOLD = 1e-3;

    /** The default baseline shape of a preset. */
    public static BaselineConfig forPreset(String preset) {
        Presets.Preset p = Presets.byName(preset);
        DualMask m = p.maesil().masking();
        double visible = (double) m.visibleCount() / m.tokens();
        return switch (p.name()) {
            case "tiny" -> new BaselineConfig(p.superpatch(), new int[] {4, 8}, 2, visible, 32,
                    DEFAULT_KL_WEIGHT, 0, COMMITMENT, DECAY, EMA_EPS, DEAD_THRESHOLD);
            case "demo" -> new BaselineConfig(p.superpatch(), new int[] {16, 32}, 8, visible, 128,
                    DEFAULT_KL_WEIGHT, 0, COMMITMENT, DECAY, EMA_EPS, DEAD_THRESHOLD);
            case "paper" -> new BaselineConfig(p.superpatch(), new int[] {32, 64}, 8, visible, 512,
                    DEFAULT_KL_WEIGHT, 0, COMMITMENT, DECAY, EMA_EPS, DEAD_THRESHOLD);
            default -> throw new IllegalArgumentException("no baseline shape for preset '" + preset + "'");
        };
    }

    /** The shape of a spec: the preset's, with the model options of its kind applied. */
    public static BaselineConfig config(ModelSpec spec) {
        Set<String> allowed = switch (spec.kind()) {
            case "vae" -> Set.of("kl-weight", "kl-warmup");
            case "vqvae" -> Set.of("codebook-size", "commitment", "dead-threshold");
            default -> Set.of();
        };
        for (String key : spec.options().keySet()) {
            if (!allowed.contains(key)) throw new IllegalArgumentException("model option '" + key + "' does not apply to " + spec.kind());
        }
        BaselineConfig c = forPreset(spec.preset());
        if (spec.kind().equals("vae")) {
            c = c.withKl(spec.doubleOption("kl-weight", c.klWeight()), intOption(spec, "kl-warmup", c.klWarmupSteps()));
        } else if (spec.kind().equals("vqvae")) {
            c = c.withCodebook(intOption(spec, "codebook-size", c.codebookSize()), spec.doubleOption("commitment", c.commitment()),
                    spec.doubleOption("dead-threshold", c.deadThreshold()));
        }
        return c;
    }

    private static int intOption(ModelSpec spec, String key, int dflt) {
        double v = spec.doubleOption(key, dflt);
        if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("model option " + key + " must be a whole number, got '" + spec.options().get(key) + "'");
        }
        return (int) v;
    }

    public static ReconstructionModel ae(ModelSpec spec, Backend backend) {
        return new ConvAutoencoder(config(spec), backend, spec.initSeed());
    }

    public static ReconstructionModel vae(ModelSpec spec, Backend backend) {
        return new ConvVae(config(spec), backend, spec.initSeed());
    }

    public static ReconstructionModel vqvae(ModelSpec spec, Backend backend) {
        return new VqVae(config(spec), backend, spec.initSeed());
    }
}
