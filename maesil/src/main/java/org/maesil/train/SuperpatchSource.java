package org.maesil.train;

/**
 * The training data as the trainer sees it: an indexable set of superpatches, each S^3
 * windowed intensities in [0, 1], voxel (z, y, x) at {@code x + S*(y + S*z)} (z superior-
 * inferior). The trainer picks indices in a seeded order per epoch, so a run's data stream is
 * fixed by its seed and its position is just the number of superpatches consumed. The harness
 * adapts its dataset pipeline (windowing, near-empty skipping) to this interface.
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
}
