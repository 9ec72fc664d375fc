package org.maesil.harness.train;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.maesil.data.DataSource;
import org.maesil.data.DatasetCatalog;
import org.maesil.data.Phantom;
import org.maesil.data.Preprocess;
import org.maesil.data.Superpatches;
import org.maesil.data.Volume;
import org.maesil.train.InMemorySuperpatches;
import org.maesil.train.SuperpatchSource;

/**
 * The harness's data pipeline as the trainer's {@link SuperpatchSource}. NAME_OR_PATH is either
 * {@code phantom:REGION:COUNT:SIZE[:SEED]} (COUNT synthetic phantoms of SIZE^3 voxels, seeds
 * SEED, SEED+1, ..., default 1; all used for training) or anything {@link DatasetCatalog#resolve}
 * accepts (a datasets.yaml name, a NIfTI file, a folder of NIfTI files or DICOM series), of which
 * the <b>training split</b> is used with the dataset's HU window and target spacing.
 * Every volume goes through {@link Preprocess#prepare} (window to [0, 1], resample, pad to a
 * multiple of the superpatch edge) and is cut into superpatches; near-empty ones (mean below
 * 0.05) are skipped. The superpatches are held in memory, which suits the demo-sized data;
 * paper-sized data sets (hundreds of CTs) would need a streaming source behind the same
 * interface (not built: {@link org.maesil.data.SuperpatchStream} streams, but its order is not
 * indexable, which exact resume needs).
 */
public final class TrainingData {
    private TrainingData() {}

    /** What was loaded: the superpatches and the HU window used. */
    public record Loaded(SuperpatchSource source, double windowLo, double windowHi) {}

    /**
     * Loads NAME_OR_PATH as superpatches of edge s; {@code window} (LO, HI) overrides the
     * dataset's window when not null.
     */
    public static Loaded load(String nameOrPath, int s, double[] window, double emptyThreshold) throws IOException {
        double lo = Preprocess.DEFAULT_WINDOW_LO, hi = Preprocess.DEFAULT_WINDOW_HI;
        double[] spacing = null;
        List<Supplier> volumes = new ArrayList<>();
        if (nameOrPath.startsWith("phantom:")) {
            for (Volume v : phantoms(nameOrPath)) volumes.add(() -> v);
        } else {
            DataSource ds = DatasetCatalog.loadDefault().resolve(nameOrPath);
            lo = ds.windowLo;
            hi = ds.windowHi;
            spacing = ds.targetSpacing;
            List<DataSource.Case> cases = ds.trainCases();
            if (cases.isEmpty()) throw new IOException(nameOrPath + ": the training split holds no volume");
            for (DataSource.Case c : cases) volumes.add(c::load);
        }
        if (window != null) {
            lo = window[0];
            hi = window[1];
        }
        List<float[]> items = new ArrayList<>();
        for (Supplier sup : volumes) {
            Volume v = Preprocess.prepare(sup.get(), lo, hi, spacing, s);
            for (float[] sp : Superpatches.cutAll(v, s)) {
                if (!Preprocess.nearlyEmpty(sp, emptyThreshold)) items.add(sp);
            }
        }
        if (items.isEmpty()) {
            throw new IOException(nameOrPath + ": no superpatch of " + s + "^3 has a mean intensity above " + emptyThreshold
                    + " after windowing to [" + lo + ", " + hi + "] HU");
        }
        return new Loaded(new InMemorySuperpatches(s, items, nameOrPath), lo, hi);
    }

    /** Loads with the dataset's window and the default near-empty threshold. */
    public static SuperpatchSource load(String nameOrPath, int s) throws IOException {
        return load(nameOrPath, s, null, Preprocess.DEFAULT_EMPTY_THRESHOLD).source();
    }

    @FunctionalInterface
    private interface Supplier {
        Volume get() throws IOException;
    }

    private static List<Volume> phantoms(String spec) throws IOException {
        String[] f = spec.split(":");
        if (f.length < 4 || f.length > 5) throw new IOException(spec + ": expected phantom:REGION:COUNT:SIZE[:SEED]");
        try {
            int count = Integer.parseInt(f[2]);
            int size = Integer.parseInt(f[3]);
            long seed = f.length == 5 ? Long.parseLong(f[4]) : 1;
            if (count < 1) throw new IOException(spec + ": COUNT must be >= 1");
            List<Volume> out = new ArrayList<>();
            for (int i = 0; i < count; i++) out.add(Phantom.generate(f[1], size, seed + i));
            return out;
        } catch (NumberFormatException e) {
            throw new IOException(spec + ": COUNT, SIZE and SEED must be integers");
        }
    }
}
