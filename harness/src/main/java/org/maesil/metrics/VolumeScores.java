package org.maesil.metrics;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The scores of one reconstruction against its reference, both on [0, 1] (DESIGN.md,
 * "Evaluation protocol"): PSNR, 3D SSIM, 2D slice-wise SSIM, and LPIPS when weights were given.
 *
 * @param psnr     dB; +Infinity for identical inputs
 * @param lpips    mean over the three axes, or null when not computed ({@link #lpipsNote} says why)
 * @param lpipsNote null when LPIPS was computed, else the sentence shown in its place
 */
public record VolumeScores(double psnr, double ssim3d, double ssim2d,
                           Double lpips, Double lpipsAxial, Double lpipsCoronal, Double lpipsSagittal,
                           String lpipsNote) {

    /** Metric names used in aggregation tables and JSON. */
    public static final String PSNR = "psnr", SSIM3D = "ssim3d", SSIM2D = "ssim2d", LPIPS = "lpips";

    /**
     * Scores two volumes of nx*ny*nz voxels (index x + nx*(y + ny*z)). lpips may be null (no
     * weights); LPIPS is then reported as not computed, as it is for volumes smaller than
     * {@link Lpips#MIN_SIDE} on an axis. lpipsSliceStep 1 scores every slice.
     */
    public static VolumeScores score(float[] reference, float[] reconstruction, int nx, int ny, int nz,
                                     Lpips lpips, int lpipsSliceStep) {
        if (reference.length != reconstruction.length) {
            throw new IllegalArgumentException("volumes differ in size: " + reference.length + " vs "
                    + reconstruction.length + " voxels");
        }
        double psnr = Psnr.psnr(reference, reconstruction);
        double s3 = Ssim.ssim3d(reference, reconstruction, nx, ny, nz);
        double s2 = Ssim.ssim2dSliceMean(reference, reconstruction, nx, ny, nz);
        if (lpips == null) {
            return new VolumeScores(psnr, s3, s2, null, null, null, null, LpipsWeights.NOT_COMPUTED);
        }
        if (Math.min(nx, Math.min(ny, nz)) < Lpips.MIN_SIDE) {
            return new VolumeScores(psnr, s3, s2, null, null, null, null,
                    "LPIPS not computed (volume " + nx + "x" + ny + "x" + nz + " is smaller than "
                            + Lpips.MIN_SIDE + " voxels on an axis)");
        }
        Lpips.VolumeResult l = lpips.volume(reference, reconstruction, nx, ny, nz, lpipsSliceStep);
        return new VolumeScores(psnr, s3, s2, l.mean(), l.axial(), l.coronal(), l.sagittal(), null);
    }

    /** The computed metrics by name (LPIPS only when computed), for aggregation. */
    public Map<String, Double> asMap() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(PSNR, psnr);
        m.put(SSIM3D, ssim3d);
        m.put(SSIM2D, ssim2d);
        if (lpips != null) m.put(LPIPS, lpips);
        return m;
    }
}
