package org.maesil.model;

/**
 * Cutting a batch of superpatches into patch tokens and back.
 *
 * <p>Layouts. A superpatch batch is [B, 1, S, S, S] in NCDHW order, voxel (z, y, x) of sample b
 * at {@code ((b*S + z)*S + y)*S + x}, with z the superior-inferior axis (depth D). With patch
 * edge p and grid g = S / p, the patch tensor is [B, N, p^3] with N = g^3,
 * token t = (tz*g + ty)*g + tx (z slowest, as Conv3d's output flattened by
 * {@code flatten(2).transpose(1, 2)}) and voxel v = (dz*p + dy)*p + dx inside the patch
 * (the order of a Conv3d kernel [1, p, p, p]). In PyTorch:
 * {@code x.reshape(B, g, p, g, p, g, p).permute(0, 1, 3, 5, 2, 4, 6).reshape(B, g**3, p**3)}.
 */
public final class Patchify {
    private Patchify() {}

    /** patches[b, t, v] = x[b, 0, tz*p+dz, ty*p+dy, tx*p+dx]; x [B,1,S,S,S] -> patches [B, g^3, p^3]. */
    public static void patchify(float[] x, float[] patches, int batch, int s, int p) {
        check(s, p);
        int rows = batch * s * s * (s / p); // rows of p voxels: (b, t, dz, dy)
        for (int r = 0; r < rows; r++) patchifyRow(x, patches, r, s, p);
    }

    /**
     * patches[r*p + dx] = x[voxelOfPatchElement(r*p, s, p) + dx] for dx in [0, p): output row r of
     * the patch tensor seen as [B*N*p*p, p] (a row is contiguous in both layouts).
     */
    public static void patchifyRow(float[] x, float[] patches, int r, int s, int p) {
        int src = voxelOfPatchElement(r * p, s, p);
        int dst = r * p;
        for (int dx = 0; dx < p; dx++) patches[dst + dx] = x[src + dx];
    }

    /** x[voxelOfPatchElement(r*p, s, p) + dx] = patches[r*p + dx] for dx in [0, p): the inverse of patchifyRow. */
    public static void unpatchifyRow(float[] patches, float[] x, int r, int s, int p) {
        int dst = voxelOfPatchElement(r * p, s, p);
        int src = r * p;
        for (int dx = 0; dx < p; dx++) x[dst + dx] = patches[src + dx];
    }

    /** x[b, 0, z, y, x] = patches[b, t, v], the inverse of {@link #patchify}. */
    public static void unpatchify(float[] patches, float[] x, int batch, int s, int p) {
        check(s, p);
        int rows = batch * s * s * (s / p);
        for (int r = 0; r < rows; r++) unpatchifyRow(patches, x, r, s, p);
    }

    /** Flat superpatch index of element i = (b*N + t)*p^3 + v of the patch tensor. */
    public static int voxelOfPatchElement(int i, int s, int p) {
        int g = s / p;
        int p3 = p * p * p;
        int n = g * g * g;
        int v = i % p3;
        int t = (i / p3) % n;
        int b = i / (p3 * n);
        int dx = v % p, dy = (v / p) % p, dz = v / (p * p);
        int tx = t % g, ty = (t / g) % g, tz = t / (g * g);
        int z = tz * p + dz, y = ty * p + dy, xx = tx * p + dx;
        return ((b * s + z) * s + y) * s + xx;
    }

    private static void check(int s, int p) {
        if (p < 1 || s % p != 0) throw new IllegalArgumentException("superpatch " + s + " is not a multiple of patch " + p);
    }
}
