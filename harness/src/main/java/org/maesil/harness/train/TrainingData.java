package org.maesil.harness.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.maesil.data.DataSource;
import org.maesil.data.DatasetCatalog;
import org.maesil.data.Phantom;
import org.maesil.data.Preprocess;
import org.maesil.data.StreamingSuperpatches;
import org.maesil.train.SuperpatchSource;

/**
 * The harness's data pipeline as the trainer's {@link SuperpatchSource}. NAME_OR_PATH is either
 * {@code phantom:REGION:COUNT:SIZE[:SEED]} (COUNT synthetic phantoms of SIZE^3 voxels, seeds
 * SEED, SEED+1, ..., default 1; all used for training; each generated again when it is read) or
 * anything {@link DatasetCatalog#resolve} accepts (a datasets.yaml name, a NIfTI file, a folder of
 * NIfTI files or DICOM series), of which the <b>training split</b> is used with the dataset's HU
 * window and target spacing. Every volume is windowed to [0, 1], resampled, padded to a multiple
 * of the superpatch edge and cut into superpatches; near-empty ones (mean below 0.05) are skipped.
 *
 * <p>Every kind of data streams from disk through {@link StreamingSuperpatches}: one volume is
 * held at a time (its memory bound is stated there), volumes are visited in a seeded order per
 * epoch with each volume's superpatches together, and a run's position can be sought, so
 * {@code --resume} stays exact and re-reads only the volume it continues in.
 */
public final class TrainingData {
    private TrainingData() {}

    /** The index of the data's per-volume superpatch counts that a run keeps: RUN/data-index.json. */
    public static final String INDEX_FILE = "data-index.json";

    /** What was opened: the superpatches and the HU window used. */
    public record Loaded(SuperpatchSource source, double windowLo, double windowHi) {}

    /**
     * Opens NAME_OR_PATH as superpatches of edge s; {@code window} (LO, HI) overrides the
     * dataset's window when not null; {@code indexFile} (null: none) keeps the per-volume counts
     * so that reopening the same data (resume) reads no volume up front.
     */
    public static Loaded load(String nameOrPath, int s, double[] window, double emptyThreshold, Path indexFile) throws IOException {
        double lo = Preprocess.DEFAULT_WINDOW_LO, hi = Preprocess.DEFAULT_WINDOW_HI;
        double[] spacing = null;
        List<DataSource.Case> cases;
        if (nameOrPath.startsWith("phantom:")) {
            cases = phantoms(nameOrPath);
        } else {
            DataSource ds = DatasetCatalog.loadDefault().resolve(nameOrPath);
            lo = ds.windowLo;
            hi = ds.windowHi;
            spacing = ds.targetSpacing;
            cases = ds.trainCases();
            if (cases.isEmpty()) throw new IOException(nameOrPath + ": the training split holds no volume");
        }
        if (window != null) {
            lo = window[0];
            hi = window[1];
        }
        return new Loaded(StreamingSuperpatches.open(nameOrPath, cases, lo, hi, spacing, s, emptyThreshold, indexFile), lo, hi);
    }

    /** As {@link #load(String, int, double[], double, Path)} without an index file. */
    public static Loaded load(String nameOrPath, int s, double[] window, double emptyThreshold) throws IOException {
        return load(nameOrPath, s, window, emptyThreshold, null);
    }

    /** Opens with the dataset's window and the default near-empty threshold. */
    public static SuperpatchSource load(String nameOrPath, int s) throws IOException {
        return load(nameOrPath, s, null, Preprocess.DEFAULT_EMPTY_THRESHOLD).source();
    }

    /** The phantoms of a spec as cases, each generated when loaded (deterministic for its seed). */
    private static List<DataSource.Case> phantoms(String spec) throws IOException {
        String[] f = spec.split(":");
        if (f.length < 4 || f.length > 5) throw new IOException(spec + ": expected phantom:REGION:COUNT:SIZE[:SEED]");
        int count, size;
        long seed;
        try {
            count = Integer.parseInt(f[2]);
            size = Integer.parseInt(f[3]);
            seed = f.length == 5 ? Long.parseLong(f[4]) : 1;
        } catch (NumberFormatException e) {
            throw new IOException(spec + ": COUNT, SIZE and SEED must be integers");
        }
        if (count < 1) throw new IOException(spec + ": COUNT must be >= 1");
        String region = f[1];
        if (!Phantom.REGIONS.contains(region)) throw new IOException(spec + ": unknown phantom region '" + region + "' (known: "
                + String.join(", ", Phantom.REGIONS) + ")");
        if (size < 8 || size > 1024) throw new IOException(spec + ": phantom SIZE must be 8..1024, got " + size);
        List<DataSource.Case> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long k = seed + i;
            out.add(new DataSource.Case("phantom-" + region + "-" + k, "phantom:" + region + ":" + size + ":" + k,
                    () -> Phantom.generate(region, size, k)));
        }
        return out;
    }
}
