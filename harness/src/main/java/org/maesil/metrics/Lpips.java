package org.maesil.metrics;

import java.io.IOException;
import java.nio.file.Path;
import org.maesil.tensor.Backend;
import org.maesil.tensor.Conv3dGeometry;

/**
 * LPIPS v0.1 with the AlexNet trunk (Zhang et al. 2018; the {@code lpips} package,
 * {@code LPIPS(net='alex')}), forward only, for grey images in [0, 1]:
 *
 * <pre>
 *   x = ScalingLayer(2 g - 1 replicated to 3 channels)
 *   f_k = k-th ReLU output of AlexNet's features (conv11/4 relu | pool conv5 relu | pool conv3 relu | conv3 relu | conv3 relu)
 *   d(g0, g1) = sum_k mean_{h,w} lin_k((n(f_k(g0)) - n(f_k(g1)))^2),  n = unit length over channels
 * </pre>
 *
 * The convolutions run on the engine's {@link Backend#conv3dForward} as depth-1 3D convolutions
 * (kD = inD = 1); the rest are the static functions of {@link LpipsOps}. Channel widths come
 * from the weights, so a narrow network with the same architecture (the test fixtures) runs
 * through the same code. Images must be at least {@value #MIN_SIDE} pixels on each side (the
 * second max-pool needs a 3x3 input).
 */
public final class Lpips {
    /** Smallest image side the AlexNet trunk accepts. */
    public static final int MIN_SIDE = 31;

    private final LpipsWeights weights;
    private final Backend backend;

    public Lpips(LpipsWeights weights, Backend backend) {
        this.weights = weights;
        this.backend = backend;
    }

    public LpipsWeights weights() { return weights; }

    /**
     * Loads the user's LPIPS weights for real measurements: the pretrained AlexNet widths are
     * required, and when the file records a self-check value (tools/export_lpips_weights.py does)
     * it must be reproduced (see {@link #selfCheck()}).
     */
    public static Lpips loadVerified(Path file, Backend backend) throws IOException {
        Lpips l = new Lpips(LpipsWeights.load(file, true), backend);
        l.selfCheck();
        return l;
    }

    /** Metadata key of the self-check distance in a weights file. */
    public static final String SELFCHECK_KEY = "selfcheck.lpips";
    /** Allowed difference to the recorded self-check value (float32 rounding, other libraries). */
    public static final double SELFCHECK_TOLERANCE = 1e-4;

    /**
     * Recomputes the distance of the two fixed self-check images and compares it with the
     * value the weights file records under {@value #SELFCHECK_KEY}: a checksum of both the
     * file and this implementation. Returns the recomputed value, or NaN when the file records
     * none; throws IOException naming the file when they disagree.
     */
    public double selfCheck() throws IOException {
        String recorded = weights.metadata().get(SELFCHECK_KEY);
        if (recorded == null) return Double.NaN;
        double expected;
        try {
            expected = Double.parseDouble(recorded);
        } catch (NumberFormatException e) {
            throw new IOException("LPIPS weights file " + weights.source() + ": metadata '" + SELFCHECK_KEY
                    + "' is not a number: " + recorded);
        }
        float[][] img = selfCheckImages();
        double got = distance(img[0], img[1], 64, 64);
        if (!(Math.abs(got - expected) <= SELFCHECK_TOLERANCE)) {
            throw new IOException("LPIPS weights file " + weights.source() + ": self-check failed (file records "
                    + expected + ", computed " + got + "): corrupt, or not written by tools/export_lpips_weights.py");
        }
        return got;
    }

