package org.maesil.harness.compare;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.maesil.data.DataSource;
import org.maesil.data.DatasetCatalog;
import org.maesil.data.NiftiWriter;
import org.maesil.data.Preprocess;
import org.maesil.data.Superpatches;
import org.maesil.data.Volume;
import org.maesil.harness.compare.ExperimentConfig.ConfigException;
import org.maesil.harness.train.VolumeReconstructor;
import org.maesil.layers.io.Checkpoint;
import org.maesil.metrics.Lpips;
import org.maesil.metrics.LpipsWeights;
import org.maesil.metrics.MetricAggregator;
import org.maesil.metrics.Psnr;
import org.maesil.metrics.VolumeScores;
import org.maesil.model.MaesilConfig;
import org.maesil.model.ReconstructionModel;
import org.maesil.report.ExperimentResult;
import org.maesil.report.HtmlReport;
import org.maesil.report.PaperNumbers;
import org.maesil.tensor.Backend;
import org.maesil.tensor.Backends;
import org.maesil.train.AtomicFiles;
import org.maesil.train.ModelSpec;
import org.maesil.train.Models;
import org.maesil.train.Presets;
import org.maesil.train.RunConfig;
import org.maesil.train.TrainConfig;
import org.maesil.train.Trainer;

/**
 * Runs an {@link ExperimentConfig}: prepares the training data, trains every model (or reuses a
 * finished run with the same configuration hash, or resumes an unfinished one) under
 * {@code OUT/runs/}, reconstructs the test volumes, scores them per superpatch, aggregates per
 * volume and dataset with bootstrap intervals, and writes {@code OUT/index.html} (through
 * {@link HtmlReport}) with the reconstructions as NIfTI in {@code OUT/reconstructions/}.
 *
 * <p>Nothing half-written: the reconstructions go to a temporary folder renamed into place at
 * the end, and index.html is written to a temporary file and renamed last; a failure leaves the
 * previous report (if any) as it was. Phantom datasets are generated into {@code OUT/data/}.
 */
public final class Experiment {
    private Experiment() {}

    /** How to run. progress: where progress lines and bars go (null: quiet). */
    public record Options(Path out, String backend, int threads, PrintStream progress, String commandLine) {}

    /** One training run of the grid. */
    public record RunInfo(String model, String group, long seed, String name, Path dir, long steps, double wallSeconds,
                          boolean reused, boolean resumed, double finalLoss) {}

    /** What a grid produced. */
    public record Outcome(Path index, ExperimentResult result, double wallSeconds, List<String> missingModels,
                          List<RunInfo> runs) {}

    /** Superpatches whose mean is below this after windowing are skipped for training and scoring. */
    public static final double EMPTY = Preprocess.DEFAULT_EMPTY_THRESHOLD;

    /** Figure-3 volumes larger than this on an axis are subsampled for display. */
    static final int FIGURE_MAX_SIDE = 160;

