package org.maesil.train;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.maesil.layers.Parameter;
import org.maesil.layers.io.Checkpoint;
import org.maesil.layers.optim.AdamW;
import org.maesil.layers.optim.Gradients;
import org.maesil.layers.optim.WarmupCosineSchedule;
import org.maesil.model.ReconstructionModel;
import org.maesil.model.Rng;
import org.maesil.tensor.Backend;
import org.maesil.tensor.Tensor;

/**
 * Trains any {@link ReconstructionModel} with AdamW and a warm-up + cosine schedule, writing
 * a run folder:
 * <ul>
 *   <li>{@code config.json}: the {@link RunConfig}, written when the run starts;</li>
 *   <li>{@code loss.jsonl}: one JSON object per step: step (steps done), loss, lr, gradNorm,
 *       seconds (of that step), and the model's extra values;</li>
 *   <li>{@code checkpoint.safetensors}: every {@code checkpointEvery} steps and at the end,
 *       atomically (temporary file, fsync, rename): weights under their state_dict names,
 *       AdamW moments, the model's extra state, and metadata {@code run.step},
 *       {@code run.samples} (data-stream position k), {@code run.dataPosition} (k in words:
 *       epoch, volume, superpatch), {@code run.seed}, {@code run.config};</li>
 *   <li>{@code model.safetensors}: the final weights alone, for PyTorch's load_state_dict.</li>
 * </ul>
 *
 * <p>Determinism, and so exact resume: nothing random is kept in memory between steps. Step s
 * (0-based) uses the model seed {@code Rng.derive(derive(seed, 1), s)} and the superpatches
 * k = s*B .. s*B + B - 1 of the data stream, where superpatch k is
 * {@code data.order(derive(seed, 2)).item(k)}, a pure function of (seed, k) (by default item
 * {@code perm_e[k mod size]} of epoch e = k / size, perm_e a Fisher-Yates shuffle seeded by
 * {@code Rng.derive(derive(seed, 2), e)}; a source streaming volumes from disk keeps each
 * volume's superpatches together, see {@link SuperpatchSource#order}). The learning rate is a
 * function of s. So weights,
 * moments and the step count are the whole state: a run resumed from a checkpoint repeats the
 * uninterrupted run bit for bit (the engine's kernels do not depend on the thread count).
 * Loss-log lines past the checkpoint (written before a crash) are dropped on resume.
 *
 * <p>A non-finite loss or gradient stops the run with a {@link NonFiniteException} before the
 * optimiser step, so the last checkpoint stays the last good state.
 */
public final class Trainer {
    /** Seed streams derived from the run seed. */
    static final long STEP_STREAM = 1, DATA_STREAM = 2;

    public static final String CHECKPOINT = "checkpoint.safetensors";
    public static final String WEIGHTS = "model.safetensors";
    public static final String LOSS_LOG = "loss.jsonl";

    /** Thrown when a loss or gradient is NaN or infinite. */
    public static final class NonFiniteException extends RuntimeException {
        public final long step;
        NonFiniteException(long step, String message) {
            super(message);
            this.step = step;
        }
    }

    /**
     * How to run.
     *
     * @param progress      where the progress bar goes (null: none)
     * @param haltAfterStep stop right after this many steps without a final checkpoint, as if the
     *                      process were killed there (tests of resume); -1 for never
     */
    public record Options(PrintStream progress, long haltAfterStep) {
        public static Options quiet() { return new Options(null, -1); }
        public static Options withProgress() { return new Options(System.err, -1); }
    }

    /** What a run did. */
    public record Result(RunConfig config, int startStep, int endStep, double lastLoss, double seconds,
                         double meanStepSeconds, Path runDir, boolean halted, Map<String, Object> model) {}

    private Trainer() {}

    /** Starts a new run in {@code runDir} (which must not hold one yet). */
    public static Result start(RunConfig config, SuperpatchSource data, Backend backend, Path runDir, Options options)
            throws IOException {
        if (Files.exists(runDir.resolve(CHECKPOINT)) || Files.exists(RunConfig.file(runDir))) {
            throw new IllegalArgumentException(runDir + " already holds a training run; use --resume to continue it or another --out");
        }
        checkData(config, data);
        Files.createDirectories(runDir);
        config.write(runDir);
        Files.deleteIfExists(runDir.resolve(LOSS_LOG));
        return run(config, data, backend, runDir, options, false);
    }