    /**
     * The two fixed 64x64 self-check images (as tools/fixtures/make_lpips_fixtures.py's
     * selfcheck_images): a = 0.5 + 0.4 sin(0.3 x) cos(0.2 y), b the same with phase 0.5 added to
     * the sine.
     */
    static float[][] selfCheckImages() {
        float[] a = new float[64 * 64], b = new float[64 * 64];
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                a[y * 64 + x] = (float) (0.5 + 0.4 * Math.sin(x * 0.3) * Math.cos(y * 0.2));
                b[y * 64 + x] = (float) (0.5 + 0.4 * Math.sin(x * 0.3 + 0.5) * Math.cos(y * 0.2));
            }
        }
        return new float[][] {a, b};
    }

    /** Feature maps of one forward pass: per layer, the ReLU output [n, c_k, h_k, w_k]. */
    public record Features(int n, int[] channels, int[] heights, int[] widths, float[][] maps) {
        public int planeSize(int k) { return heights[k] * widths[k]; }
    }

    /** The five ReLU outputs for n grey images [n, h, w] in [0, 1]. */
    public Features features(float[] grey, int n, int h, int w) {
        if (h < MIN_SIDE || w < MIN_SIDE) {
            throw new IllegalArgumentException("LPIPS needs images of at least " + MIN_SIDE + "x" + MIN_SIDE
                    + " pixels (AlexNet's pooling), got " + h + "x" + w);
        }
        if (grey.length != n * h * w) {
            throw new IllegalArgumentException("image array has " + grey.length + " values, not " + n + "x" + h + "x" + w);
        }
        int[] ch = new int[LpipsWeights.LAYERS], hs = new int[LpipsWeights.LAYERS], ws = new int[LpipsWeights.LAYERS];
        float[][] maps = new float[LpipsWeights.LAYERS][];
        float[] x = new float[n * 3 * h * w];
        LpipsOps.greyToScaledRgb(grey, n, h * w, x);
        int c = 3;
        for (int k = 0; k < LpipsWeights.LAYERS; k++) {
            if (k == 1 || k == 2) { // max-pool before the second and third convolutions
                int ph = LpipsOps.pooledSize(h), pw = LpipsOps.pooledSize(w);
                float[] pooled = new float[n * c * ph * pw];
                LpipsOps.maxPool3x3s2(x, n * c, h, w, pooled);
                x = pooled;
                h = ph;
                w = pw;
            }
            int cout = weights.width(k);
            int kk = LpipsWeights.KERNEL[k], s = LpipsWeights.STRIDE[k], p = LpipsWeights.PAD[k];
            Conv3dGeometry g = new Conv3dGeometry(n, c, cout, 1, h, w, 1, kk, kk, 1, s, s, 0, p, p);
            float[] y = new float[g.outputSize()];
            backend.conv3dForward(x, weights.convWeight(k), weights.convBias(k), y, g);
            LpipsOps.relu(y, y.length);
            ch[k] = cout;
            hs[k] = g.outH();
            ws[k] = g.outW();
            maps[k] = y;
            x = y;
            c = cout;
            h = g.outH();
            w = g.outW();
        }
        return new Features(n, ch, hs, ws, maps);
    }

    /**
     * Per-layer LPIPS terms for n image pairs: result[i][k] for pair i and layer k. a and b are
     * [n, h, w] grey images in [0, 1].
     */
    public double[][] layerTerms(float[] a, float[] b, int n, int h, int w) {
        Features fa = features(a, n, h, w);
        Features fb = features(b, n, h, w);
        double[][] terms = new double[n][LpipsWeights.LAYERS];
        for (int k = 0; k < LpipsWeights.LAYERS; k++) {
            int c = fa.channels()[k], hw = fa.planeSize(k);
            LpipsOps.unitNormaliseChannels(fa.maps()[k], n, c, hw);
            LpipsOps.unitNormaliseChannels(fb.maps()[k], n, c, hw);
            for (int i = 0; i < n; i++) {
                terms[i][k] = LpipsOps.linearHeadSpatialMean(fa.maps()[k], fb.maps()[k], weights.linWeight(k), i, c, hw);
            }
        }
        return terms;
    }

    /** LPIPS distance of one pair of grey images [h, w] in [0, 1]. */
    public double distance(float[] a, float[] b, int h, int w) {
        double d = 0;
        for (double t : layerTerms(a, b, 1, h, w)[0]) d += t;
        return d;
    }

    /** Volume LPIPS: the mean over slices along each axis, and the mean of the three. */
    public record VolumeResult(double mean, double axial, double coronal, double sagittal) {}

    /**
     * LPIPS of two volumes (index x + nx*(y + ny*z)), slice by slice along the three axes:
     * axial slices z (rows y, columns x), coronal slices y (rows z, columns x), sagittal slices x
     * (rows z, columns y); mean over the slices of each axis, then over the three axes.
     * {@code sliceStep} > 1 scores every sliceStep-th slice only (1: all).
     */
    public VolumeResult volume(float[] a, float[] b, int nx, int ny, int nz, int sliceStep) {
        if (a.length != b.length || (long) nx * ny * nz != a.length) {
            throw new IllegalArgumentException("volumes must both have " + nx + "x" + ny + "x" + nz + " voxels");
        }
        if (sliceStep < 1) throw new IllegalArgumentException("slice step must be >= 1");
        double axial = axisMean(a, b, nx, ny, nz, 2, sliceStep);
        double coronal = axisMean(a, b, nx, ny, nz, 1, sliceStep);
        double sagittal = axisMean(a, b, nx, ny, nz, 0, sliceStep);
        return new VolumeResult((axial + coronal + sagittal) / 3, axial, coronal, sagittal);
    }

    /** Slices scored per batch of convolutions (bounds the memory of the feature maps). */
    static final int SLICE_BATCH = 16;

    /** Mean LPIPS over the slices perpendicular to axis (0 = x, 1 = y, 2 = z), in batches of slices. */
    private double axisMean(float[] a, float[] b, int nx, int ny, int nz, int axis, int step) {
        int count = axis == 2 ? nz : axis == 1 ? ny : nx;
        int rows = axis == 2 ? ny : nz;
        int cols = axis == 0 ? ny : nx;
        int plane = rows * cols;
        int total = (count + step - 1) / step;
        double sum = 0;
        for (int first = 0; first < total; first += SLICE_BATCH) {
            int n = Math.min(SLICE_BATCH, total - first);
            float[] sa = new float[n * plane], sb = new float[n * plane];
            float[] buf = new float[plane];
            for (int i = 0; i < n; i++) {
                int s = (first + i) * step;
                slice(a, nx, ny, axis, s, rows, cols, buf);
                System.arraycopy(buf, 0, sa, i * plane, plane);
                slice(b, nx, ny, axis, s, rows, cols, buf);
                System.arraycopy(buf, 0, sb, i * plane, plane);
            }
            for (double[] terms : layerTerms(sa, sb, n, rows, cols)) {
                for (double t : terms) sum += t;
            }
        }
        return sum / total;
    }

    /** Copies slice s perpendicular to axis into out [rows, cols] (see {@link #volume}). */
    static void slice(float[] v, int nx, int ny, int axis, int s, int rows, int cols, float[] out) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int x, y, z;
                if (axis == 2) { z = s; y = r; x = c; }
                else if (axis == 1) { y = s; z = r; x = c; }
                else { x = s; z = r; y = c; }
                out[r * cols + c] = v[x + nx * (y + ny * z)];
            }
        }
    }
}
