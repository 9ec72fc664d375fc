package org.maesil.data;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.maesil.model.Rng;
import org.maesil.train.AtomicFiles;
import org.maesil.train.SuperpatchSource;

/**
 * The training superpatches of a list of CT cases, read from disk one volume at a time, as the
 * trainer's {@link SuperpatchSource}: the streaming counterpart of {@link SuperpatchStream} whose
 * order can be sought, which exact resume needs.
 *
 * <p><b>Index.</b> When opened, every case is loaded once, prepared (window to [0, 1], resample to
 * the target spacing, pad to a multiple of S: {@link Preprocess#prepare}'s steps) and its
 * non-empty superpatches (mean at least the threshold) counted, one volume at a time. The counts
 * are the whole index: superpatch i of the source is the j-th non-empty superpatch (grid order) of
 * case c, where c and j follow from the prefix sums of the counts. With an index file (the
 * {@code train} command keeps RUN/data-index.json) the counts are written once and read back on
 * resume, so a resumed run re-reads no volume but the one it continues in; the file records what
 * determined the counts (cases, window, spacing, S, threshold) and is rebuilt when any differs.
 * A case whose count differs from the index when it is loaded again (the file changed) is an error.
 *
 * <p><b>Order</b> ({@link #order}): epoch e (e = k / size) visits the cases in a shuffled order,
 * each case's non-empty superpatches together in a shuffled order; both shuffles are seeded by
 * (data seed, e) (cases: {@code derive(derive(seed, e), 0)}; superpatches of case c, c its place in
 * the training list: {@code derive(derive(seed, e), 1 + c)}). Item k is a pure function of the
 * seed, k and the counts, and so is its position (epoch e, volume p of the epoch's order,
 * superpatch j of that volume), which checkpoints record. Seeking to k costs loading one volume.
 *
 * <p><b>Memory bound.</b> At most one volume is held. Let R, T, P be the voxel counts of the
 * largest raw, resampled and padded volume, n the number of cases and S the superpatch edge.
 * While a volume loads the source holds its raw volume (R floats), the windowed copy (R), the
 * resampled one (T) and the padded one (P); between loads only the padded volume. On top, at
 * most 3 ints per superpatch of a volume (P / S^3 of them: the grid scan, the list of non-empty
 * ones and one case's shuffled order), one S^3 scratch superpatch, and the index (n counts, n + 1
 * prefix sums, the epoch's case order and its prefix sums: 24 n + 16 bytes). So it holds at most
 * {@link #boundBytes}{@code (R, T, P, S, n) = 4 (2R + T + P) + 12 P / S^3 + 4 S^3 + 24 n + 16}
 * bytes; {@link #peakHeldBytes()} reports what it actually held. Example: CTs of 512x512x300 at 0.8x0.8x1.5 mm resampled to 1.5 mm (273x273x300)
 * and padded to 384x384x384 with S = 128: about 945 MB while loading and 226 MB between loads,
 * for any number of volumes.
 */
public final class StreamingSuperpatches implements SuperpatchSource {
    private static final Gson GSON = new Gson();

    private final String description;
    private final List<DataSource.Case> cases;
    private final double windowLo, windowHi;
    private final double[] spacing;
    private final int s;
    private final double threshold;
    private final int[] counts;   // non-empty superpatches of each case
    private final long[] start;   // start[c]: index of case c's first superpatch; start[n] = size
    private final int size;
    private final float[] scratch;

    private int currentCase = -1;
    private Volume current;       // the prepared (windowed, resampled, padded) volume of currentCase
    private int[] kept = new int[0]; // grid indices of its non-empty superpatches, ascending
    private long heldBytes, peakBytes;
    private int loads;

    private StreamingSuperpatches(String description, List<DataSource.Case> cases, double windowLo, double windowHi,
                                  double[] spacing, int s, double threshold, int[] counts) {
        this.description = description;
        this.cases = List.copyOf(cases);
        this.windowLo = windowLo;
        this.windowHi = windowHi;
        this.spacing = spacing == null ? null : spacing.clone();
        this.s = s;
        this.threshold = threshold;
        this.counts = counts;
        this.start = new long[counts.length + 1];
        for (int c = 0; c < counts.length; c++) start[c + 1] = start[c] + counts[c];
        if (start[counts.length] > Integer.MAX_VALUE) throw new IllegalArgumentException(description + ": more than 2^31 superpatches");
        this.size = (int) start[counts.length];
        this.scratch = new float[s * s * s];
    }

