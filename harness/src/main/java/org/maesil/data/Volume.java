package org.maesil.data;

import java.util.Arrays;

/**
 * A 3D scalar volume: {@code voxels[x + nx * (y + ny * z)]} (x fastest), voxel sizes in mm
 * along x, y, z, and a 4x4 affine (row-major, 16 doubles) mapping voxel indices (i, j, k, 1) to
 * patient coordinates in mm in the NIfTI convention <b>RAS+</b>: the first world axis increases
 * towards the patient's Right, the second towards Anterior, the third towards Superior (DICOM's
 * LPS+ with x and y negated). {@link #axisCodes()} names the direction each voxel axis points to.
 *
 * <p>Values are Hounsfield units when read from CT (NIfTI after scl_slope/scl_inter, DICOM after
 * RescaleSlope/RescaleIntercept), or intensities in [0, 1] after {@link Preprocess#window}.
 */
public final class Volume {
    public final float[] voxels;
    public final int nx, ny, nz;
    /** Voxel size in mm along x, y, z (always positive). */
    public final double[] spacing;
    /** Voxel (i, j, k) to RAS+ mm, row-major 4x4. */
    public final double[] affine;
    /** Free text: where the volume came from (file, series, generator). */
    public final String description;

    public Volume(float[] voxels, int nx, int ny, int nz, double[] spacing, double[] affine, String description) {
        if (nx < 1 || ny < 1 || nz < 1) {
            throw new IllegalArgumentException("volume dimensions must be positive: " + nx + "x" + ny + "x" + nz);
        }
        if ((long) nx * ny * nz != voxels.length) {
            throw new IllegalArgumentException("volume " + nx + "x" + ny + "x" + nz + " needs "
                    + ((long) nx * ny * nz) + " voxels, got " + voxels.length);
        }
        if (spacing.length != 3 || affine.length != 16) {
            throw new IllegalArgumentException("spacing needs 3 values and affine 16");
        }
        for (double s : spacing) {
            if (!(s > 0) || Double.isInfinite(s)) {
                throw new IllegalArgumentException("voxel spacing must be positive and finite: " + Arrays.toString(spacing));
            }
        }
        this.voxels = voxels;
        this.nx = nx;
        this.ny = ny;
        this.nz = nz;
        this.spacing = spacing.clone();
        this.affine = affine.clone();
        this.description = description == null ? "" : description;
    }

    /** A volume with a diagonal affine (voxel (0,0,0) at the origin, axes along +R, +A, +S). */
    public static Volume of(float[] voxels, int nx, int ny, int nz, double[] spacing, String description) {
        return new Volume(voxels, nx, ny, nz, spacing, diagonalAffine(spacing), description);
    }

    public static double[] diagonalAffine(double[] spacing) {
        return new double[] {
                spacing[0], 0, 0, 0,
                0, spacing[1], 0, 0,
                0, 0, spacing[2], 0,
                0, 0, 0, 1};
    }

    public int size() {
        return voxels.length;
    }

    public int index(int x, int y, int z) {
        return x + nx * (y + ny * z);
    }

    public float get(int x, int y, int z) {
        return voxels[x + nx * (y + ny * z)];
    }

    /** Same geometry, other voxels (same length). */
    public Volume withVoxels(float[] newVoxels, String newDescription) {
        return new Volume(newVoxels, nx, ny, nz, spacing, affine, newDescription);
    }

    /** {min, max, mean} of the voxels. */
    public double[] range() {
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float v : voxels) {
            if (v < min) min = v;
            if (v > max) max = v;
            sum += v;
        }
        return new double[] {min, max, sum / voxels.length};
    }

    /**
     * Orientation as three letters, one per voxel axis (i, j, k): the RAS+ world direction the
     * axis points to most, e.g. "LPS" for a DICOM-style axial CT stored row by row.
     */
    public String axisCodes() {
        return axisCodes(affine);
    }

    static String axisCodes(double[] affine) {
        StringBuilder sb = new StringBuilder(3);
        for (int c = 0; c < 3; c++) {
            int best = 0;
            double bestAbs = -1;
            for (int r = 0; r < 3; r++) {
                double a = Math.abs(affine[4 * r + c]);
                if (a > bestAbs) {
                    bestAbs = a;
                    best = r;
                }
            }
            boolean positive = affine[4 * best + c] >= 0;
            sb.append(switch (best) {
                case 0 -> positive ? 'R' : 'L';
                case 1 -> positive ? 'A' : 'P';
                default -> positive ? 'S' : 'I';
            });
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return nx + "x" + ny + "x" + nz + " spacing " + Arrays.toString(spacing) + " " + axisCodes()
                + (description.isEmpty() ? "" : " (" + description + ")");
    }
}
