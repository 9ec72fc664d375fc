package org.maesil.train;

import java.util.List;
import org.maesil.model.MaesilConfig;

/**
 * The named sizes of a run. Every model of a preset trains on superpatches of the same edge
 * with the same optimiser settings; {@link Preset#maesil()} is MAESIL's shape (the baselines
 * pick their own shapes per preset name).
 *
 * <ul>
 *   <li>{@code tiny}: seconds, for tests. S 16, p 4 (64 tokens), width 32, depth 2, 2 heads,
 *       decoder 16 x 1.</li>
 *   <li>{@code demo}: the demo's budget on 2 cores. S 32, p 4 (512 tokens), width 96, depth 4,
 *       4 heads, decoder 64 x 2; batch 4, 300 steps. Measured on the 2-core dev machine (load
 *       about 6-8): 0.18-0.45 s per step, so 1-2 minutes per run. Peak lr 3e-3: on two 64^3
 *       abdomen phantoms the last-25-step loss after 300 steps was 0.049 at 1e-3, 0.033 at 3e-3,
 *       0.050 at 6e-3.</li>
 *   <li>{@code paper}: the paper. S 128, p 8 (4096 tokens), width 768, depth 6, 8 heads,
 *       decoder 128 x 3 with 8 heads (the paper does not give decoder heads); AdamW lr 1e-4,
 *       betas (0.9, 0.95), weight decay 0.05, 5 warm-up epochs, cosine; batch 1 (8 GiB heap);
 *       100 epochs when --steps is not given (the paper does not state its length).</li>
 * </ul>
 * All use plane ratio 0.5 and axis ratio 0.5 (75% of tokens masked) unless overridden, MLP
 * ratio 4, and no per-patch target normalisation.
 */
public final class Presets {
    private Presets() {}

    /** A preset: its name, superpatch edge, optimiser settings and MAESIL shape. */
    public record Preset(String name, int superpatch, TrainConfig train, MaesilConfig maesil) {}

    public static final Preset TINY = new Preset("tiny", 16,
            new TrainConfig(4, 60, 0, 2e-3, 1e-5, 0.9, 0.95, 1e-8, 0.05, 5, 0, 20),
            new MaesilConfig(16, 4, 32, 2, 2, 16, 1, 2, 4, 0.5, 0.5, false));

    public static final Preset DEMO = new Preset("demo", 32,
            new TrainConfig(4, 300, 0, 3e-3, 1e-5, 0.9, 0.95, 1e-8, 0.05, 15, 0, 50),
            new MaesilConfig(32, 4, 96, 4, 4, 64, 2, 4, 4, 0.5, 0.5, false));

    public static final Preset PAPER = new Preset("paper", 128,
            new TrainConfig(1, 0, 100, 1e-4, 0.0, 0.9, 0.95, 1e-8, 0.05, -1, 5, 500),
            new MaesilConfig(128, 8, 768, 6, 8, 128, 3, 8, 4, 0.5, 0.5, false));

    public static final List<Preset> ALL = List.of(TINY, DEMO, PAPER);

    /** The preset of that name, or an error listing the names. */
    public static Preset byName(String name) {
        for (Preset p : ALL) if (p.name().equals(name)) return p;
        throw new IllegalArgumentException("unknown preset '" + name + "' (tiny, demo, paper)");
    }
}
