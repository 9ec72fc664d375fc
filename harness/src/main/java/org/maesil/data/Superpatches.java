package org.maesil.data;

/**
 * Non-overlapping S^3 superpatches of a volume whose sides are multiples of S. Superpatches are
 * numbered in z, y, x order: index = px + gx * (py + gy * pz) with grid (gx, gy, gz) =
 * (nx/S, ny/S, nz/S); each is a float[S^3] laid out x fastest, element x + S * (y + S * z).
 */
public final class Superpatches {
    private Superpatches() {}

    /** The grid (gx, gy, gz); every side must be a multiple of s. */
    public static int[] grid(int nx, int ny, int nz, int s) {
        if (s < 1) throw new IllegalArgumentException("superpatch size must be positive: " + s);
        if (nx % s != 0 || ny % s != 0 || nz % s != 0) {
            throw new IllegalArgumentException("volume " + nx + "x" + ny + "x" + nz + " is not a multiple of the superpatch size "
                    + s + " (pad it first: Preprocess.padToMultiple)");
        }
        return new int[] {nx / s, ny / s, nz / s};
    }

    public static int count(int nx, int ny, int nz, int s) {
        int[] g = grid(nx, ny, nz, s);
        return g[0] * g[1] * g[2];
    }

    public static int count(Volume v, int s) {
        return count(v.nx, v.ny, v.nz, s);
    }

    /** Copies superpatch {@code index} of the volume into {@code dest} (length s^3). */
    public static void cut(float[] vol, int nx, int ny, int nz, int s, int index, float[] dest) {
        int[] g = grid(nx, ny, nz, s);
        checkIndex(index, g);
        if (dest.length != s * s * s) throw new IllegalArgumentException("dest needs " + (s * s * s) + " floats, has " + dest.length);
        int px = index % g[0], py = index / g[0] % g[1], pz = index / (g[0] * g[1]);
        for (int z = 0; z < s; z++) {
            for (int y = 0; y < s; y++) {
                int src = px * s + nx * ((py * s + y) + ny * (pz * s + z));
                System.arraycopy(vol, src, dest, s * (y + s * z), s);
            }
        }
    }

    public static void cut(Volume v, int s, int index, float[] dest) {
        cut(v.voxels, v.nx, v.ny, v.nz, s, index, dest);
    }

    /** All superpatches, in index order. */
    public static float[][] cutAll(Volume v, int s) {
        int n = count(v, s);
        float[][] out = new float[n][s * s * s];
        for (int i = 0; i < n; i++) cut(v, s, i, out[i]);
        return out;
    }

    /** Writes superpatch {@code src} back at position {@code index} of the volume. */
    public static void put(float[] vol, int nx, int ny, int nz, int s, int index, float[] src) {
        int[] g = grid(nx, ny, nz, s);
        checkIndex(index, g);
        if (src.length != s * s * s) throw new IllegalArgumentException("superpatch needs " + (s * s * s) + " floats, has " + src.length);
        int px = index % g[0], py = index / g[0] % g[1], pz = index / (g[0] * g[1]);
        for (int z = 0; z < s; z++) {
            for (int y = 0; y < s; y++) {
                int dst = px * s + nx * ((py * s + y) + ny * (pz * s + z));
                System.arraycopy(src, s * (y + s * z), vol, dst, s);
            }
        }
    }

    /** Puts superpatches (in index order) back together into a volume with the geometry of {@code like}. */
    public static Volume assemble(float[][] patches, Volume like, int s) {
        int n = count(like, s);
        if (patches.length != n) throw new IllegalArgumentException("need " + n + " superpatches, got " + patches.length);
        float[] out = new float[like.voxels.length];
        for (int i = 0; i < n; i++) put(out, like.nx, like.ny, like.nz, s, i, patches[i]);
        return like.withVoxels(out, like.description + " reassembled");
    }

    private static void checkIndex(int index, int[] g) {
        int n = g[0] * g[1] * g[2];
        if (index < 0 || index >= n) throw new IndexOutOfBoundsException("superpatch " + index + " of " + n);
    }
}
