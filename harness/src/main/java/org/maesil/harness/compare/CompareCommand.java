package org.maesil.harness.compare;

import com.google.gson.GsonBuilder;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.maesil.metrics.Bootstrap;
import org.maesil.report.ExperimentResult;
import org.maesil.report.PaperNumbers;
import org.maesil.tensor.Backends;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code compare --config FILE --out DIR}: runs an experiment grid ({@link ExperimentConfig},
 * {@link Experiment}) and writes DIR/index.html, with the training runs under DIR/runs/ (reused
 * when a finished run has the same configuration) and the reconstructions under
 * DIR/reconstructions/.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Runs an experiment grid (models x datasets from a YAML config) and writes the HTML report.")
public final class CompareCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "experiment config (e.g. experiments/paper.yaml)")
    Path config;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "report folder (index.html, runs/, reconstructions/)")
    Path out;

    @Option(names = "--backend", defaultValue = "java", description = "java or tornado (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--threads", description = "threads of the Java backend (default: all cores)")
    Integer threads;

    @Option(names = "--quiet", description = "no progress output")
    boolean quiet;

    @Option(names = "--json", description = "print one JSON object (progress still goes to stderr unless --quiet)")
    boolean json;

    @Override
    public Integer call() throws Exception {
        ExperimentConfig cfg = ExperimentConfig.load(config);
        return runAndReport(cfg, out, backend, threads, quiet, json, "compare --config " + config + " --out " + out);
    }

    /** Runs cfg into out and prints the summary (prose or JSON); shared with {@code demo}. */
    static int runAndReport(ExperimentConfig cfg, Path out, String backend, Integer threads, boolean quiet, boolean json,
                            String commandLine) throws Exception {
        int t = threads == null ? Backends.defaultThreads() : threads;
        if (t < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + t);
        PrintStream progress = quiet ? null : System.err;
        Experiment.Outcome r = Experiment.run(cfg, new Experiment.Options(out, backend, t, progress, commandLine));
        if (json) {
            System.out.println(new GsonBuilder().disableHtmlEscaping().create().toJson(summary(r)));
        } else {
            print(r, System.out);
        }
        return 0;
    }

    static Map<String, Object> summary(Experiment.Outcome r) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("report", r.index().toString());
        o.put("wallSeconds", r.wallSeconds());
        o.put("missingModels", r.missingModels());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (ExperimentResult.Scores s : r.result().scores()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("model", s.model());
            row.put("dataset", s.dataset());
            row.put("volumes", s.psnr().n());
            row.put("psnr", json(s.psnr()));
            row.put("ssim3d", json(s.ssim3d()));
            row.put("ssim2d", json(s.ssim2d()));
            row.put("lpips", s.lpips() == null ? null : json(s.lpips()));
            if (s.lpips() == null) row.put("lpipsNote", s.lpipsNote());
            if (s.maskedPsnr() != null) row.put("psnrMaskedOnly", json(s.maskedPsnr()));
            rows.add(row);
        }
        o.put("scores", rows);
        List<Map<String, Object>> runs = new ArrayList<>();
        for (Experiment.RunInfo ri : r.runs()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", ri.model());
            m.put("trainedOn", ri.group());
            m.put("seed", ri.seed());
            m.put("steps", ri.steps());
            m.put("run", ri.dir().toString());
            m.put("reused", ri.reused());
            m.put("wallSeconds", ri.wallSeconds());
            m.put("finalLoss", Double.isFinite(ri.finalLoss()) ? ri.finalLoss() : null);
            runs.add(m);
        }
        o.put("runs", runs);
        return o;
    }

    private static Map<String, Object> json(Bootstrap.Summary s) {
        Map<String, Object> m = new LinkedHashMap<>();
        boolean finite = Double.isFinite(s.mean());
        m.put("mean", finite ? s.mean() : null);
        if (!finite) m.put("note", "infinite: identical volumes");
        m.put("ci95", finite && s.n() > 1 ? new double[] {s.low(), s.high()} : null);
        return m;
    }

    static void print(Experiment.Outcome r, PrintStream out) {
        out.printf(Locale.ROOT, "%-8s %-18s %18s %9s %9s %10s  %s%n", "model", "dataset", "PSNR dB [95% CI]", "SSIM 3D", "SSIM 2D", "LPIPS", "PSNR masked only");
        for (ExperimentResult.Scores s : r.result().scores()) {
            out.printf(Locale.ROOT, "%-8s %-18s %18s %9.4f %9.4f %10s  %s%n", PaperNumbers.modelLabel(s.model()), s.dataset(),
                    String.format(Locale.ROOT, "%.2f [%.2f, %.2f]", s.psnr().mean(), s.psnr().low(), s.psnr().high()),
                    s.ssim3d().mean(), s.ssim2d().mean(), s.lpips() == null ? "n/a" : String.format(Locale.ROOT, "%.4f", s.lpips().mean()),
                    s.maskedPsnr() == null ? "" : String.format(Locale.ROOT, "%.2f", s.maskedPsnr().mean()));
        }
        if (!r.missingModels().isEmpty()) out.println("missing models (not in this build): " + String.join(", ", r.missingModels()));
        if (r.result().scores().stream().anyMatch(s -> s.lpips() == null)) out.println("LPIPS: " + org.maesil.metrics.LpipsWeights.NOT_COMPUTED);
        out.printf(Locale.ROOT, "report: %s (%.1f s)%n", r.index(), r.wallSeconds());
    }
}
