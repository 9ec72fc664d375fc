package org.maesil.harness.train;

import com.google.gson.GsonBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.maesil.data.NiftiReader;
import org.maesil.data.NiftiWriter;
import org.maesil.data.Preprocess;
import org.maesil.data.Volume;
import org.maesil.layers.io.Checkpoint;
import org.maesil.model.ReconstructionModel;
import org.maesil.tensor.Backend;
import org.maesil.tensor.Backends;
import org.maesil.train.Models;
import org.maesil.train.RunConfig;
import org.maesil.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code reconstruct}: a whole CT volume through a trained model ({@link VolumeReconstructor}).
 * The input (HU) is windowed with the run's window; the output NIfTI has the input's geometry
 * and holds the reconstruction in [0, 1] (clamped), the scale every metric uses; {@code --hu}
 * maps it back to HU inside the window instead (values outside the window cannot come back).
 */
@Command(name = "reconstruct", mixinStandardHelpOptions = true,
        description = "Reconstructs a whole volume with a trained run (MAESIL: composite of visible input and predicted masked patches).")
public final class ReconstructCommand implements Callable<Integer> {

    @Option(names = "--run", required = true, paramLabel = "RUN", description = "run folder written by train")
    Path run;

    @Option(names = "--in", required = true, paramLabel = "FILE", description = "input NIfTI volume (HU)")
    Path in;

    @Option(names = "--out", required = true, paramLabel = "FILE.nii.gz", description = "output NIfTI")
    Path out;

    @Option(names = "--mask-out", paramLabel = "FILE.nii.gz", description = "MAESIL: also write the voxel mask (1 = masked)")
    Path maskOut;

    @Option(names = "--hu", description = "write HU (inside the window) instead of [0, 1]")
    boolean hu;

    @Option(names = "--eval-seed", description = "seed of MAESIL's evaluation masks (default: " + VolumeReconstructor.EVAL_SEED + ")")
    Long evalSeed;

    @Option(names = "--backend", defaultValue = "java", description = "java or tornado (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--threads", description = "threads of the Java backend (default: all cores)")
    Integer threads;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Override
    public Integer call() throws Exception {
        RunConfig cfg = RunConfig.read(run);
        Path ckpt = run.resolve(Trainer.CHECKPOINT);
        if (!Files.exists(ckpt)) throw new IllegalArgumentException(run + ": no checkpoint yet (" + Trainer.CHECKPOINT + " is missing)");
        String[] w = cfg.dataOptions().getOrDefault("window", "-175.0,250.0").split(",");
        double lo = Double.parseDouble(w[0]), hi = Double.parseDouble(w[1]);
        int t = threads == null ? Backends.defaultThreads() : threads;
        long seed = evalSeed == null ? VolumeReconstructor.EVAL_SEED : evalSeed;
        Volume input = NiftiReader.read(in);
        VolumeReconstructor.Result r;
        long step;
        try (Backend be = Backends.create(backend, t)) {
            ReconstructionModel model = Models.create(cfg.model(), be);
            Checkpoint.Contents c = Checkpoint.read(ckpt);
            Checkpoint.applyParameters(c, model.parameters());
            model.loadExtraState(c.tensors());
            step = Long.parseLong(c.metadata().getOrDefault("run.step", "-1"));
            r = VolumeReconstructor.reconstruct(model, Preprocess.window(input, lo, hi), seed);
        }
        float[] v = r.reconstruction().voxels.clone();
        for (int i = 0; i < v.length; i++) {
            float x = Math.max(0f, Math.min(1f, v[i]));
            v[i] = hu ? Preprocess.unwindow(x, lo, hi) : x;
        }
        NiftiWriter.write(out, input.withVoxels(v, r.reconstruction().description));
        if (maskOut != null) {
            if (r.mask() == null) throw new IllegalArgumentException("--mask-out: model " + cfg.model().kind() + " does not mask its input");
            NiftiWriter.write(maskOut, input.withVoxels(r.mask().voxels, "MAESIL evaluation mask, seed " + seed));
        }
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("run", run.toString());
        o.put("model", cfg.model().kind());
        o.put("checkpointStep", step);
        o.put("input", in.toString());
        o.put("output", out.toString());
        o.put("units", hu ? "HU" : "[0,1]");
        o.put("window", new double[] {lo, hi});
        o.put("superpatches", r.superpatches());
        o.put("evalSeed", seed);
        o.put("seconds", r.seconds());
        if (json) {
            System.out.println(new GsonBuilder().create().toJson(o));
        } else {
            System.out.printf(Locale.ROOT, "%s: %s reconstruction (step %d) of %s, %d superpatches, %s, %.1f s%n",
                    out, cfg.model().kind(), step, in, r.superpatches(), hu ? "HU" : "[0, 1]", r.seconds());
        }
        return 0;
    }
}