    /**
     * Opens the training superpatches of {@code cases}: windowed to [lo, hi] HU, resampled to
     * {@code spacing} (null: kept), edge {@code s}, near-empty ones (mean below {@code threshold})
     * skipped. {@code indexFile}, when not null, keeps the per-case counts between runs.
     */
    public static StreamingSuperpatches open(String description, List<DataSource.Case> cases, double lo, double hi,
                                             double[] spacing, int s, double threshold, Path indexFile) throws IOException {
        if (s < 1) throw new IllegalArgumentException("superpatch size must be positive");
        if (cases.isEmpty()) throw new DataException(description + ": the training split holds no volume");
        JsonObject key = fingerprint(cases, lo, hi, spacing, s, threshold);
        int[] counts = indexFile == null ? null : readIndex(indexFile, key, cases.size());
        StreamingSuperpatches src;
        if (counts != null) {
            src = new StreamingSuperpatches(description, cases, lo, hi, spacing, s, threshold, counts);
        } else {
            src = new StreamingSuperpatches(description, cases, lo, hi, spacing, s, threshold, new int[cases.size()]);
            for (int c = 0; c < cases.size(); c++) {
                src.load(c);
                src.counts[c] = src.kept.length;
            }
            src.release();
            src = new StreamingSuperpatches(description, cases, lo, hi, spacing, s, threshold, src.counts)
                    .carryPeak(src.peakBytes, src.loads);
            if (indexFile != null) writeIndex(indexFile, key, src.counts);
        }
        if (src.size == 0) {
            throw new DataException(description + ": no training superpatch of " + s + "^3 has a mean intensity above " + threshold
                    + " after windowing to [" + lo + ", " + hi + "] HU (" + cases.size() + " training volumes)");
        }
        return src;
    }

    private StreamingSuperpatches carryPeak(long peak, int loadsSoFar) {
        this.peakBytes = peak;
        this.loads = loadsSoFar;
        return this;
    }

    /**
     * The guaranteed bound in bytes for the largest raw (R), resampled (T) and padded (P) voxel
     * counts, superpatch edge S and n cases (see the class comment).
     */
    public static long boundBytes(long raw, long resampled, long padded, int superpatch, int cases) {
        long perPatch = (long) superpatch * superpatch * superpatch;
        return 4 * (2 * raw + resampled + padded) + 12 * (padded / perPatch) + 4 * perPatch + 24L * cases + 16;
    }

    @Override public int size() { return size; }
    @Override public int edge() { return s; }
    @Override public String describe() { return description; }

    /** Non-empty superpatches of each case (the index). */
    public int[] counts() { return counts.clone(); }

    /** Bytes of voxel and index data held now, and the most held at any moment (index pass included). */
    public long heldBytes() { return heldBytes; }
    public long peakHeldBytes() { return peakBytes; }

    /** Volumes loaded so far (the index pass included). */
    public int volumeLoads() { return loads; }

    /** The case now held, or -1. */
    public int currentCase() { return currentCase; }

