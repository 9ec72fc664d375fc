package org.maesil.model;

/**
 * Fixed 3D sine-cosine positional embeddings for a g x g x g token grid (not trained).
 *
 * <p>The width W (even, at least 6) is split in three consecutive parts for the z, y and x
 * coordinates of a token: dz = dy = 2*floor(W/6) and dx = W - dz - dy (x takes the remainder,
 * so any even width works; for W divisible by 6 the parts are equal, as in common 3D MAE code).
 * Each part of width d encodes one integer coordinate c as in MAE's
 * {@code get_1d_sincos_pos_embed_from_grid}: with h = d/2 and omega_i = 1 / 10000^(i/h),
 * the part is [sin(c*omega_0..h-1), cos(c*omega_0..h-1)]. Row t of the table (token
 * t = (z*g + y)*g + x) is [part(z) | part(y) | part(x)]. Computed in double, stored as float.
 */
public final class PositionalEmbedding3d {
    private PositionalEmbedding3d() {}

    /** The [g^3, width] table. */
    public static float[] table(int g, int width) {
        if (width < 6 || width % 2 != 0) throw new IllegalArgumentException("positional width must be even and >= 6, got " + width);
        int dz = 2 * (width / 6);
        int dx = width - 2 * dz;
        int n = g * g * g;
        float[] out = new float[n * width];
        for (int t = 0; t < n; t++) {
            int x = t % g, y = (t / g) % g, z = t / (g * g);
            int row = t * width;
            encode(z, dz, out, row);
            encode(y, dz, out, row + dz);
            encode(x, dx, out, row + 2 * dz);
        }
        return out;
    }

    /** out[off + i] = sin(c * omega_i), out[off + h + i] = cos(c * omega_i), i < h = d/2. */
    private static void encode(int c, int d, float[] out, int off) {
        int h = d / 2;
        for (int i = 0; i < h; i++) {
            double omega = 1.0 / Math.pow(10000.0, (double) i / h);
            out[off + i] = (float) Math.sin(c * omega);
            out[off + h + i] = (float) Math.cos(c * omega);
        }
    }
}
