package org.maesil.harness.train;

import com.google.gson.GsonBuilder;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.maesil.tensor.Backend;
import org.maesil.tensor.Backends;
import org.maesil.train.ModelSpec;
import org.maesil.train.Models;
import org.maesil.train.Presets;
import org.maesil.train.RunConfig;
import org.maesil.train.TrainConfig;
import org.maesil.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code train}: trains MAESIL (or a baseline) on NAME_OR_PATH into the run folder RUN
 * (config.json, loss.jsonl, checkpoint.safetensors, model.safetensors; see {@link Trainer}).
 * {@code --resume} continues RUN exactly where its last checkpoint left it; options given
 * with --resume must agree with the run's stored configuration. The data streams from disk
 * volume by volume with bounded memory ({@link TrainingData}, {@link org.maesil.data.StreamingSuperpatches});
 * the per-volume superpatch counts are kept in RUN/data-index.json, so a resumed run reads only
 * the volume it continues in before its first step.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Trains a model on superpatches of a dataset, with atomic checkpoints and exact resume.",
                "Data streams from disk one volume at a time (each volume is read once up front to count its non-empty"
                        + " superpatches, kept in RUN/data-index.json). Memory for data: at most 4 (2R + T + P) bytes while a"
                        + " volume loads (R, T, P: voxels of the largest raw, resampled and padded volume) and 4 P between loads,"
                        + " plus a few ints per superpatch and per volume; see docs/TRAINING.md."})
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--model", description = "maesil, ae, vae or vqvae (default: maesil; with --resume: the run's)")
    String model;

    @Option(names = "--preset", description = "tiny, demo or paper (default: demo; with --resume: the run's)")
    String preset;

    @Option(names = "--data", paramLabel = "NAME_OR_PATH",
            description = "datasets.yaml name, NIfTI file, folder of NIfTI files or DICOM series (training split),"
                    + " or phantom:REGION:COUNT:SIZE[:SEED] (with --resume: the run's)")
    String data;

    @Option(names = "--out", required = true, paramLabel = "RUN", description = "run folder")
    Path out;

    @Option(names = "--steps", description = "optimiser steps (default: the preset's)")
    Integer steps;

    @Option(names = "--batch", description = "superpatches per step (default: the preset's)")
    Integer batch;

    @Option(names = "--checkpoint-every", description = "steps between checkpoints (default: the preset's)")
    Integer checkpointEvery;

    @Option(names = "--resume", description = "continue the run in RUN from its last checkpoint")
    boolean resume;

    @Option(names = "--backend", defaultValue = "java", description = "java or tornado (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--threads", description = "threads of the Java backend (default: all cores)")
    Integer threads;

    @Option(names = "--seed", description = "run seed: initial weights, data order, masks (default: 0)")
    Long seed;

    @Option(names = "--plane-ratio", description = "MAESIL: fraction of tokens masked per axial plane (default 0.5)")
    Double planeRatio;

    @Option(names = "--axis-ratio", description = "MAESIL: fraction of axial planes masked as one block (default 0.5)")
    Double axisRatio;

    @Option(names = "--norm-pix-loss", description = "MAESIL: per-patch normalised targets")
    Boolean normPixLoss;

    @Option(names = "--kl-weight", description = "VAE: weight of the KL term, KL per voxel (default 1.0)")
    Double klWeight;

    @Option(names = "--kl-warmup", description = "VAE: steps of linear warm-up of the KL weight (default 0: none)")
    Integer klWarmup;

    @Option(names = "--codebook-size", description = "VQ-VAE: codebook entries K (default 32 / 128 / 512 for tiny / demo / paper)")
    Integer codebookSize;

    @Option(names = "--dead-threshold", description = "VQ-VAE: restart codes whose EMA cluster size falls below this (default 1e-3; 0: never)")
    Double deadThreshold;

    @Option(names = "--window", split = ",", paramLabel = "LO,HI", description = "HU window (default: the dataset's, else -175,250)")
    double[] window;

    @Option(names = "--quiet", description = "no progress bar")
    boolean quiet;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Override
    public Integer call() throws Exception {
        int t = threads == null ? Backends.defaultThreads() : threads;
        if (t < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + t);
        if (window != null && (window.length != 2 || !(window[1] > window[0]))) {
            throw new IllegalArgumentException("--window needs LO,HI with LO < HI");
        }
        Trainer.Options options = quiet ? Trainer.Options.quiet() : Trainer.Options.withProgress();
        Trainer.Result result;
        try (Backend be = Backends.create(backend, t)) {
            if (resume) {
                RunConfig stored = RunConfig.read(out);
                checkAgrees(stored);
                String source = data != null ? data : stored.data();
                String[] w = stored.dataOptions().getOrDefault("window", "-175.0,250.0").split(",");
                var src = TrainingData.load(source, Presets.byName(stored.model().preset()).superpatch(),
                        new double[] {Double.parseDouble(w[0]), Double.parseDouble(w[1])}, 0.05,
                        out.resolve(TrainingData.INDEX_FILE)).source();
                result = Trainer.resume(src, be, out, options);
            } else {
                String kind = model == null ? "maesil" : model;
                String presetName = preset == null ? "demo" : preset;
                Presets.Preset p = Presets.byName(presetName);
                if (data == null) throw new IllegalArgumentException("--data is required (a NIfTI file, folder, or phantom:REGION:COUNT:SIZE)");
                long runSeed = seed == null ? 0 : seed;
                ModelSpec spec = new ModelSpec(kind, presetName, modelOptions(), runSeed);
                if (!Models.available(kind)) Models.create(spec, be); // the clear "not available yet" error, before loading data
                TrainConfig tc = p.train();
                if (steps != null) tc = tc.withSteps(steps);
                if (batch != null) tc = tc.withBatch(batch);
                if (checkpointEvery != null) tc = tc.withCheckpointEvery(checkpointEvery);
                if (Files.exists(out.resolve(Trainer.CHECKPOINT)) || Files.exists(RunConfig.file(out))) {
                    throw new IllegalArgumentException(out + " already holds a training run; use --resume to continue it or another --out");
                }
                TrainingData.Loaded loaded = TrainingData.load(data, p.superpatch(), window, 0.05, out.resolve(TrainingData.INDEX_FILE));
                var src = loaded.source();
                RunConfig cfg = RunConfig.of(spec, tc, runSeed, src, Map.of("window", loaded.windowLo() + "," + loaded.windowHi()),
                        be.name());
                if (!json) {
                    System.err.printf(Locale.ROOT, "training %s (preset %s) on %s: %d superpatches of %d^3, %d steps of batch %d, %s%n",
                            kind, presetName, data, src.size(), p.superpatch(), cfg.totalSteps(), tc.batch(), be.name());
                }
                result = Trainer.start(cfg, src, be, out, options);
            }
        }
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("run", out.toString());
        o.put("model", result.config().model().kind());
        o.put("preset", result.config().model().preset());
        o.put("resumed", resume);
        o.put("startStep", result.startStep());
        o.put("endStep", result.endStep());
        o.put("totalSteps", result.config().totalSteps());
        o.put("finalLoss", result.lastLoss());
        o.put("seconds", result.seconds());
        o.put("meanStepSeconds", result.meanStepSeconds());
        o.put("checkpoint", out.resolve(Trainer.CHECKPOINT).toString());
        o.put("peakHeapMiB", peakHeapMiB());
        o.put("maxHeapMiB", Runtime.getRuntime().maxMemory() >> 20);
        o.put("modelDescription", result.model());
        if (json) {
            System.out.println(new GsonBuilder().serializeSpecialFloatingPointValues().create().toJson(o));
        } else {
            System.out.printf(Locale.ROOT, "%s: steps %d..%d of %d, final loss %.5g, %.1f s (%.3f s/step), peak heap %d MiB; checkpoint %s%n",
                    out, result.startStep(), result.endStep(), result.config().totalSteps(), result.lastLoss(),
                    result.seconds(), result.meanStepSeconds(), peakHeapMiB(), out.resolve(Trainer.CHECKPOINT));
        }
        return 0;
    }

    /**
     * Peak heap use of this JVM so far: the sum of every heap pool's peak (an upper bound, since
     * pools peak at different moments), in MiB.
     */
    static long peakHeapMiB() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) sum += pool.getPeakUsage().getUsed();
        }
        return sum >> 20;
    }

    private Map<String, String> modelOptions() {
        Map<String, String> m = new TreeMap<>();
        if (planeRatio != null) m.put("plane-ratio", Double.toString(planeRatio));
        if (axisRatio != null) m.put("axis-ratio", Double.toString(axisRatio));
        if (normPixLoss != null) m.put("norm-pix-loss", Boolean.toString(normPixLoss));
        if (klWeight != null) m.put("kl-weight", Double.toString(klWeight));
        if (klWarmup != null) m.put("kl-warmup", Integer.toString(klWarmup));
        if (codebookSize != null) m.put("codebook-size", Integer.toString(codebookSize));
        if (deadThreshold != null) m.put("dead-threshold", Double.toString(deadThreshold));
        return m;
    }

    /** With --resume, every option given must match the stored run. */
    private void checkAgrees(RunConfig c) {
        if (!Files.exists(out)) throw new IllegalArgumentException(out + ": no such run folder to resume");
        mismatch("--model", model, c.model().kind());
        mismatch("--preset", preset, c.model().preset());
        mismatch("--seed", seed, c.seed());
        mismatch("--steps", steps, c.totalSteps());
        mismatch("--batch", batch, c.train().batch());
        mismatch("--checkpoint-every", checkpointEvery, c.train().checkpointEvery());
        if (window != null) mismatch("--window", window[0] + "," + window[1], c.dataOptions().getOrDefault("window", "-175.0,250.0"));
        for (var e : modelOptions().entrySet()) {
            mismatch("--" + e.getKey(), e.getValue(), c.model().options().get(e.getKey()));
        }
    }

    private void mismatch(String option, Object given, Object stored) {
        if (given != null && !String.valueOf(given).equals(String.valueOf(stored))) {
            throw new IllegalArgumentException("--resume continues " + out + " as it was started: it has " + option + " "
                    + stored + ", not " + given);
        }
    }
}
