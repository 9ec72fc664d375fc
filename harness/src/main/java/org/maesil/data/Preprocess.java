package org.maesil.data;

/**
 * CT preprocessing, in the order the pipeline applies it: Hounsfield window to [0, 1]
 * ({@link #window}), trilinear resampling to a target spacing ({@link #resample}), and padding or
 * cropping to a multiple of the superpatch size ({@link #padToMultiple}, {@link #cropOrPad}).
 * Padding uses the window's low end, which is 0 after windowing. Cutting into superpatches is
 * {@link Superpatches}.
 */
public final class Preprocess {
    private Preprocess() {}

    /** The default HU window (the paper's authors' code): soft-tissue abdomen. */
    public static final double DEFAULT_WINDOW_LO = -175, DEFAULT_WINDOW_HI = 250;

    /** Near-empty threshold on the mean of a windowed superpatch. */
    public static final double DEFAULT_EMPTY_THRESHOLD = 0.05;

    /** v' = clamp((v - lo) / (hi - lo), 0, 1), in place. */
    public static void windowInPlace(float[] v, double lo, double hi) {
        if (!(hi > lo)) throw new IllegalArgumentException("window [" + lo + ", " + hi + "] needs lo < hi");
        double range = hi - lo;
        for (int i = 0; i < v.length; i++) {
            double w = (v[i] - lo) / range;
            v[i] = w < 0 ? 0f : (w > 1 ? 1f : (float) w);
        }
    }

    /** A windowed copy of the volume, values in [0, 1]. */
    public static Volume window(Volume v, double lo, double hi) {
        float[] out = v.voxels.clone();
        windowInPlace(out, lo, hi);
        return v.withVoxels(out, v.description + " window [" + fmt(lo) + ", " + fmt(hi) + "]");
    }

    /** HU back from a windowed value (inverse of the window inside it): lo + w * (hi - lo). */
    public static float unwindow(float w, double lo, double hi) {
        return (float) (lo + w * (hi - lo));
    }

