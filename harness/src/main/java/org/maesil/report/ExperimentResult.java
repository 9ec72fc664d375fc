package org.maesil.report;

import java.util.List;
import java.util.Map;
import org.maesil.metrics.Bootstrap;

/**
 * Everything one report shows, filled by the {@code compare} and {@code demo} commands: the
 * scored model x dataset grid, Figure-3 panels, training-loss curves, the protocol and the
 * provenance. Pure data; {@link HtmlReport} renders it.
 *
 * @param title     report heading
 * @param subtitle  one line under it (e.g. "demo preset on synthetic phantoms")
 * @param scores    one entry per (model, dataset) and per model over all datasets
 * @param figures   Figure-3 panels (slices of one test volume per model and dataset)
 * @param losses    training-loss curves, one per run
 * @param protocol  how the numbers were obtained
 * @param provenance where and with what they were obtained
 * @param paperDataset for Table III: our dataset name -> the paper's dataset whose number is
 *                  shown beside it (e.g. "abdomen" -> "BTCV"); datasets not in it show none
 * @param notes     free sentences shown under the tables (caveats, e.g. synthetic data)
 */
public record ExperimentResult(String title, String subtitle, List<Scores> scores, List<Figure> figures,
                               List<LossCurve> losses, Protocol protocol, Provenance provenance,
                               Map<String, String> paperDataset, List<String> notes) {

    /** The dataset name used for a model's scores pooled over every dataset (Table II). */
    public static final String ALL_DATASETS = "all";

    /**
     * Aggregated scores of one model on one dataset (or {@link #ALL_DATASETS}). Summaries are
     * means with 95% bootstrap intervals over volumes; lpips is null when not computed, with
     * lpipsNote saying why; maskedPsnr is MAESIL's strict score on masked patches only (null for
     * the baselines).
     */
    public record Scores(String model, String dataset, Bootstrap.Summary psnr, Bootstrap.Summary ssim3d,
                         Bootstrap.Summary ssim2d, Bootstrap.Summary lpips, String lpipsNote,
                         Bootstrap.Summary maskedPsnr) {}

    /**
     * One Figure-3 panel: a test volume, its reconstruction and (MAESIL) the mask, all on [0, 1],
     * index x + nx*(y + ny*z), z the superior-inferior axis. mask may be null; otherwise 1 marks a
     * voxel whose patch was masked.
     */
    public record Figure(String model, String dataset, String volumeName, int nx, int ny, int nz,
                         float[] original, float[] reconstruction, float[] mask) {}

    /** A training-loss curve: loss after each logged step. */
    public record LossCurve(String model, String dataset, int[] steps, double[] loss) {}

    /**
     * The evaluation protocol: HU window, MAESIL masking ratios (and the total they give),
     * superpatch and patch sizes, the preset and training budget, and free text lines (metric
     * definitions, aggregation), all printed in the report.
     */
    public record Protocol(double windowLo, double windowHi, double planeRatio, double axisRatio,
                           int superpatch, int patch, String preset, String budget, long evalSeed,
                           List<String> extra) {
        /** Fraction of tokens masked: 1 - (1 - plane)(1 - axis). */
        public double totalMaskRatio() { return 1 - (1 - planeRatio) * (1 - axisRatio); }
    }

    /**
     * Provenance: build and machine, backend and threads, seeds and presets, LPIPS weights (or
     * null), and one row per training / evaluation run with its wall time.
     */
    public record Provenance(String gitCommit, String jdk, String os, String backend, int threads,
                             List<Long> seeds, List<String> presets, String lpipsWeights, String date,
                             List<Run> runs, Map<String, String> extra) {}

    /** One run: model, dataset, preset, seed, steps, wall time in seconds, and where it is stored. */
    public record Run(String model, String dataset, String preset, long seed, long steps, double wallSeconds,
                      String location) {}
}