    static final String MASKED_PSNR = "psnr_masked";

    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    public static Outcome run(ExperimentConfig cfg, Options o) throws IOException {
        long t0 = System.nanoTime();
        Path out = o.out().toAbsolutePath().normalize();
        PrintStream log = o.progress();
        Presets.Preset preset = Presets.byName(cfg.preset());
        int s = preset.superpatch();

        // ---------------------------------------------------------------- datasets
        DatasetCatalog catalog = cfg.catalog() == null ? DatasetCatalog.loadDefault() : DatasetCatalog.load(cfg.catalog());
        List<DataSource> sources = new ArrayList<>();
        for (String name : cfg.datasets()) {
            if (!catalog.has(name)) {
                throw new ConfigException(cfg.file() + ": field 'datasets': no dataset '" + name + "' in " + catalog.file()
                        + " (known: " + String.join(", ", catalog.names()) + ")");
            }
            DatasetCatalog.Entry e = catalog.entry(name);
            if (e.format().equals("phantom")) e = phantomEntry(e, cfg, out.resolve("data").resolve(e.name()));
            DataSource src = catalog.withRoot(name, e.root()).resolve(e);
            if (src.trainCases().isEmpty() || src.testCases().isEmpty()) {
                throw new ConfigException(cfg.file() + ": dataset '" + name + "' has " + src.cases.size()
                        + " case(s): the split needs at least one training and one test case");
            }
            sources.add(src);
        }

        if (cfg.testVolumeIds() != null) {
            List<String> known = new ArrayList<>();
            for (DataSource src : sources) for (DataSource.Case c : src.testCases()) known.add(c.id());
            for (String id : cfg.testVolumeIds()) {
                if (!known.contains(id)) {
                    throw new ConfigException(cfg.file() + ": field 'evaluation.test_volumes': '" + id + "' is not a test case of the datasets (test cases: "
                            + String.join(", ", known) + ")");
                }
            }
        }
        List<String> missing = new ArrayList<>();
        List<String> models = new ArrayList<>();
        for (String m : cfg.models()) {
            if (Models.available(m)) models.add(m);
            else missing.add(m);
        }
        if (models.isEmpty()) throw new IllegalArgumentException("none of the models " + cfg.models() + " is available in this build");
        if (log != null && !missing.isEmpty()) log.println("note: not available in this build, left out: " + String.join(", ", missing));

        TrainConfig tc = preset.train();
        if (cfg.steps() != null) tc = tc.withSteps(cfg.steps());
        if (cfg.batch() != null) tc = tc.withBatch(cfg.batch());

        // groups of datasets that one model trains on: all of them (unified) or each alone
        Map<String, List<DataSource>> groups = new LinkedHashMap<>();
        if (cfg.mode().equals(ExperimentConfig.UNIFIED)) groups.put("unified", sources);
        else for (DataSource src : sources) groups.put(src.name, List.of(src));

        Lpips lpips = null;
        String lpipsFile = null;
        List<RunInfo> runs = new ArrayList<>();
        String backendName;
        List<ExperimentResult.Figure> figures = new ArrayList<>();
        Map<String, MetricAggregator> scores = new LinkedHashMap<>();
        Path recTmp = null;
        double evalSeconds;
        Map<String, Integer> scoredSuperpatches = new TreeMap<>();
        Map<String, Integer> scoredVolumes = new LinkedHashMap<>();
        try (Backend be = Backends.create(o.backend(), o.threads())) {
            backendName = be.name();
            var weights = LpipsWeights.locate(cfg.lpipsWeights());
            if (weights.isPresent()) {
                lpips = Lpips.loadVerified(weights.get(), be);
                lpipsFile = weights.get().toString();
            }

            // ------------------------------------------------------------ training
            Files.createDirectories(out.resolve("runs"));
            int total = models.size() * cfg.seeds().size() * groups.size();
            int k = 0;
            for (var g : groups.entrySet()) {
                SuperpatchFile data = trainingData(g.getKey(), g.getValue(), s, out.resolve("runs"), log);
                try {
                    for (String model : models) {
                        for (long seed : cfg.seeds()) {
                            k++;
                            runs.add(train(cfg, model, g.getKey(), seed, preset, tc, data, g.getValue(), be, out, log, k, total));
                        }
                    }
                } finally {
                    data.close();
                }
            }

            // ------------------------------------------------------------ evaluation
            long e0 = System.nanoTime();
            Map<RunInfo, ReconstructionModel> loaded = new LinkedHashMap<>();
            for (RunInfo r : runs) loaded.put(r, load(r.dir(), be));
            for (String m : models) scores.put(m, new MetricAggregator());
            recTmp = Files.createTempDirectory(out, ".reconstructions.tmp-");
            int recTotal = 0;
            for (DataSource src : sources) {
                for (RunInfo r : runs) if (groups.get(r.group()).contains(src)) recTotal += testCases(cfg, src).size();
            }
            Progress bar = log == null ? null : new Progress(log, "evaluating", recTotal, "reconstructions");
            int done = 0;
            for (DataSource src : sources) {
                boolean firstVolume = true;
                for (DataSource.Case c : testCases(cfg, src)) {
                    Volume windowed = Preprocess.resample(Preprocess.window(c.load(), src.windowLo, src.windowHi), src.targetSpacing);
                    Path recDir = recTmp.resolve(safe(src.name));
                    Files.createDirectories(recDir);
                    NiftiWriter.write(recDir.resolve(safe(c.id()) + "-original.nii.gz"), windowed.withVoxels(windowed.voxels,
                            "windowed [0,1] " + windowed.description));
                    scoredVolumes.merge(src.name, 1, Integer::sum);
                    for (var entry : loaded.entrySet()) {
                        RunInfo r = entry.getKey();
                        if (!groups.get(r.group()).contains(src)) continue;
                        VolumeReconstructor.Result rec = VolumeReconstructor.reconstruct(entry.getValue(), windowed, cfg.evalSeed());
                        float[] clamped = clamp(rec.reconstruction().voxels);
                        int n = score(scores.get(r.model()), src.name, c.id(), windowed, clamped,
                                rec.mask() == null ? null : rec.mask().voxels, s, cfg, lpips);
                        scoredSuperpatches.merge(src.name, n, Integer::sum);
                        boolean firstSeed = r.seed() == cfg.seeds().get(0);
                        if (firstSeed) {
                            NiftiWriter.write(recDir.resolve(safe(c.id()) + "-" + r.model() + ".nii.gz"),
                                    windowed.withVoxels(clamped, r.model() + " reconstruction [0,1] of " + c.id()));
                            if (rec.mask() != null) {
                                NiftiWriter.write(recDir.resolve(safe(c.id()) + "-" + r.model() + "-mask.nii.gz"),
                                        windowed.withVoxels(rec.mask().voxels, r.model() + " evaluation mask (1 = masked), seed " + cfg.evalSeed()));
                            }
                        }
                        if (firstSeed && firstVolume) {
                            figures.add(figure(r.model(), src.name, c.id(), windowed, clamped, rec.mask() == null ? null : rec.mask().voxels));
                        }
                        if (bar != null) bar.update(++done);
                    }
                    firstVolume = false;
                }
            }
            if (bar != null) bar.finish();
            evalSeconds = (System.nanoTime() - e0) * 1e-9;
        } catch (IOException | RuntimeException e) {
            if (recTmp != null && Files.exists(recTmp)) deleteTree(recTmp);
            throw e;
        }

        // ---------------------------------------------------------------- result
        List<String> order = List.of("ae", "vae", "vqvae", "maesil"); // the paper's table order
        List<String> datasetOrder = cfg.datasets();
        figures.sort(java.util.Comparator.<ExperimentResult.Figure>comparingInt(f -> datasetOrder.indexOf(f.dataset()))
                .thenComparingInt(f -> order.indexOf(f.model())));
        List<ExperimentResult.Scores> table = new ArrayList<>();
        for (var e : scores.entrySet()) {
            MetricAggregator a = e.getValue();
            if (a.datasets().isEmpty()) continue;
            for (String d : a.datasets()) table.add(scoresOf(e.getKey(), d, a, a.dataset(d, VolumeScores.PSNR), a.dataset(d, VolumeScores.SSIM3D),
                    a.dataset(d, VolumeScores.SSIM2D), a.dataset(d, VolumeScores.LPIPS), a.dataset(d, MASKED_PSNR)));
            table.add(scoresOf(e.getKey(), ExperimentResult.ALL_DATASETS, a, a.overall(VolumeScores.PSNR), a.overall(VolumeScores.SSIM3D),
                    a.overall(VolumeScores.SSIM2D), a.overall(VolumeScores.LPIPS), a.overall(MASKED_PSNR)));
        }
        List<ExperimentResult.LossCurve> losses = new ArrayList<>();
        for (RunInfo r : runs) {
            if (r.seed() != cfg.seeds().get(0)) continue;
            losses.add(lossCurve(r, groups.size() == 1 && r.group().equals("unified") ? "all datasets (unified)" : r.group()));
        }
        double wall = (System.nanoTime() - t0) * 1e-9;
        ExperimentResult result = new ExperimentResult(cfg.title(), subtitle(cfg, tc, sources), table, figures, losses,
                protocol(cfg, preset, tc, sources, groups, scoredVolumes, scoredSuperpatches),
                provenance(cfg, o, preset, backendName, runs, lpipsFile, wall, evalSeconds),
                cfg.paperDatasets(), notes(cfg, sources, missing));
        String html = HtmlReport.render(result);

        // ---------------------------------------------------------------- write: reconstructions, then index.html
        Path recFinal = out.resolve("reconstructions");
        try {
            if (Files.exists(recFinal)) {
                Path old = Files.createTempDirectory(out, ".reconstructions.old-");
                Files.delete(old);
                Files.move(recFinal, old);
                deleteTree(old);
            }
            moveAtomic(recTmp, recFinal);
            Path index = out.resolve("index.html");
            AtomicFiles.writeString(index, html);
            try {
                Files.setPosixFilePermissions(index, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system
            }
            return new Outcome(index, result, (System.nanoTime() - t0) * 1e-9, missing, runs);
        } finally {
            if (Files.exists(recTmp)) deleteTree(recTmp);
        }
    }

    // ==================================================================== data

    /** A phantom entry generated into the experiment folder, with the config's size / count overrides. */
    static DatasetCatalog.Entry phantomEntry(DatasetCatalog.Entry e, ExperimentConfig cfg, Path root) {
        int size = cfg.phantomSize() == null ? e.size() : cfg.phantomSize();
        int count = cfg.phantomCount() == null ? e.count() : cfg.phantomCount();
        org.maesil.data.SplitRule split = cfg.phantomTestFraction() == null ? e.split()
                : new org.maesil.data.SplitRule(e.split().rule(), cfg.phantomTestFraction(), e.split().seed());
        return new DatasetCatalog.Entry(e.name(), e.description(), e.format(), root, "the experiment folder", e.region() + "-s" + size + "-seed*.nii.gz",
                e.minFiles(), e.windowLo(), e.windowHi(), e.targetSpacing(), split, e.region(), size, count, e.seed());
    }

    static List<DataSource.Case> testCases(ExperimentConfig cfg, DataSource src) {
        List<DataSource.Case> t = src.testCases();
        if (cfg.testVolumeIds() != null) {
            return t.stream().filter(c -> cfg.testVolumeIds().contains(c.id())).toList();
        }
        return cfg.testVolumes() == ExperimentConfig.ALL || cfg.testVolumes() >= t.size() ? t : t.subList(0, cfg.testVolumes());
    }

    /**
     * The training superpatches of a group of datasets in one file, OUT/runs/data-HASH.f32,
     * HASH over everything that determines them (datasets, windows, spacing, training case ids,
     * superpatch edge); made once and reused by every run on the same data.
     */
    static SuperpatchFile trainingData(String group, List<DataSource> sources, int s, Path runsDir, PrintStream log) throws IOException {
        JsonObject fp = new JsonObject();
        fp.addProperty("superpatch", s);
        fp.addProperty("emptyThreshold", EMPTY);
        StringBuilder desc = new StringBuilder(group.equals("unified") ? "unified:" : "");
        for (DataSource src : sources) {
            JsonObject d = new JsonObject();
            d.addProperty("window", src.windowLo + "," + src.windowHi);
            d.addProperty("spacing", src.targetSpacing == null ? "keep" : java.util.Arrays.toString(src.targetSpacing));
            d.add("train", GSON.toJsonTree(src.trainCases().stream().map(c -> c.id() + "@" + c.location()).toList()));
            fp.add(src.name, d);
            desc.append(' ').append(src.name).append(" (").append(src.trainCases().size()).append(" training volumes)");
        }
        String hash = sha256(fp.toString()).substring(0, 12);
        Path file = runsDir.resolve("data-" + hash + ".f32");
        Path meta = runsDir.resolve("data-" + hash + ".json");
        if (!Files.isRegularFile(file) || !Files.isRegularFile(meta)) {
            int volumes = 0;
            for (DataSource src : sources) volumes += src.trainCases().size();
            Progress bar = log == null ? null : new Progress(log, "preparing training data (" + group + ")", volumes, "volumes");
            int done = 0;
            try (SuperpatchFile.Writer w = new SuperpatchFile.Writer(file, s)) {
                for (DataSource src : sources) {
                    for (DataSource.Case c : src.trainCases()) {
                        Volume v = Preprocess.prepare(c.load(), src.windowLo, src.windowHi, src.targetSpacing, s);
                        for (int i = 0, n = Superpatches.count(v, s); i < n; i++) {
                            float[] sp = new float[s * s * s];
                            Superpatches.cut(v, s, i, sp);
                            if (!Preprocess.nearlyEmpty(sp, EMPTY)) w.append(sp);
                        }
                        if (bar != null) bar.update(++done);
                    }
                }
                if (w.count() == 0) {
                    throw new IOException(group + ": no training superpatch of " + s + "^3 has a mean intensity above " + EMPTY + " after windowing");
                }
                w.commit();
            }
            if (bar != null) bar.finish();
            fp.addProperty("description", desc.toString().trim());
            AtomicFiles.writeString(meta, fp + "\n");
        }
        return SuperpatchFile.open(file, s, desc.toString().trim());
    }

    // ==================================================================== training

    static ModelSpec spec(ExperimentConfig cfg, String model, long seed) {
        Map<String, String> opts = new TreeMap<>();
        if (model.equals("maesil")) {
            if (cfg.planeRatio() != null) opts.put("plane-ratio", Double.toString(cfg.planeRatio()));
            if (cfg.axisRatio() != null) opts.put("axis-ratio", Double.toString(cfg.axisRatio()));
        }
        return new ModelSpec(model, cfg.preset(), opts, seed);
    }

    private static RunInfo train(ExperimentConfig cfg, String model, String group, long seed, Presets.Preset preset, TrainConfig tc,
                                 SuperpatchFile data, List<DataSource> sources, Backend be, Path out, PrintStream log,
                                 int k, int total) throws IOException {
        ModelSpec spec = spec(cfg, model, seed);
        Map<String, String> dataOptions = new TreeMap<>();
        dataOptions.put("window", sources.get(0).windowLo + "," + sources.get(0).windowHi);
        for (DataSource src : sources) dataOptions.put("window." + src.name, src.windowLo + "," + src.windowHi);
        RunConfig rc = RunConfig.of(spec, tc, seed, data, dataOptions, be.name());
        JsonObject key = JsonParser.parseString(rc.toJson()).getAsJsonObject();
        key.remove("backend"); // the same run on another backend gives the same numbers: reusable
        String name = model + "-" + safe(group) + "-seed" + seed + "-" + sha256(canonical(key)).substring(0, 10);
        Path dir = out.resolve("runs").resolve(name);
        Path wallFile = dir.resolve("compare-run.json");
        double previous = 0;
        if (Files.isRegularFile(wallFile)) {
            previous = JsonParser.parseString(Files.readString(wallFile)).getAsJsonObject().get("wallSeconds").getAsDouble();
        }
        String what = String.format(Locale.ROOT, "[%d/%d] %s on %s, seed %d, %d steps of batch %d (%d superpatches of %d^3)",
                k, total, PaperNumbers.modelLabel(model), group, seed, rc.totalSteps(), tc.batch(), data.size(), data.edge());
        if (Files.isRegularFile(dir.resolve(Trainer.WEIGHTS)) && Files.isRegularFile(RunConfig.file(dir))) {
            if (log != null) log.println(what + ": finished run reused (" + out.relativize(dir) + ")");
            return new RunInfo(model, group, seed, name, dir, rc.totalSteps(), previous, true, false, lastLoss(dir));
        }
        boolean resume = Files.isRegularFile(RunConfig.file(dir));
        if (log != null) log.println(what + (resume ? ": resuming the unfinished run" : ""));
        Trainer.Options opts = log == null ? Trainer.Options.quiet() : new Trainer.Options(log, -1);
        long t0 = System.nanoTime();
        double cpu0 = processCpuSeconds();
        Trainer.Result r = resume ? Trainer.resume(data, be, dir, opts) : Trainer.start(rc, data, be, dir, opts);
        double wall = previous + (System.nanoTime() - t0) * 1e-9;
        double cpu = processCpuSeconds() - cpu0;
        if (log != null) {
            log.printf(Locale.ROOT, "    %s: %.1f s wall, %.1f s CPU, final loss %.5g%n", PaperNumbers.modelLabel(model),
                    (System.nanoTime() - t0) * 1e-9, cpu, r.lastLoss());
        }
        JsonObject w = new JsonObject();
        w.addProperty("wallSeconds", wall);
        w.addProperty("cpuSecondsLastSession", cpu);
        w.addProperty("backend", be.name());
        AtomicFiles.writeString(wallFile, w + "\n");
        return new RunInfo(model, group, seed, name, dir, rc.totalSteps(), wall, false, resume, r.lastLoss());
    }

    /** CPU time of this process so far (all threads), or NaN where the JVM does not tell. */
    static double processCpuSeconds() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) return sun.getProcessCpuTime() * 1e-9;
        return Double.NaN;
    }

    private static double lastLoss(Path dir) throws IOException {
        ExperimentResult.LossCurve c = readLoss(dir, "", "");
        return c.loss().length == 0 ? Double.NaN : c.loss()[c.loss().length - 1];
    }

    /** A trained model from its run folder's checkpoint. */
    static ReconstructionModel load(Path dir, Backend be) throws IOException {
        RunConfig rc = RunConfig.read(dir);
        Path ckpt = dir.resolve(Trainer.CHECKPOINT);
        if (!Files.isRegularFile(ckpt)) throw new IOException(dir + ": the run has no checkpoint (" + Trainer.CHECKPOINT + " is missing)");
        ReconstructionModel m = Models.create(rc.model(), be);
        Checkpoint.Contents c = Checkpoint.read(ckpt);
        Checkpoint.applyParameters(c, m.parameters());
        m.loadExtraState(c.tensors());
        return m;
    }

    static ExperimentResult.LossCurve lossCurve(RunInfo r, String datasetLabel) throws IOException {
        return readLoss(r.dir(), r.model(), datasetLabel);
    }

    /** The loss log, thinned to at most 400 points (every k-th step, always the last). */
    static ExperimentResult.LossCurve readLoss(Path dir, String model, String dataset) throws IOException {
        Path f = dir.resolve(Trainer.LOSS_LOG);
        List<int[]> steps = new ArrayList<>();
        List<Double> loss = new ArrayList<>();
        if (Files.isRegularFile(f)) {
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                if (line.isBlank()) continue;
                JsonObject o = JsonParser.parseString(line).getAsJsonObject();
                steps.add(new int[] {o.get("step").getAsInt()});
                loss.add(o.get("loss").getAsDouble());
            }
        }
        int n = steps.size();
        int every = Math.max(1, (n + 399) / 400);
        List<Integer> keep = new ArrayList<>();
        for (int i = 0; i < n; i++) if (i % every == 0 || i == n - 1) keep.add(i);
        int[] st = new int[keep.size()];
        double[] lv = new double[keep.size()];
        for (int i = 0; i < keep.size(); i++) {
            st[i] = steps.get(keep.get(i))[0];
            lv[i] = loss.get(keep.get(i));
        }
        return new ExperimentResult.LossCurve(model, dataset, st, lv);
    }

    // ==================================================================== scoring

    /**
     * Scores one reconstructed volume superpatch by superpatch: both volumes padded as for
     * training, the non-empty superpatches of the reference (all of them, or N evenly spaced)
     * scored with PSNR, SSIM 3D / 2D, LPIPS (with weights) and, for a masked model, PSNR on
     * the masked voxels alone. Returns the number of superpatches scored.
     */
    static int score(MetricAggregator agg, String dataset, String volume, Volume reference, float[] reconstruction, float[] mask,
                     int s, ExperimentConfig cfg, Lpips lpips) {
        Volume ref = Preprocess.padToMultiple(reference, s, 0f);
        Volume rec = Preprocess.padToMultiple(reference.withVoxels(reconstruction, ""), s, 0f);
        Volume msk = mask == null ? null : Preprocess.padToMultiple(reference.withVoxels(mask, ""), s, 0f);
        int n = Superpatches.count(ref, s);
        int vox = s * s * s;
        float[] a = new float[vox];
        List<Integer> nonEmpty = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Superpatches.cut(ref, s, i, a);
            if (!Preprocess.nearlyEmpty(a, EMPTY)) nonEmpty.add(i);
        }
        if (nonEmpty.isEmpty()) for (int i = 0; i < n; i++) nonEmpty.add(i); // an (almost) empty volume: score it all
        List<Integer> pick = new ArrayList<>();
        int want = cfg.superpatchesPerVolume();
        if (want == ExperimentConfig.ALL || want >= nonEmpty.size()) pick = nonEmpty;
        else for (int k = 0; k < want; k++) pick.add(nonEmpty.get((int) ((k + 0.5) * nonEmpty.size() / want)));
        float[] b = new float[vox];
        float[] m = new float[vox];
        for (int i : pick) {
            Superpatches.cut(ref, s, i, a);
            Superpatches.cut(rec, s, i, b);
            Map<String, Double> values = VolumeScores.score(a, b, s, s, s, lpips, cfg.lpipsSliceStep()).asMap();
            if (msk != null) {
                Superpatches.cut(msk, s, i, m);
                double sum = 0;
                int count = 0;
                for (int j = 0; j < vox; j++) {
                    if (m[j] > 0.5f) {
                        double d = (double) a[j] - b[j];
                        sum += d * d;
                        count++;
                    }
                }
                if (count > 0) values.put(MASKED_PSNR, Psnr.psnrFromMse(sum / count));
            }
            agg.add(dataset, volume, values);
        }
        return pick.size();
    }

    private static ExperimentResult.Scores scoresOf(String model, String dataset, MetricAggregator a, org.maesil.metrics.Bootstrap.Summary psnr,
                                                    org.maesil.metrics.Bootstrap.Summary s3, org.maesil.metrics.Bootstrap.Summary s2,
                                                    org.maesil.metrics.Bootstrap.Summary lp, org.maesil.metrics.Bootstrap.Summary masked) {
        return new ExperimentResult.Scores(model, dataset, psnr, s3, s2, lp, lp == null ? LpipsWeights.NOT_COMPUTED : null, masked);
    }

    static float[] clamp(float[] v) {
        float[] c = new float[v.length];
        for (int i = 0; i < v.length; i++) c[i] = Math.max(0f, Math.min(1f, v[i]));
        return c;
    }

    /** A Figure-3 panel; volumes larger than {@link #FIGURE_MAX_SIDE} are subsampled (every k-th voxel) for display. */
    static ExperimentResult.Figure figure(String model, String dataset, String id, Volume ref, float[] rec, float[] mask) {
        int k = Math.max(1, (Math.max(ref.nx, Math.max(ref.ny, ref.nz)) + FIGURE_MAX_SIDE - 1) / FIGURE_MAX_SIDE);
        if (k == 1) return new ExperimentResult.Figure(model, dataset, id, ref.nx, ref.ny, ref.nz, ref.voxels, rec, mask);
        int nx = (ref.nx + k - 1) / k, ny = (ref.ny + k - 1) / k, nz = (ref.nz + k - 1) / k;
        return new ExperimentResult.Figure(model, dataset, id + " (every " + k + "th voxel shown)", nx, ny, nz,
                subsample(ref.voxels, ref, k, nx, ny, nz), subsample(rec, ref, k, nx, ny, nz),
                mask == null ? null : subsample(mask, ref, k, nx, ny, nz));
    }

    private static float[] subsample(float[] v, Volume g, int k, int nx, int ny, int nz) {
        float[] o = new float[nx * ny * nz];
        for (int z = 0; z < nz; z++) for (int y = 0; y < ny; y++) for (int x = 0; x < nx; x++) {
            o[x + nx * (y + ny * z)] = v[x * k + g.nx * (y * k + g.ny * (z * k))];
        }
        return o;
    }

    // ==================================================================== report text

    private static String subtitle(ExperimentConfig cfg, TrainConfig tc, List<DataSource> sources) {
        if (cfg.subtitle() != null) return cfg.subtitle();
        return "preset " + cfg.preset() + ", datasets " + String.join(", ", sources.stream().map(d -> d.name).toList());
    }

    private static ExperimentResult.Protocol protocol(ExperimentConfig cfg, Presets.Preset preset, TrainConfig tc, List<DataSource> sources,
                                                      Map<String, List<DataSource>> groups, Map<String, Integer> volumes,
                                                      Map<String, Integer> superpatches) {
        MaesilConfig mc = Models.maesilConfig(spec(cfg, "maesil", 0));
        List<String> extra = new ArrayList<>();
        boolean sameWindow = sources.stream().allMatch(d -> d.windowLo == sources.get(0).windowLo && d.windowHi == sources.get(0).windowHi);
        for (DataSource d : sources) {
            extra.add(String.format(Locale.ROOT, "dataset %s: %d cases, %d for training and %d for testing (%s split, test fraction %.2f, seed %d); "
                            + "window [%s, %s] HU; %s; %d test volume(s) scored, %d superpatches in all",
                    d.name, d.cases.size(), d.trainCases().size(), d.testCases().size(), d.split.rule(), d.split.testFraction(), d.split.seed(),
                    num(d.windowLo), num(d.windowHi),
                    d.targetSpacing == null ? "own voxel spacing kept" : "resampled to " + java.util.Arrays.toString(d.targetSpacing) + " mm",
                    volumes.getOrDefault(d.name, 0), superpatches.getOrDefault(d.name, 0)));
        }
        if (!sameWindow) extra.add("the datasets use different HU windows (listed above); the window row shows the first dataset's");
        extra.add(cfg.mode().equals(ExperimentConfig.UNIFIED)
                ? "training: each model is trained once on the union of every dataset's training cases (as in the paper), then scored on each dataset's test cases"
                : "training: each model is trained on each dataset separately and scored on that dataset's test cases");
        extra.add("scored superpatches: the non-empty superpatches (mean at least " + EMPTY + " after windowing) of every test volume"
                + (cfg.superpatchesPerVolume() == ExperimentConfig.ALL ? "" : ", at most " + cfg.superpatchesPerVolume() + " per volume, evenly spaced")
                + (cfg.testVolumeIds() != null ? "; test volumes chosen by the config: " + String.join(", ", cfg.testVolumeIds())
                : cfg.testVolumes() == ExperimentConfig.ALL ? "" : "; at most " + cfg.testVolumes() + " test volume(s) per dataset")
                + "; reconstructions are clamped to [0, 1] before scoring");
        if (cfg.seeds().size() > 1) extra.add("seeds: a volume's score pools the superpatch scores of every training seed");
        String budget = String.format(Locale.ROOT, "%s steps of %d superpatches, AdamW lr %s (warm-up %s, cosine to %s), weight decay %s; seeds %s",
                tc.steps() > 0 ? String.valueOf(tc.steps()) : tc.epochs() + " epochs of", tc.batch(), num(tc.lr()),
                tc.warmupSteps() >= 0 ? tc.warmupSteps() + " steps" : num(tc.warmupEpochs()) + " epochs", num(tc.minLr()), num(tc.weightDecay()), cfg.seeds());
        return new ExperimentResult.Protocol(sources.get(0).windowLo, sources.get(0).windowHi, mc.planeRatio(), mc.axisRatio(),
                preset.superpatch(), mc.patch(), presetLine(preset), budget, cfg.evalSeed(), extra);
    }

    static String presetLine(Presets.Preset p) {
        MaesilConfig m = p.maesil();
        return String.format(Locale.ROOT, "%s: superpatch %d\u00b3, patch %d\u00b3, MAESIL width %d, depth %d, %d heads, decoder %d x %d; "
                + "AE / VAE / VQ-VAE at the matched compression of the baselines' %s shapes", p.name(), p.superpatch(), m.patch(),
                m.width(), m.depth(), m.heads(), m.decoderWidth(), m.decoderDepth(), p.name());
    }

    private static ExperimentResult.Provenance provenance(ExperimentConfig cfg, Options o, Presets.Preset preset, String backend,
                                                         List<RunInfo> runs, String lpipsFile, double wall, double evalSeconds) {
        List<ExperimentResult.Run> rows = new ArrayList<>();
        double trainSeconds = 0;
        for (RunInfo r : runs) {
            String where = "runs/" + r.name() + (r.reused() ? " (reused: finished earlier)" : r.resumed() ? " (resumed)" : "");
            rows.add(new ExperimentResult.Run(r.model(), r.group().equals("unified") ? "all (unified)" : r.group(), cfg.preset(), r.seed(),
                    r.steps(), r.wallSeconds(), where));
            if (!r.reused()) trainSeconds += r.wallSeconds();
        }
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put("command", o.commandLine());
        extra.put("experiment config", cfg.file());
        extra.put("machine", Runtime.getRuntime().availableProcessors() + " cores, max heap "
                + (Runtime.getRuntime().maxMemory() >> 20) + " MiB");
        extra.put("wall time of this command", String.format(Locale.ROOT, "%.1f s (training %.1f s, evaluation and scoring %.1f s, the rest data preparation and writing)",
                wall, trainSeconds, evalSeconds));
        extra.put("reconstructions", "reconstructions/DATASET/CASE-MODEL.nii.gz beside this page ([0, 1]; MAESIL also -mask), with CASE-original.nii.gz");
        return new ExperimentResult.Provenance(gitCommit(), System.getProperty("java.vendor") + " " + System.getProperty("java.runtime.version")
                + " (" + System.getProperty("java.vm.name") + ")", System.getProperty("os.name") + " " + System.getProperty("os.version")
                + " " + System.getProperty("os.arch"), backend, o.threads(), cfg.seeds(), List.of(presetLine(preset)), lpipsFile,
                Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), rows, extra);
    }

    private static List<String> notes(ExperimentConfig cfg, List<DataSource> sources, List<String> missing) {
        List<String> notes = new ArrayList<>();
        if (!missing.isEmpty()) {
            notes.add("Missing models: " + String.join(", ", missing.stream().map(PaperNumbers::modelLabel).toList())
                    + " - not available in this build, so they were not trained and have no measured numbers.");
        }
        notes.add("Figure 3 shows whole volumes, but the nearly empty superpatches (air around the body, mean below " + EMPTY
                + " after windowing) are neither trained on nor scored: what a model outputs there (e.g. grey squares in the corners) does not enter the numbers.");
        boolean synthetic = sources.stream().anyMatch(d -> d.description.toLowerCase(Locale.ROOT).contains("synthetic"));
        if (synthetic) {
            notes.add("The data are synthetic CT phantoms generated by this program, not the paper's scans, and the models are far smaller and "
                    + "trained far shorter than the paper's: the measured numbers show the pipeline working, not a reproduction of the paper's values.");
        }
        return notes;
    }

    /**
     * git rev-parse HEAD of the checkout holding the working folder (or else the jar), with
     * "+ uncommitted changes" when tracked files differ; "unknown" without git or a checkout.
     */
    static String gitCommit() {
        List<String> dirs = new ArrayList<>(List.of("."));
        try {
            var src = Experiment.class.getProtectionDomain().getCodeSource();
            if (src != null) dirs.add(Path.of(src.getLocation().toURI()).toAbsolutePath().getParent().toString());
        } catch (Exception e) {
            // no code source: the working folder only
        }
        try {
            for (String d : dirs) {
                String head = exec("git", "-C", d, "rev-parse", "HEAD").trim();
                if (head.isEmpty()) continue;
                String dirty = exec("git", "-C", d, "status", "--porcelain", "--untracked-files=no").trim();
                return head + (dirty.isEmpty() ? "" : " + uncommitted changes");
            }
            return "unknown (not run from a git checkout)";
        } catch (IOException | InterruptedException e) {
            return "unknown (git not available)";
        }
    }

    private static String exec(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        String outText = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.getErrorStream().readAllBytes();
        if (p.waitFor() != 0) return "";
        return outText;
    }

    // ==================================================================== helpers

    /** JSON text with every object's keys sorted (RunConfig's maps do not keep an order), for hashing. */
    static String canonical(com.google.gson.JsonElement e) {
        if (e.isJsonObject()) {
            StringBuilder b = new StringBuilder("{");
            for (String k : new java.util.TreeSet<>(e.getAsJsonObject().keySet())) {
                if (b.length() > 1) b.append(',');
                b.append(GSON.toJson(k)).append(':').append(canonical(e.getAsJsonObject().get(k)));
            }
            return b.append('}').toString();
        }
        if (e.isJsonArray()) {
            StringBuilder b = new StringBuilder("[");
            for (var x : e.getAsJsonArray()) {
                if (b.length() > 1) b.append(',');
                b.append(canonical(x));
            }
            return b.append(']').toString();
        }
        return GSON.toJson(e);
    }

    static String safe(String id) {
        return id.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String num(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d) : String.valueOf(d);
    }

    private static void moveAtomic(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
        try {
            Files.setPosixFilePermissions(to, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> st = Files.walk(root)) {
            for (Path p : st.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /** A one-line progress bar for the evaluation and data preparation (the trainer draws its own). */
    static final class Progress {
        private final PrintStream out;
        private final String label;
        private final int total;
        private final String unit;
        private final boolean terminal = System.console() != null;
        private final long t0 = System.nanoTime();
        private long lastDraw = Long.MIN_VALUE / 2;

        Progress(PrintStream out, String label, int total, String unit) {
            this.out = out;
            this.label = label;
            this.total = total;
            this.unit = unit;
        }

        void update(int done) {
            long now = System.nanoTime();
            if (done < total && (now - lastDraw) * 1e-9 < (terminal ? 0.2 : 10)) return;
            lastDraw = now;
            int bar = 24, filled = total == 0 ? bar : Math.min(bar, bar * done / total);
            double sec = (now - t0) * 1e-9;
            String line = String.format(Locale.ROOT, "%s [%s%s] %d/%d %s  %.0f s", label, "#".repeat(filled), ".".repeat(bar - filled),
                    done, total, unit, sec);
            if (done > 0 && done < total) line += String.format(Locale.ROOT, "  ETA %.0f s", sec * (total - done) / done);
            if (terminal) out.print("\r" + line);
            else out.println(line);
            out.flush();
        }

        void finish() {
            if (terminal) out.println();
        }
    }
}
