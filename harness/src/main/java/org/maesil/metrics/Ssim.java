package org.maesil.metrics;

import java.util.stream.IntStream;

/**
 * Structural similarity (Wang et al. 2004) as DESIGN.md defines it and as scikit-image computes
 * it with {@code structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
 * use_sample_covariance=False, data_range=1)}:
 *
 * <pre>
 *   mu_a = G * a,  mu_b = G * b,  s_aa = G * a^2 - mu_a^2,  s_bb = G * b^2 - mu_b^2,  s_ab = G * ab - mu_a mu_b
 *   S = (2 mu_a mu_b + C1)(2 s_ab + C2) / ((mu_a^2 + mu_b^2 + C1)(s_aa + s_bb + C2)),  C1 = (K1 L)^2, C2 = (K2 L)^2
 *   SSIM = mean of S over the volume without its border of width r
 * </pre>
 *
 * G is a separable, normalised Gaussian of sigma 1.5 truncated at 3.5 sigma: radius
 * r = int(3.5 * 1.5 + 0.5) = 5, so 11 taps (scipy.ndimage's rule, which skimage uses to pick
 * truncate = 3.5). K1 = 0.01, K2 = 0.03, data range L = 1; population covariance.
 *
 * <p>Boundary: skimage filters with scipy's mode 'reflect' and then drops the border of width r
 * before averaging. Every filtered value inside the kept region reads only voxels inside the
 * volume (the window never leaves it), so the boundary mode cannot change the result; this class
 * therefore computes only the kept region, plane by plane, in double precision, which keeps
 * memory at a few planes even for 512^3 volumes.
 *
 * <p>Layout: a volume is a float[] with index x + nx*(y + ny*z) (numpy shape [nz, ny, nx]).
 * "3D" filters along x, y and z; "2D slice-wise" computes the 2D SSIM of every axial slice
 * (fixed z) and averages the slices.
 */
public final class Ssim {
    private Ssim() {}

    public static final double SIGMA = 1.5;
    public static final double TRUNCATE = 3.5;
    public static final double K1 = 0.01;
    public static final double K2 = 0.03;
    public static final double DATA_RANGE = 1.0;
    /** Window radius, scipy's rule int(truncate * sigma + 0.5) = 5. */
    public static final int RADIUS = (int) (TRUNCATE * SIGMA + 0.5);
    /** Window size 2r + 1 = 11: the smallest extent an axis may have. */
    public static final int WINDOW = 2 * RADIUS + 1;

    private static final double[] TAPS = gaussianTaps(SIGMA, RADIUS);
    private static final double C1 = (K1 * DATA_RANGE) * (K1 * DATA_RANGE);
    private static final double C2 = (K2 * DATA_RANGE) * (K2 * DATA_RANGE);

    /** Normalised Gaussian taps w[j] = exp(-x^2 / (2 sigma^2)) / sum, x = j - r, j in [0, 2r]. */
    public static double[] gaussianTaps(double sigma, int radius) {
        double[] w = new double[2 * radius + 1];
        double sum = 0;
        for (int j = 0; j < w.length; j++) {
            double x = j - radius;
            w[j] = Math.exp(-0.5 / (sigma * sigma) * x * x);
            sum += w[j];
        }
        for (int j = 0; j < w.length; j++) w[j] /= sum;
        return w;
    }

    /** 3D SSIM of two volumes [nz, ny, nx]. */
    public static double ssim3d(float[] reference, float[] reconstruction, int nx, int ny, int nz) {
        checkShape(reference, reconstruction, nx, ny, nz, true);
        return meanOverPlanes(reference, reconstruction, nx, ny, nz, RADIUS, nz - RADIUS, RADIUS);
    }

    /** Mean over axial slices (fixed z) of the 2D SSIM of each slice. */
    public static double ssim2dSliceMean(float[] reference, float[] reconstruction, int nx, int ny, int nz) {
        checkShape(reference, reconstruction, nx, ny, nz, false);
        return meanOverPlanes(reference, reconstruction, nx, ny, nz, 0, nz, 0);
    }

    /** 2D SSIM of one image [ny, nx]. */
    public static double ssim2d(float[] reference, float[] reconstruction, int nx, int ny) {
        return ssim2dSliceMean(reference, reconstruction, nx, ny, 1);
    }

