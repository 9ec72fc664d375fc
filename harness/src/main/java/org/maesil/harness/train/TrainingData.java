package org.maesil.harness.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.maesil.data.NiftiReader;
import org.maesil.data.Phantom;
import org.maesil.data.Preprocess;
import org.maesil.data.Superpatches;
import org.maesil.data.Volume;
import org.maesil.train.InMemorySuperpatches;
import org.maesil.train.SuperpatchSource;

/**
 * The harness's data pipeline as the trainer's {@link SuperpatchSource}: every volume of
 * NAME_OR_PATH windowed to [0, 1] (HU window, default [-175, 250]), padded to a multiple of the
 * superpatch edge, cut into superpatches; near-empty ones (mean below 0.05) are skipped. The
 * superpatches are held in memory (demo-sized data; the paper-sized data would need a streaming
 * source behind the same interface).
 *
 * <p>NAME_OR_PATH: a NIfTI file, a folder of NIfTI files (sorted by name), or
 * {@code phantom:REGION:COUNT:SIZE[:SEED]} - COUNT synthetic phantoms of SIZE^3 voxels, seeds
 * SEED, SEED+1, ... (default 1).
 */
public final class TrainingData {
    private TrainingData() {}

    /** Loads NAME_OR_PATH as superpatches of edge s. */
    public static SuperpatchSource load(String nameOrPath, int s, double lo, double hi, double emptyThreshold) throws IOException {
        List<float[]> items = new ArrayList<>();
        for (Volume hu : volumes(nameOrPath)) {
            Volume v = Preprocess.padToMultiple(Preprocess.window(hu, lo, hi), s, 0f);
            for (float[] sp : Superpatches.cutAll(v, s)) {
                if (!Preprocess.nearlyEmpty(sp, emptyThreshold)) items.add(sp);
            }
        }
        if (items.isEmpty()) {
            throw new IOException(nameOrPath + ": no superpatch of " + s + "^3 has a mean intensity above " + emptyThreshold
                    + " after windowing to [" + lo + ", " + hi + "] HU");
        }
        return new InMemorySuperpatches(s, items, nameOrPath);
    }

    public static SuperpatchSource load(String nameOrPath, int s) throws IOException {
        return load(nameOrPath, s, Preprocess.DEFAULT_WINDOW_LO, Preprocess.DEFAULT_WINDOW_HI, Preprocess.DEFAULT_EMPTY_THRESHOLD);
    }

    /** The volumes (HU) of NAME_OR_PATH. */
    public static List<Volume> volumes(String nameOrPath) throws IOException {
        if (nameOrPath.startsWith("phantom:")) return phantoms(nameOrPath);
        Path p = Path.of(nameOrPath);
        if (Files.isRegularFile(p)) return List.of(NiftiReader.read(p));
        if (Files.isDirectory(p)) {
            List<Path> files;
            try (Stream<Path> st = Files.list(p)) {
                files = st.filter(f -> {
                    String n = f.getFileName().toString();
                    return n.endsWith(".nii") || n.endsWith(".nii.gz");
                }).sorted().toList();
            }
            if (files.isEmpty()) throw new IOException(nameOrPath + ": folder holds no .nii or .nii.gz file");
            List<Volume> out = new ArrayList<>();
            for (Path f : files) out.add(NiftiReader.read(f));
            return out;
        }
        throw new IOException(nameOrPath + ": no such file, folder or dataset (use a NIfTI file, a folder of them,"
                + " or phantom:REGION:COUNT:SIZE[:SEED])");
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