    /** Continues the run in {@code runDir} from its checkpoint (or from step 0 if none was written yet). */
    public static Result resume(SuperpatchSource data, Backend backend, Path runDir, Options options) throws IOException {
        RunConfig config = RunConfig.read(runDir);
        checkData(config, data);
        return run(config, data, backend, runDir, options, true);
    }

    /** The step seed of step s (0-based) of a run. */
    public static long stepSeed(long runSeed, long step) {
        return Rng.derive(Rng.derive(runSeed, STEP_STREAM), step);
    }

    private static void checkData(RunConfig config, SuperpatchSource data) {
        if (data.edge() != Presets.byName(config.model().preset()).superpatch()) {
            throw new IllegalArgumentException("data superpatches are " + data.edge() + "^3 but preset " + config.model().preset()
                    + " needs " + Presets.byName(config.model().preset()).superpatch() + "^3");
        }
        if (config.dataSize() != 0 && data.size() != config.dataSize()) {
            throw new IllegalArgumentException("the run was started on " + config.dataSize() + " superpatches (" + config.data()
                    + ") but the data now has " + data.size() + " (" + data.describe() + "): resume needs the same data");
        }
    }

    private static Result run(RunConfig config, SuperpatchSource data, Backend be, Path runDir, Options options,
                              boolean resuming) throws IOException {
        ReconstructionModel model = Models.create(config.model(), be);
        List<Parameter> params = model.parameters();
        TrainConfig tc = config.train();
        AdamW opt = new AdamW(be, params, (float) tc.beta1(), (float) tc.beta2(), (float) tc.eps(), (float) tc.weightDecay());
        WarmupCosineSchedule schedule = new WarmupCosineSchedule(tc.lr(), tc.minLr(), config.warmupSteps(), config.totalSteps());

        Path ckpt = runDir.resolve(CHECKPOINT);
        removeStaleTemporaries(runDir);
        int start = 0;
        if (resuming && Files.exists(ckpt)) {
            Checkpoint.Contents c = Checkpoint.load(ckpt, params, opt);
            model.loadExtraState(c.tensors());
            start = parseInt(c.metadata(), "run.step", ckpt);
            if (opt.stepCount() != start) {
                throw new IllegalArgumentException(ckpt + ": optimizer step " + opt.stepCount() + " does not match run.step " + start);
            }
        }
        truncateLossLog(runDir.resolve(LOSS_LOG), start);

        int total = config.totalSteps();
        int b = tc.batch();
        int s = data.edge();
        int vox = s * s * s;
        Tensor batch = new Tensor(b, 1, s, s, s);
        SuperpatchSource.Order order = data.order(Rng.derive(config.seed(), DATA_STREAM));
        ProgressBar bar = options.progress() == null ? null
                : new ProgressBar(options.progress(), start, total, model.workUnit(),
                options.progress() == System.err && System.console() != null, 10.0);

        long t0 = System.nanoTime();
        double lastLoss = Double.NaN;
        double stepSecondsSum = 0;
        int timedSteps = 0;
        int lastCheckpoint = start;
        boolean halted = false;
        try (BufferedWriter log = Files.newBufferedWriter(runDir.resolve(LOSS_LOG), StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            for (int step = start; step < total; step++) {
                long ts = System.nanoTime();
                for (int i = 0; i < b; i++) {
                    data.read(order.item((long) step * b + i), batch.data, i * vox);
                }
                ReconstructionModel.StepResult r = model.trainStep(batch, stepSeed(config.seed(), step));
                if (!Double.isFinite(r.loss())) {
                    throw nonFinite(step, "loss is " + r.loss(), lastCheckpoint, ckpt);
                }
                double gradNorm = Gradients.globalNorm(be, params);
                if (!Double.isFinite(gradNorm)) {
                    throw nonFinite(step, "the gradient of " + Gradients.firstNonFinite(be, params, true) + " is not finite",
                            lastCheckpoint, ckpt);
                }
                double lr = schedule.lr(step);
                opt.step(lr);
                double sec = (System.nanoTime() - ts) * 1e-9;
                if (step > start) { // the first step of a process warms up the JIT
                    stepSecondsSum += sec;
                    timedSteps++;
                }
                lastLoss = r.loss();
                log.write(logLine(step + 1, r, lr, gradNorm, sec));
                log.newLine();
                log.flush();
                int done = step + 1;
                if (bar != null) bar.update(done, r.loss(), (long) (done - start) * b * model.workPerSample());
                if (options.haltAfterStep() >= 0 && done >= options.haltAfterStep() && done < total) {
                    halted = true;
                    break;
                }
                if (done % tc.checkpointEvery() == 0 || done == total) {
                    writeCheckpoint(ckpt, model, opt, config, done, order.position((long) done * b));
                    lastCheckpoint = done;
                }
            }
        } finally {
            if (bar != null) bar.finish();
        }
        if (!halted) {
            Map<String, Tensor> weights = new LinkedHashMap<>();
            for (Parameter p : params) weights.put(p.name, p.value);
            Map<String, String> meta = new LinkedHashMap<>(); // insertion order: the same bytes every run
            meta.put("format", "pt");
            meta.put("maesil.model", config.model().kind());
            org.maesil.tensor.io.SafeTensors.write(runDir.resolve(WEIGHTS), weights, meta);
        }
        double seconds = (System.nanoTime() - t0) * 1e-9;
        int end = halted ? (int) options.haltAfterStep() : total;
        return new Result(config, start, Math.max(start, end), lastLoss, seconds,
                timedSteps > 0 ? stepSecondsSum / timedSteps : Double.NaN, runDir, halted, model.describe());
    }

    private static NonFiniteException nonFinite(int step, String what, int lastCheckpoint, Path ckpt) {
        String kept = lastCheckpoint > 0 && Files.exists(ckpt)
                ? "the last good checkpoint (" + ckpt + ", step " + lastCheckpoint + ") is intact"
                : "no checkpoint had been written yet";
        return new NonFiniteException(step + 1, "training stopped at step " + (step + 1) + ": " + what + "; " + kept);
    }

    static void writeCheckpoint(Path file, ReconstructionModel model, AdamW opt, RunConfig config, int done, String dataPosition)
            throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("run.step", Integer.toString(done));
        meta.put("run.samples", Long.toString((long) done * config.train().batch()));
        meta.put("run.dataPosition", dataPosition);
        meta.put("run.seed", Long.toString(config.seed()));
        meta.put("run.config", config.toJson());
        meta.put("run.model", model.kind());
        Checkpoint.save(file, model.parameters(), opt, model.extraState(), meta);
    }