    /**
     * Mean of the per-plane SSIM means for output planes z in [z0, z1); rz is the radius of the
     * filter along z (0: no filtering along z, the 2D case). Every plane keeps the same number of
     * voxels, so the mean of plane means is the mean over all kept voxels.
     */
    private static double meanOverPlanes(float[] a, float[] b, int nx, int ny, int nz, int z0, int z1, int rz) {
        double[] planeMean = new double[z1 - z0];
        IntStream.range(z0, z1).parallel()
                .forEach(z -> planeMean[z - z0] = planeSsimMean(a, b, nx, ny, z, rz));
        double sum = 0;
        for (double m : planeMean) sum += m; // fixed order: independent of the thread count
        return sum / planeMean.length;
    }

    /**
     * Mean of the SSIM map over the kept region of output plane z: filter the five moments
     * along z (radius rz), then along y, then along x (the order scipy's gaussian_filter uses).
     */
    private static double planeSsimMean(float[] a, float[] b, int nx, int ny, int z, int rz) {
        int plane = nx * ny;
        double[] m = new double[5 * plane];   // z-filtered a, b, a^2, b^2, ab
        double[] my = new double[5 * plane];  // then filtered along y (rows r..ny-r-1)
        for (int t = -rz; t <= rz; t++) {
            double wt = rz == 0 ? 1.0 : TAPS[t + RADIUS];
            int src = (z + t) * plane;
            for (int p = 0; p < plane; p++) {
                double va = a[src + p], vb = b[src + p];
                m[p] += wt * va;
                m[plane + p] += wt * vb;
                m[2 * plane + p] += wt * va * va;
                m[3 * plane + p] += wt * vb * vb;
                m[4 * plane + p] += wt * va * vb;
            }
        }
        int r = RADIUS;
        for (int q = 0; q < 5; q++) {
            int off = q * plane;
            for (int y = r; y < ny - r; y++) {
                for (int x = 0; x < nx; x++) my[off + y * nx + x] = correlateY(m, off, nx, x, y);
            }
        }
        double sum = 0;
        for (int y = r; y < ny - r; y++) {
            for (int x = r; x < nx - r; x++) {
                double muA = correlateX(my, 0, nx, x, y);
                double muB = correlateX(my, plane, nx, x, y);
                double eAA = correlateX(my, 2 * plane, nx, x, y);
                double eBB = correlateX(my, 3 * plane, nx, x, y);
                double eAB = correlateX(my, 4 * plane, nx, x, y);
                sum += ssimOfMoments(muA, muB, eAA - muA * muA, eBB - muB * muB, eAB - muA * muB);
            }
        }
        return sum / ((double) (ny - 2 * r) * (nx - 2 * r));
    }

    /** sum_j w[j] v[off + (y + j - r) nx + x]: the Gaussian along y at (x, y). */
    private static double correlateY(double[] v, int off, int nx, int x, int y) {
        double s = 0;
        for (int j = 0; j < TAPS.length; j++) s += TAPS[j] * v[off + (y + j - RADIUS) * nx + x];
        return s;
    }

    /** sum_j w[j] v[off + y nx + x + j - r]: the Gaussian along x at (x, y). */
    private static double correlateX(double[] v, int off, int nx, int x, int y) {
        double s = 0;
        int row = off + y * nx + x - RADIUS;
        for (int j = 0; j < TAPS.length; j++) s += TAPS[j] * v[row + j];
        return s;
    }

    /** S = (2 mu_a mu_b + C1)(2 s_ab + C2) / ((mu_a^2 + mu_b^2 + C1)(s_aa + s_bb + C2)). */
    static double ssimOfMoments(double muA, double muB, double varA, double varB, double cov) {
        return (2 * muA * muB + C1) * (2 * cov + C2) / ((muA * muA + muB * muB + C1) * (varA + varB + C2));
    }

    private static void checkShape(float[] a, float[] b, int nx, int ny, int nz, boolean threeD) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("volumes differ in size: " + a.length + " vs " + b.length + " voxels");
        }
        if ((long) nx * ny * nz != a.length) {
            throw new IllegalArgumentException("volume has " + a.length + " voxels, not " + nx + "x" + ny + "x" + nz);
        }
        if (nx < WINDOW || ny < WINDOW || (threeD && nz < WINDOW)) {
            throw new IllegalArgumentException("SSIM needs every " + (threeD ? "" : "in-slice ") + "axis to be at least "
                    + WINDOW + " voxels (the Gaussian window), got " + nx + "x" + ny + "x" + nz);
        }
    }
}
