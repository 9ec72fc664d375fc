package org.maesil.train;

import org.maesil.model.Rng;

/**
 * The training data as the trainer sees it: an indexable set of superpatches, each S^3
 * windowed intensities in [0, 1], voxel (z, y, x) at {@code x + S*(y + S*z)} (z superior-
 * inferior), and the seeded order in which a run visits them ({@link #order}). A run's data
 * stream is fixed by its seed, and its position is just the number k of superpatches consumed:
 * item k of the stream is a pure function of (data seed, k), so a resumed run seeks to it. The
 * harness adapts its dataset pipeline (windowing, near-empty skipping, reading volume by volume
 * from disk) to this interface.
 */
public interface SuperpatchSource {
    /** Number of superpatches (one epoch). */
    int size();

    /** Superpatch edge S. */
    int edge();

    /** Copies superpatch {@code index} into dst[offset, offset + S^3). Must give the same values on every call. */
    void read(int index, float[] dst, int offset);

    /** One line naming the data (dataset name or path, count), stored in checkpoints. */
    String describe();

    /**
     * The order of a run's data stream for the data seed {@code dataSeed}. The default suits
     * sources with cheap random access: epoch e = k / size() is a Fisher-Yates shuffle of all
     * indices seeded by {@code Rng.derive(dataSeed, e)}. A source that reads volumes from disk
     * overrides it so that consecutive items come from the same volume.
     */
    default Order order(long dataSeed) {
        return new ShuffledOrder(size(), dataSeed);
    }

    /** Item k of a run's data stream (k = 0, 1, ...): a pure function of the data seed and k. */
    interface Order {
        /** The index (for {@link #read}) of item k. */
        int item(long k);

        /** Where item k lies, in words a person can check (stored in checkpoints as {@code run.dataPosition}). */
        default String position(long k) {
            return "item " + k;
        }
    }

    /** Every epoch a Fisher-Yates shuffle of all indices; caches the current epoch's permutation. */
    final class ShuffledOrder implements Order {
        private final int size;
        private final long seed;
        private long epoch = -1;
        private final int[] perm;

        public ShuffledOrder(int size, long seed) {
            this.size = size;
            this.seed = seed;
            this.perm = new int[size];
        }

        @Override
        public int item(long k) {
            long e = k / size;
            if (e != epoch) {
                for (int i = 0; i < size; i++) perm[i] = i;
                new Rng(Rng.derive(seed, e)).shuffle(perm, size);
                epoch = e;
            }
            return perm[(int) (k % size)];
        }

        @Override
        public String position(long k) {
            return "epoch " + (k / size) + ", item " + (k % size) + " of " + size;
        }
    }
}