    /**
     * Copies superpatch {@code index}: the j-th non-empty superpatch of case c. Loads case c if it
     * is not the one held (dropping that one first); reads in {@link #order} stay within a volume.
     */
    @Override
    public void read(int index, float[] dst, int offset) {
        if (index < 0 || index >= size) throw new IndexOutOfBoundsException("superpatch " + index + " of " + size);
        int c = caseOf(start, index);
        try {
            if (c != currentCase) load(c);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e.getMessage(), e);
        }
        Superpatches.cut(current, s, kept[(int) (index - start[c])], scratch);
        System.arraycopy(scratch, 0, dst, offset, scratch.length);
    }

    /** The largest c with prefix[c] <= i (prefix ascending, i < prefix[last]): skips empty ranges. */
    static int caseOf(long[] prefix, long i) {
        int lo = 0, hi = prefix.length - 2;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (prefix[mid] <= i) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    private void load(int c) throws IOException {
        release();
        DataSource.Case cs = cases.get(c);
        Volume raw = cs.load();
        account(4L * raw.size());
        Volume windowed = Preprocess.window(raw, windowLo, windowHi);
        account(4L * windowed.size());
        Volume resampled = Preprocess.resample(windowed, spacing);
        if (resampled != windowed) account(4L * resampled.size());
        Volume padded = Preprocess.padToMultiple(resampled, s, 0f);
        if (padded != resampled) account(4L * padded.size());
        raw = null;
        windowed = null;
        resampled = null;
        current = padded;
        heldBytes = 4L * padded.size() + fixedBytes();
        int n = Superpatches.count(padded, s);
        int[] keep = new int[n];
        account(4L * n);
        int k = 0;
        for (int i = 0; i < n; i++) {
            Superpatches.cut(padded, s, i, scratch);
            if (!Preprocess.nearlyEmpty(scratch, threshold)) keep[k++] = i;
        }
        kept = Arrays.copyOf(keep, k);
        account(4L * k);
        heldBytes -= 4L * n; // keep is dropped
        currentCase = c;
        loads++;
        if (counts[c] != k && start[cases.size()] > 0) {
            release();
            throw new DataException(cs.location() + ": case " + cs.id() + " now has " + k + " non-empty superpatches but the index of "
                    + description + " has " + counts[c] + ": the data changed since the run started");
        }
    }

    /**
     * What is held besides the volumes: the scratch superpatch, the index and the epoch order
     * (counts, start, caseOrder: 4 + 8 + 4 bytes per case, epochStart 8, two arrays of n + 1
     * longs) and the order's shuffled superpatch order of one case (at most the largest count).
     */
    private long fixedBytes() {
        int maxCount = 0;
        for (int c : counts) maxCount = Math.max(maxCount, c);
        return 4L * scratch.length + 24L * cases.size() + 16 + 4L * maxCount;
    }

    private void account(long bytes) {
        heldBytes += bytes;
        peakBytes = Math.max(peakBytes, heldBytes);
    }

    private void release() {
        current = null;
        kept = new int[0];
        currentCase = -1;
        heldBytes = 0;
    }

    // ---------------------------------------------------------------- order

    /** Volume by volume, shuffled per epoch (see the class comment). */
    @Override
    public Order order(long dataSeed) {
        return new VolumeOrder(dataSeed);
    }

    private final class VolumeOrder implements Order {
        private final long seed;
        private long epoch = -1;
        private final int[] caseOrder = new int[counts.length];
        private final long[] epochStart = new long[counts.length + 1]; // prefix sums of counts in caseOrder
        private long permEpoch = -1;
        private int permCase = -1;
        private int[] perm = new int[0];                                // shuffled superpatch order of permCase

        VolumeOrder(long seed) {
            this.seed = seed;
        }

        private void epoch(long e) {
            if (e == epoch) return;
            for (int i = 0; i < caseOrder.length; i++) caseOrder[i] = i;
            new Rng(Rng.derive(Rng.derive(seed, e), 0)).shuffle(caseOrder, caseOrder.length);
            for (int p = 0; p < caseOrder.length; p++) epochStart[p + 1] = epochStart[p] + counts[caseOrder[p]];
            epoch = e;
        }

        /** {epoch, place p of the volume in the epoch's order, superpatch j within the volume's order}. */
        private long[] locate(long k) {
            long e = k / size;
            long r = k % size;
            epoch(e);
            int p = caseOf(epochStart, r);
            return new long[] {e, p, r - epochStart[p]};
        }

        @Override
        public int item(long k) {
            long e = k / size;
            long r = k % size;
            epoch(e);
            int p = caseOf(epochStart, r);
            int c = caseOrder[p];
            int j = (int) (r - epochStart[p]);
            if (permEpoch != e || permCase != c) {
                if (perm.length != counts[c]) perm = new int[counts[c]];
                for (int i = 0; i < perm.length; i++) perm[i] = i;
                new Rng(Rng.derive(Rng.derive(seed, e), 1 + c)).shuffle(perm, perm.length);
                permEpoch = e;
                permCase = c;
            }
            return (int) (start[c] + perm[j]);
        }

        @Override
        public String position(long k) {
            long[] l = locate(k);
            int c = caseOrder[(int) l[1]];
            return "epoch " + l[0] + ", volume " + (l[1] + 1) + " of " + counts.length + " (" + cases.get(c).id() + "), superpatch "
                    + (l[2] + 1) + " of " + counts[c];
        }
    }

    // ---------------------------------------------------------------- index file

    private static JsonObject fingerprint(List<DataSource.Case> cases, double lo, double hi, double[] spacing, int s, double threshold) {
        JsonObject o = new JsonObject();
        o.addProperty("superpatch", s);
        o.addProperty("emptyThreshold", threshold);
        o.addProperty("window", lo + "," + hi);
        o.addProperty("spacing", spacing == null ? "keep" : Arrays.toString(spacing));
        JsonArray ids = new JsonArray();
        for (DataSource.Case c : cases) ids.add(c.id() + "@" + c.location());
        o.add("cases", ids);
        return o;
    }

    /** The counts stored in {@code file} when it was made for {@code key}; null when absent or made for other data. */
    private static int[] readIndex(Path file, JsonObject key, int n) {
        if (!Files.isRegularFile(file)) return null;
        try {
            JsonObject o = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
            if (!key.equals(o.get("key"))) return null;
            int[] counts = GSON.fromJson(o.get("counts"), int[].class);
            if (counts == null || counts.length != n) return null;
            for (int c : counts) if (c < 0) return null;
            return counts;
        } catch (IOException | RuntimeException e) {
            return null; // unreadable: rebuilt
        }
    }

    private static void writeIndex(Path file, JsonObject key, int[] counts) throws IOException {
        JsonObject o = new JsonObject();
        o.add("key", key);
        o.add("counts", GSON.toJsonTree(counts));
        if (file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
        AtomicFiles.writeString(file, o + "\n");
    }
}
