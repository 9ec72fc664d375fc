package org.maesil.harness.compare;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code demo}: the main job. Runs the embedded experiments/demo.yaml (synthetic phantoms of
 * the abdomen, thorax and whole body; MAESIL, AE, VAE, VQ-VAE at the demo preset) and writes
 * DIR/index.html, with progress bars on stderr.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "The main job: phantoms for three body regions, trains MAESIL, AE, VAE and VQ-VAE (demo preset), "
                + "evaluates them and writes DIR/index.html.")
public final class DemoCommand implements Callable<Integer> {

    /** The embedded demo experiment (experiments/demo.yaml in the source tree). */
    public static final String RESOURCE = "/experiments/demo.yaml";

    @Option(names = "--out", defaultValue = "reports/demo", paramLabel = "DIR", description = "report folder (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--steps", description = "training steps per model (default: demo.yaml's)")
    Integer steps;

    @Option(names = "--threads", description = "threads of the Java backend (default: all cores)")
    Integer threads;

    @Option(names = "--backend", defaultValue = "java", description = "java or tornado (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--quiet", description = "no progress output")
    boolean quiet;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Override
    public Integer call() throws Exception {
        ExperimentConfig cfg = embedded();
        if (steps != null) {
            if (steps < 1) throw new IllegalArgumentException("--steps must be >= 1, got " + steps);
            cfg = new ExperimentConfig(cfg.file(), cfg.title(), cfg.subtitle(), cfg.catalog(), cfg.datasets(), cfg.paperDatasets(),
                    cfg.models(), cfg.preset(), cfg.mode(), steps, cfg.batch(), cfg.seeds(), cfg.planeRatio(), cfg.axisRatio(),
                    cfg.phantomSize(), cfg.phantomCount(), cfg.phantomTestFraction(), cfg.evalSeed(), cfg.testVolumes(), cfg.testVolumeIds(), cfg.superpatchesPerVolume(),
                    cfg.lpipsWeights(), cfg.lpipsSliceStep());
        }
        return CompareCommand.runAndReport(cfg, out, backend, threads, quiet, json,
                "demo --out " + out + (steps == null ? "" : " --steps " + steps));
    }

    static ExperimentConfig embedded() throws IOException {
        try (InputStream in = DemoCommand.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IOException("experiments/demo.yaml is not embedded in this build");
            return ExperimentConfig.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "experiments/demo.yaml (embedded)",
                    Path.of("").toAbsolutePath());
        }
    }
}
