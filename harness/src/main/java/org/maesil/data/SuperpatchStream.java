package org.maesil.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;

/**
 * Streams training superpatches from a dataset with bounded memory: volumes are loaded one at a
 * time, preprocessed ({@link Preprocess#prepare}: window, resample, pad to a multiple of S), and
 * their non-empty superpatches handed out in a shuffled order before the next volume is loaded.
 *
 * <p><b>Memory bound.</b> The stream holds at most one volume. Let R, T, P be the voxel counts
 * of the largest raw, resampled and padded volume of the dataset (T = R without resampling, P =
 * T rounded up to multiples of S). While a volume loads, the stream holds at most its raw volume
 * (R floats), the windowed copy (R), the resampled volume (T) and the padded one (P); between
 * loads only the padded volume and the shuffled order of its superpatches (4 bytes each). So at
 * any moment it holds at most {@link #boundBytes}{@code (R, T, P, S) = 4 (2R + T + P) + 4 (P / S^3 + 1)}
 * bytes, and {@code 4 P + 4 P / S^3} between loads; {@link #peakHeldBytes()} reports what it
 * actually held. Example: a 512x512x300 CT resampled to 1.5 mm (about 400x400x300) and padded
 * to 512x512x384 with S = 128: peak about 1.4 GB, 400 MB between loads. Superpatches are copied
 * into the caller's buffer; nothing is allocated per call.
 *
 * <p><b>Order.</b> Epoch e visits the training cases in an order shuffled by (seed, e), and within
 * each case its non-empty superpatches in an order shuffled by (seed, e, case id): deterministic
 * for a seed. Superpatches of one volume come together (the price of holding one volume).
 * Near-empty superpatches (mean below the threshold, default 0.05 after windowing) are skipped.
 *
 * <p>This stream can only go forward. Training, which must seek to a checkpoint's position to
 * resume exactly, uses {@link StreamingSuperpatches}: the same one-volume-at-a-time reading with
 * an order that is a pure function of (seed, position).
 */
public final class SuperpatchStream {
    private final DataSource source;
    private final int s;
    private final long seed;
    private final double emptyThreshold;
    private final List<DataSource.Case> train;

    private int epoch = -1;
    private List<DataSource.Case> order = List.of();
    private int caseCursor;
    private Volume current;            // the prepared volume of the current case
    private String currentId;
    private int[] patchOrder = new int[0];
    private int patchCursor;
    private long servedThisEpoch;
    private long heldBytes, peakBytes;

    public SuperpatchStream(DataSource source, int superpatch, long seed) {
        this(source, superpatch, seed, Preprocess.DEFAULT_EMPTY_THRESHOLD);
    }

    public SuperpatchStream(DataSource source, int superpatch, long seed, double emptyThreshold) {
        if (superpatch < 1) throw new IllegalArgumentException("superpatch size must be positive");
        this.source = source;
        this.s = superpatch;
        this.seed = seed;
        this.emptyThreshold = emptyThreshold;
        this.train = source.trainCases();
    }

    /** The guaranteed bound in bytes for the largest raw (R), resampled (T) and padded (P) voxel counts. */
    public static long boundBytes(long raw, long resampled, long padded, int superpatch) {
        long perPatch = (long) superpatch * superpatch * superpatch;
        return 4 * (2 * raw + resampled + padded) + 4 * (padded / perPatch + 1);
    }

    public int superpatchSize() {
        return s;
    }

    public List<DataSource.Case> trainCases() {
        return train;
    }

    public int epoch() {
        return Math.max(epoch, 0);
    }

    /** The id of the case the last superpatch came from. */
    public String currentCase() {
        return currentId;
    }

    /** Bytes of voxel and index data the stream holds now, and the most it held at any moment. */
    public long heldBytes() {
        return heldBytes;
    }

    public long peakHeldBytes() {
        return peakBytes;
    }

    /** Starts epoch {@code e} (0-based) from its beginning; the order depends on (seed, e) only. */
    public void startEpoch(int e) {
        epoch = e;
        List<DataSource.Case> o = new ArrayList<>(train);
        shuffle(o, new SplittableRandom(mix(seed, e, 0)));
        order = o;
        caseCursor = 0;
        release();
        servedThisEpoch = 0;
    }

    /** Starts the next epoch. */
    public void nextEpoch() {
        startEpoch(epoch + 1);
    }

    /**
     * Copies the next training superpatch into {@code dest} (length S^3, layout x fastest) and
     * returns true, or returns false at the end of the epoch (call {@link #nextEpoch()}).
     */
    public boolean next(float[] dest) throws IOException {
        if (dest.length != s * s * s) throw new IllegalArgumentException("dest needs " + (s * s * s) + " floats, has " + dest.length);
        if (epoch < 0) startEpoch(0);
        while (current == null || patchCursor >= patchOrder.length) {
            if (caseCursor >= order.size()) {
                release();
                if (servedThisEpoch == 0) {
                    throw new DataException("dataset '" + source.name + "': no training superpatch of " + s + "^3 has a mean above "
                            + emptyThreshold + " after windowing to [" + source.windowLo + ", " + source.windowHi + "] ("
                            + train.size() + " training cases)");
                }
                return false;
            }
            load(order.get(caseCursor++));
        }
        Superpatches.cut(current, s, patchOrder[patchCursor++], dest);
        servedThisEpoch++;
        return true;
    }

