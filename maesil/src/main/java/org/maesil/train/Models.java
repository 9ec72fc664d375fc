package org.maesil.train;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.maesil.model.MaesilConfig;
import org.maesil.model.MaesilModel;
import org.maesil.model.ReconstructionModel;
import org.maesil.tensor.Backend;

/**
 * The factory behind {@code --model}: builds any {@link ReconstructionModel} from a
 * {@link ModelSpec}. MAESIL is registered here; the AE / VAE / VQ-VAE baselines register
 * their factories with {@link #register} (one line each in the static block below) and are
 * reported as "not available yet" until then.
 */
public final class Models {
    private Models() {}

    /** Builds a freshly initialised model (weights from {@code spec.initSeed()}). */
    @FunctionalInterface
    public interface Factory {
        ReconstructionModel create(ModelSpec spec, Backend backend);
    }

    /** Every name {@code --model} accepts, in help order. */
    public static final Set<String> KINDS = Set.of("maesil", "ae", "vae", "vqvae");

    private static final Map<String, Factory> FACTORIES = new LinkedHashMap<>();

    static {
        register("maesil", Models::maesil);
        register("ae", org.maesil.model.baselines.Baselines::ae);
        register("vae", org.maesil.model.baselines.Baselines::vae);
        register("vqvae", org.maesil.model.baselines.Baselines::vqvae);
    }

    /** Registers (or replaces) the factory of a model kind. */
    public static synchronized void register(String kind, Factory factory) {
        FACTORIES.put(kind, factory);
    }

    public static synchronized boolean available(String kind) { return FACTORIES.containsKey(kind); }

    /** Builds the model of a spec, or a clear error for unknown or not-yet-available kinds. */
    public static ReconstructionModel create(ModelSpec spec, Backend backend) {
        Factory f;
        synchronized (Models.class) {
            f = FACTORIES.get(spec.kind());
        }
        if (f == null) {
            if (KINDS.contains(spec.kind())) {
                throw new IllegalArgumentException("model '" + spec.kind() + "' is not available yet: the AE / VAE / VQ-VAE"
                        + " baselines are not built in this version (only: " + String.join(", ", FACTORIES.keySet()) + ")");
            }
            throw new IllegalArgumentException("unknown model '" + spec.kind() + "' (maesil, ae, vae, vqvae)");
        }
        return f.create(spec, backend);
    }

    /** MAESIL's shape for a spec: the preset's, with the options "plane-ratio", "axis-ratio", "norm-pix-loss" applied. */
    public static MaesilConfig maesilConfig(ModelSpec spec) {
        for (String key : spec.options().keySet()) {
            if (!Set.of("plane-ratio", "axis-ratio", "norm-pix-loss").contains(key)) {
                throw new IllegalArgumentException("model option '" + key + "' does not apply to maesil");
            }
        }
        MaesilConfig base = Presets.byName(spec.preset()).maesil();
        return base.withRatios(spec.doubleOption("plane-ratio", base.planeRatio()),
                        spec.doubleOption("axis-ratio", base.axisRatio()))
                .withNormPixLoss(spec.booleanOption("norm-pix-loss", base.normPixLoss()));
    }

    private static ReconstructionModel maesil(ModelSpec spec, Backend backend) {
        return new MaesilModel(maesilConfig(spec), backend, spec.initSeed());
    }
}