    /**
     * Trilinear resampling to {@code target} spacing (mm, x/y/z). The output has
     * round(n * spacing / target) voxels per axis (at least 1) and covers the same extent: output
     * voxel i samples the input at the continuous index (i + 0.5) * target / spacing - 0.5
     * (voxel centres of both grids share the extent's edges), clamped to the input (edge values
     * repeat). A null target, or one equal to the spacing, returns the volume unchanged.
     */
    public static Volume resample(Volume v, double[] target) {
        if (target == null) return v;
        if (target.length != 3) throw new IllegalArgumentException("target spacing needs 3 values");
        boolean same = true;
        for (int a = 0; a < 3; a++) {
            if (!(target[a] > 0)) throw new IllegalArgumentException("target spacing must be positive: " + target[a]);
            if (Math.abs(target[a] - v.spacing[a]) > 1e-9 * v.spacing[a]) same = false;
        }
        if (same) return v;
        int[] n = {v.nx, v.ny, v.nz};
        int[] m = new int[3];
        double[] scale = new double[3];
        for (int a = 0; a < 3; a++) {
            m[a] = (int) Math.max(1, Math.round(n[a] * v.spacing[a] / target[a]));
            scale[a] = target[a] / v.spacing[a];
        }
        long total = (long) m[0] * m[1] * m[2];
        if (total > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("resampled volume too large: " + m[0] + "x" + m[1] + "x" + m[2]);
        // per-axis sample positions: lower index and weight of the upper neighbour
        int[][] lo = new int[3][];
        float[][] wt = new float[3][];
        for (int a = 0; a < 3; a++) {
            lo[a] = new int[m[a]];
            wt[a] = new float[m[a]];
            for (int i = 0; i < m[a]; i++) {
                double p = (i + 0.5) * scale[a] - 0.5;
                p = Math.max(0, Math.min(n[a] - 1, p));
                int i0 = (int) Math.floor(p);
                if (i0 >= n[a] - 1) i0 = Math.max(0, n[a] - 2);
                lo[a][i] = i0;
                wt[a][i] = n[a] == 1 ? 0f : (float) (p - i0);
            }
        }
        float[] out = new float[(int) total];
        int mx = m[0], my = m[1], mz = m[2];
        for (int z = 0; z < mz; z++) {
            for (int y = 0; y < my; y++) {
                for (int x = 0; x < mx; x++) {
                    out[x + mx * (y + my * z)] = trilinear(v.voxels, v.nx, v.ny, v.nz,
                            lo[0][x], lo[1][y], lo[2][z], wt[0][x], wt[1][y], wt[2][z]);
                }
            }
        }
        double[] aff = v.affine.clone();
        for (int a = 0; a < 3; a++) {
            // the voxel centre of output index 0 sits at input index 0.5*scale - 0.5
            double shift = 0.5 * scale[a] - 0.5;
            for (int r = 0; r < 3; r++) {
                aff[4 * r + 3] += v.affine[4 * r + a] * shift;
            }
        }
        for (int a = 0; a < 3; a++) {
            for (int r = 0; r < 3; r++) aff[4 * r + a] = v.affine[4 * r + a] * scale[a];
        }
        return new Volume(out, mx, my, mz, target.clone(), aff, v.description + " resampled");
    }

    /** One trilinear sample: the 8 neighbours from (x0, y0, z0), weights wx, wy, wz of the upper ones. */
    static float trilinear(float[] v, int nx, int ny, int nz, int x0, int y0, int z0, float wx, float wy, float wz) {
        int x1 = Math.min(x0 + 1, nx - 1), y1 = Math.min(y0 + 1, ny - 1), z1 = Math.min(z0 + 1, nz - 1);
        int r00 = nx * (y0 + ny * z0), r10 = nx * (y1 + ny * z0), r01 = nx * (y0 + ny * z1), r11 = nx * (y1 + ny * z1);
        float c00 = v[r00 + x0] + wx * (v[r00 + x1] - v[r00 + x0]);
        float c10 = v[r10 + x0] + wx * (v[r10 + x1] - v[r10 + x0]);
        float c01 = v[r01 + x0] + wx * (v[r01 + x1] - v[r01 + x0]);
        float c11 = v[r11 + x0] + wx * (v[r11 + x1] - v[r11 + x0]);
        float c0 = c00 + wy * (c10 - c00);
        float c1 = c01 + wy * (c11 - c01);
        return c0 + wz * (c1 - c0);
    }

    /** The size after {@link #padToMultiple}: n rounded up to a multiple of s. */
    public static int roundUp(int n, int s) {
        return (n + s - 1) / s * s;
    }

    /** Pads every axis up to the next multiple of {@code s} (centred), filling with {@code padValue}. */
    public static Volume padToMultiple(Volume v, int s, float padValue) {
        return cropOrPad(v, roundUp(v.nx, s), roundUp(v.ny, s), roundUp(v.nz, s), padValue);
    }

    /**
     * Crops or pads each axis to the given size, centred (when the difference is odd the extra
     * voxel goes to the high end), filling new voxels with {@code padValue}. The affine moves so
     * that every kept voxel keeps its patient position.
     */
    public static Volume cropOrPad(Volume v, int mx, int my, int mz, float padValue) {
        if (mx < 1 || my < 1 || mz < 1) throw new IllegalArgumentException("target size must be positive");
        if (mx == v.nx && my == v.ny && mz == v.nz) return v;
        int ox = offset(v.nx, mx), oy = offset(v.ny, my), oz = offset(v.nz, mz);
        long total = (long) mx * my * mz;
        if (total > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("padded volume too large");
        float[] out = new float[(int) total];
        if (padValue != 0f) java.util.Arrays.fill(out, padValue);
        for (int z = 0; z < mz; z++) {
            int sz = z - oz;
            if (sz < 0 || sz >= v.nz) continue;
            for (int y = 0; y < my; y++) {
                int sy = y - oy;
                if (sy < 0 || sy >= v.ny) continue;
                int x0 = Math.max(0, ox), x1 = Math.min(mx, v.nx + ox);
                if (x1 > x0) System.arraycopy(v.voxels, (x0 - ox) + v.nx * (sy + v.ny * sz), out, x0 + mx * (y + my * z), x1 - x0);
            }
        }
        double[] aff = v.affine.clone();
        for (int r = 0; r < 3; r++) {
            aff[4 * r + 3] -= v.affine[4 * r] * ox + v.affine[4 * r + 1] * oy + v.affine[4 * r + 2] * oz;
        }
        return new Volume(out, mx, my, mz, v.spacing, aff, v.description + " cropped/padded to " + mx + "x" + my + "x" + mz);
    }

    /** Where the source starts in the target: positive when padding, negative when cropping. */
    static int offset(int n, int m) {
        return Math.floorDiv(m - n, 2);
    }

    /** True when the mean of the values is below {@code threshold} (an almost empty superpatch). */
    public static boolean nearlyEmpty(float[] values, double threshold) {
        double sum = 0;
        for (float f : values) sum += f;
        return sum / values.length < threshold;
    }

    /**
     * The whole pipeline for one CT volume in HU: window, resample to {@code targetSpacing} (null:
     * keep), pad to a multiple of {@code superpatch}. The result has values in [0, 1].
     */
    public static Volume prepare(Volume hu, double lo, double hi, double[] targetSpacing, int superpatch) {
        Volume w = window(hu, lo, hi);
        Volume r = resample(w, targetSpacing);
        return padToMultiple(r, superpatch, 0f);
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
