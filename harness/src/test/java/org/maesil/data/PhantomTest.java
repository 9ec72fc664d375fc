package org.maesil.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PhantomTest {
    @Test
    void sameSeedSameVolumeOtherSeedOtherVolume() {
        for (String region : Phantom.REGIONS) {
            Volume a = Phantom.generate(region, 32, 5);
            Volume b = Phantom.generate(region, 32, 5);
            Volume c = Phantom.generate(region, 32, 6);
            assertThat(a.voxels).containsExactly(b.voxels);
            double diff = 0;
            for (int i = 0; i < a.size(); i++) diff += Math.abs(a.voxels[i] - c.voxels[i]);
            assertThat(diff / a.size()).as(region).isGreaterThan(20); // more than noise: anatomy moved
        }
    }

    /** Mean and standard deviation of a cube of (2r+1)^3 voxels around a point given in phantom mm. */
    static double[] sample(Volume v, String region, long seed, double u, double vv, double w, int r) {
        int[] ijk = Phantom.voxelOf(region, v.nx, seed, u, vv, w);
        double sum = 0, sq = 0;
        int n = 0;
        for (int k = -r; k <= r; k++) {
            for (int j = -r; j <= r; j++) {
                for (int i = -r; i <= r; i++) {
                    double x = v.get(ijk[0] + i, ijk[1] + j, ijk[2] + k);
                    sum += x;
                    sq += x * x;
                    n++;
                }
            }
        }
        double m = sum / n;
        return new double[] {m, Math.sqrt(Math.max(0, sq / n - m * m))};
    }

    @Test
    void tissuesHaveCtValues() {
        for (long seed = 1; seed <= 3; seed++) {
            Volume ab = Phantom.generate("abdomen", 96, seed);
            Phantom.Anatomy a = new Phantom.Anatomy(seed);
            // air outside the body: -1000 with scanner noise of 10..22 HU
            double[] air = sample(ab, "abdomen", seed, -185, -185, 300, 2);
            assertThat(air[0]).isBetween(-1010.0, -990.0);
            assertThat(air[1]).isBetween(3.0, 25.0);
            // liver (portal venous phase) at its centre
            double[] liver = sample(ab, "abdomen", seed, a.liverC[0], a.liverC[1], a.liverC[2] - 30, 1);
            assertThat(liver[0]).as("liver").isBetween(80.0, 150.0);
            // subcutaneous fat, anterior abdominal wall, about 5 mm under the skin
            Phantom.Slice s = a.slice(300);
            double[] fat = sample(ab, "abdomen", seed, 0, -s.bAnt + 6, 300, 0);
            assertThat(fat[0]).as("fat").isBetween(-160.0, -40.0);
            // cancellous bone in a vertebral body (between discs)
            double wv = 0.5 * (a.discs[2] + a.discs[3]);
            double[] bone = sample(ab, "abdomen", seed, 0, a.slice(wv).vSpine, wv, 0);
            assertThat(bone[0]).as("vertebra").isGreaterThan(150);

            Volume th = Phantom.generate("thorax", 96, seed);
            // lung: lateral and posterior-ish, well above the diaphragm
            double[] lung = sample(th, "thorax", seed, 85, 10, a.wDiaph + 80, 1);
            assertThat(lung[0]).as("lung").isBetween(-920.0, -650.0);
            // heart chambers (contrast)
            double[] heart = sample(th, "thorax", seed, a.heartC[0] + 15, a.heartC[1], a.heartC[2], 1);
            assertThat(heart[0]).as("heart").isBetween(90.0, 230.0);
        }
    }

    @Test
    void histogramsLookLikeCt() {
        Volume th = Phantom.generate("thorax", 64, 11);
        Volume ab = Phantom.generate("abdomen", 64, 11);
        assertThat(fraction(th, -950, -700)).as("lung share of the thorax").isGreaterThan(0.08);
        assertThat(fraction(ab, -950, -700)).as("lung share of the abdomen").isLessThan(fraction(th, -950, -700));
        assertThat(fraction(ab, -150, -50)).as("fat").isGreaterThan(0.05);
        assertThat(fraction(ab, 0, 250)).as("soft tissue").isGreaterThan(0.1);
        assertThat(fraction(ab, 300, 2000)).as("bone").isBetween(0.002, 0.08);
        assertThat(fraction(ab, -1100, -900)).as("air").isGreaterThan(0.2);
        Volume fb = Phantom.generate("fullbody", 64, 11);
        assertThat(fb.spacing[2]).isGreaterThan(th.spacing[2]);
        assertThat(fraction(fb, -950, -700)).isGreaterThan(0.02);
    }

    private static double fraction(Volume v, double lo, double hi) {
        int n = 0;
        for (float f : v.voxels) if (f >= lo && f < hi) n++;
        return (double) n / v.size();
    }

    @Test
    void badArgumentsAreRefused() {
        assertThatThrownBy(() -> Phantom.generate("head", 32, 1)).hasMessageContaining("head");
        assertThatThrownBy(() -> Phantom.generate("thorax", 4, 1)).hasMessageContaining("size");
    }
}