    private void load(DataSource.Case c) throws IOException {
        release();
        Volume raw = c.load();
        account(4L * raw.size());
        Volume windowed = Preprocess.window(raw, source.windowLo, source.windowHi);
        account(4L * windowed.size());
        Volume resampled = Preprocess.resample(windowed, source.targetSpacing);
        if (resampled != windowed) account(4L * resampled.size());
        Volume padded = Preprocess.padToMultiple(resampled, s, 0f);
        if (padded != resampled) account(4L * padded.size());
        raw = null;
        windowed = null;
        resampled = null;
        current = padded;
        heldBytes = 4L * padded.size();
        int n = Superpatches.count(padded, s);
        float[] buf = new float[s * s * s];
        int[] keep = new int[n];
        int k = 0;
        for (int i = 0; i < n; i++) {
            Superpatches.cut(padded, s, i, buf);
            if (!Preprocess.nearlyEmpty(buf, emptyThreshold)) keep[k++] = i;
        }
        patchOrder = java.util.Arrays.copyOf(keep, k);
        shuffle(patchOrder, new SplittableRandom(mix(seed, epoch, c.id().hashCode() * 0x9E3779B9L + 1)));
        patchCursor = 0;
        currentId = c.id();
        account(4L * patchOrder.length);
    }

    private void account(long bytes) {
        heldBytes += bytes;
        peakBytes = Math.max(peakBytes, heldBytes);
    }

    private void release() {
        current = null;
        patchOrder = new int[0];
        patchCursor = 0;
        heldBytes = 0;
    }

    /** Package-private for the memory test: the prepared volume now held (or null). */
    Volume currentVolume() {
        return current;
    }

    // ---------------------------------------------------------------- evaluation

    /** A prepared test volume: windowed, resampled and padded, with its superpatch grid. */
    public static final class PreparedVolume {
        public final String id;
        /** Values in [0, 1], sides multiples of S, affine in patient mm. */
        public final Volume volume;
        public final int superpatch;
        /** Size before padding (after resampling): the padding is centred (Preprocess.cropOrPad). */
        public final int[] unpaddedSize;

        PreparedVolume(String id, Volume volume, int superpatch, int[] unpaddedSize) {
            this.id = id;
            this.volume = volume;
            this.superpatch = superpatch;
            this.unpaddedSize = unpaddedSize;
        }

        public int count() {
            return Superpatches.count(volume, superpatch);
        }

        public int[] grid() {
            return Superpatches.grid(volume.nx, volume.ny, volume.nz, superpatch);
        }

        public void superpatch(int index, float[] dest) {
            Superpatches.cut(volume, superpatch, index, dest);
        }

        public boolean nearlyEmpty(int index, double threshold) {
            float[] b = new float[superpatch * superpatch * superpatch];
            superpatch(index, b);
            return Preprocess.nearlyEmpty(b, threshold);
        }
    }

    /** Prepares one case the way training sees it (for evaluation and reconstruction). */
    public PreparedVolume prepare(DataSource.Case c) throws IOException {
        Volume r = Preprocess.resample(Preprocess.window(c.load(), source.windowLo, source.windowHi), source.targetSpacing);
        return new PreparedVolume(c.id(), Preprocess.padToMultiple(r, s, 0f), s, new int[] {r.nx, r.ny, r.nz});
    }

    /** The test cases, each loaded and prepared only when the iterator reaches it (one at a time). */
    public Iterable<PreparedVolume> testVolumes() {
        List<DataSource.Case> test = source.testCases();
        return () -> new Iterator<>() {
            int i;

            @Override
            public boolean hasNext() {
                return i < test.size();
            }

            @Override
            public PreparedVolume next() {
                if (!hasNext()) throw new NoSuchElementException();
                try {
                    return prepare(test.get(i++));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
    }

    // ---------------------------------------------------------------- shuffling

    static long mix(long a, long b, long c) {
        long h = a * 0x9E3779B97F4A7C15L + b * 0xC2B2AE3D27D4EB4FL + c * 0x165667B19E3779F9L;
        h ^= h >>> 31;
        h *= 0xBF58476D1CE4E5B9L;
        return h ^ (h >>> 29);
    }

    static <T> void shuffle(List<T> l, SplittableRandom r) {
        for (int i = l.size() - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            T t = l.get(i);
            l.set(i, l.get(j));
            l.set(j, t);
        }
    }

    static void shuffle(int[] a, SplittableRandom r) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
