package org.maesil.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class PreprocessTest {
    @Test
    void windowMapsHuToUnitInterval() {
        float[] v = {-2000, -175, 37.5f, 250, 3000};
        Preprocess.windowInPlace(v, -175, 250);
        assertThat(v).containsExactly(0f, 0f, 0.5f, 1f, 1f);
        assertThat(Preprocess.unwindow(0.5f, -175, 250)).isEqualTo(37.5f);
    }

    /** A linear function of patient position is reproduced exactly by trilinear resampling, away from the edges. */
    @Test
    void resamplingReproducesALinearFunctionOfPosition() {
        int nx = 20, ny = 16, nz = 9;
        double[] sp = {0.8, 1.1, 2.5};
        double[] aff = {-0.8, 0, 0, 30, 0, -1.1, 0, 12, 0, 0, 2.5, -40, 0, 0, 0, 1};
        float[] d = new float[nx * ny * nz];
        for (int z = 0; z < nz; z++) {
            for (int y = 0; y < ny; y++) {
                for (int x = 0; x < nx; x++) d[x + nx * (y + ny * z)] = (float) f(world(aff, x, y, z));
            }
        }
        Volume v = new Volume(d, nx, ny, nz, sp, aff, "linear");
        Volume r = Preprocess.resample(v, new double[] {1.5, 0.7, 1.0});
        assertThat(new int[] {r.nx, r.ny, r.nz}).containsExactly(11, 25, 23);
        assertThat(r.spacing).containsExactly(1.5, 0.7, 1.0);
        int checked = 0;
        for (int z = 0; z < r.nz; z++) {
            for (int y = 0; y < r.ny; y++) {
                for (int x = 0; x < r.nx; x++) {
                    // only where the sample lies inside the input grid (no edge clamping)
                    double cx = (x + 0.5) * 1.5 / 0.8 - 0.5, cy = (y + 0.5) * 0.7 / 1.1 - 0.5, cz = (z + 0.5) * 1.0 / 2.5 - 0.5;
                    if (cx < 0 || cy < 0 || cz < 0 || cx > nx - 1 || cy > ny - 1 || cz > nz - 1) continue;
                    assertThat((double) r.get(x, y, z)).isCloseTo(f(world(r.affine, x, y, z)), within(2e-3));
                    checked++;
                }
            }
        }
        assertThat(checked).isGreaterThan(r.size() / 2);
        assertThat(Preprocess.resample(v, sp)).isSameAs(v);
        assertThat(Preprocess.resample(v, null)).isSameAs(v);
    }

    static double f(double[] p) {
        return 3 + 0.5 * p[0] - 1.25 * p[1] + 2 * p[2];
    }

    static double[] world(double[] a, double i, double j, double k) {
        return new double[] {
                a[0] * i + a[1] * j + a[2] * k + a[3],
                a[4] * i + a[5] * j + a[6] * k + a[7],
                a[8] * i + a[9] * j + a[10] * k + a[11]};
    }

    @Test
    void padAndCropKeepVoxelsAtTheirPatientPositions() {
        int n = 5;
        float[] d = new float[n * n * n];
        for (int i = 0; i < d.length; i++) d[i] = i + 1;
        double[] aff = {-1, 0, 0, 10, 0, -2, 0, 20, 0, 0, 3, 30, 0, 0, 0, 1};
        Volume v = new Volume(d, n, n, n, new double[] {1, 2, 3}, aff, "cube");
        Volume p = Preprocess.padToMultiple(v, 4, 0f);
        assertThat(new int[] {p.nx, p.ny, p.nz}).containsExactly(8, 8, 8);
        Volume c = Preprocess.cropOrPad(v, 3, 7, 5, -1f);
        for (Volume out : new Volume[] {p, c}) {
            int kept = 0;
            for (int z = 0; z < out.nz; z++) {
                for (int y = 0; y < out.ny; y++) {
                    for (int x = 0; x < out.nx; x++) {
                        double[] w = world(out.affine, x, y, z);
                        // the source voxel at the same position
                        int sx = (int) Math.round((w[0] - 10) / -1), sy = (int) Math.round((w[1] - 20) / -2), sz = (int) Math.round((w[2] - 30) / 3);
                        float val = out.get(x, y, z);
                        if (sx >= 0 && sx < n && sy >= 0 && sy < n && sz >= 0 && sz < n) {
                            assertThat(val).isEqualTo(v.get(sx, sy, sz));
                            kept++;
                        } else {
                            assertThat(val).isEqualTo(out == p ? 0f : -1f);
                        }
                    }
                }
            }
            assertThat(kept).isEqualTo(out == p ? 125 : 3 * 5 * 5);
        }
    }

    @Test
    void cuttingAndReassemblingIsTheIdentity() {
        int s = 4;
        Volume v = Volume.of(new float[8 * 12 * 4], 8, 12, 4, new double[] {1, 1, 1}, "grid");
        for (int i = 0; i < v.size(); i++) v.voxels[i] = i * 0.5f;
        assertThat(Superpatches.grid(8, 12, 4, s)).containsExactly(2, 3, 1);
        float[][] parts = Superpatches.cutAll(v, s);
        assertThat(parts).hasNumberOfRows(6);
        // z, y, x order: superpatch 1 is the x neighbour of 0, superpatch 2 starts at y = 4
        assertThat(parts[1][0]).isEqualTo(v.get(4, 0, 0));
        assertThat(parts[2][0]).isEqualTo(v.get(0, 4, 0));
        assertThat(parts[5][1 + s * (2 + s * 3)]).isEqualTo(v.get(4 + 1, 8 + 2, 3));
        Volume back = Superpatches.assemble(parts, v, s);
        assertThat(back.voxels).containsExactly(v.voxels);
        float[] empty = new float[64];
        assertThat(Preprocess.nearlyEmpty(empty, 0.05)).isTrue();
        java.util.Arrays.fill(empty, 0.06f);
        assertThat(Preprocess.nearlyEmpty(empty, 0.05)).isFalse();
    }
}