    private static String logLine(int step, ReconstructionModel.StepResult r, double lr, double gradNorm, double sec) {
        JsonObject o = new JsonObject();
        o.addProperty("step", step);
        o.addProperty("loss", r.loss());
        o.addProperty("lr", lr);
        o.addProperty("gradNorm", gradNorm);
        o.addProperty("seconds", Double.parseDouble(String.format(Locale.ROOT, "%.4f", sec)));
        for (var e : r.extras().entrySet()) o.addProperty(e.getKey(), e.getValue());
        return o.toString();
    }

    /** Keeps the log lines of steps 1..upTo (complete JSON lines only), atomically. */
    static void truncateLossLog(Path log, int upTo) throws IOException {
        if (!Files.exists(log)) return;
        List<String> keep = new ArrayList<>();
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            try {
                JsonObject o = JsonParser.parseString(line).getAsJsonObject();
                if (o.get("step").getAsInt() <= upTo) keep.add(line);
            } catch (RuntimeException e) {
                // a line cut short by a crash: dropped
            }
        }
        AtomicFiles.writeString(log, keep.isEmpty() ? "" : String.join("\n", keep) + "\n");
    }

    private static void removeStaleTemporaries(Path runDir) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(runDir, "*.tmp")) {
            for (Path p : ds) Files.deleteIfExists(p);
        }
    }

    private static int parseInt(Map<String, String> meta, String key, Path file) {
        String v = meta.get(key);
        if (v == null) throw new IllegalArgumentException(file + ": metadata '" + key + "' is missing");
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(file + ": metadata '" + key + "' is not an integer: " + v);
        }
    }
}
