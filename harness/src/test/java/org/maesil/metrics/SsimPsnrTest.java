package org.maesil.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.maesil.tensor.Tensor;
import org.maesil.tensor.io.SafeTensors;

/**
 * PSNR and SSIM against scikit-image 0.19 on the volumes of
 * tools/fixtures/make_metric_fixtures.py (expected values in the file's metadata).
 */
class SsimPsnrTest {

    static final double TOL = 1e-6;

    @Test
    void matchesScikitImageOnEveryFixtureCase() throws IOException {
        Path file = Fixtures.path("ssim_cases.safetensors");
        Map<String, Tensor> t = SafeTensors.read(file);
        Map<String, String> meta = SafeTensors.readMetadata(file);
        int cases = Integer.parseInt(meta.get("cases"));
        assertThat(cases).isGreaterThanOrEqualTo(5);
        double worst3d = 0, worst2d = 0, worstPsnr = 0;
        for (int k = 1; k <= cases; k++) {
            Tensor ref = t.get("case" + k + ".reference");
            Tensor rec = t.get("case" + k + ".reconstruction");
            int nz = ref.dim(0), ny = ref.dim(1), nx = ref.dim(2);
            double psnr = Psnr.psnr(ref.data, rec.data);
            double s3 = Ssim.ssim3d(ref.data, rec.data, nx, ny, nz);
            double s2 = Ssim.ssim2dSliceMean(ref.data, rec.data, nx, ny, nz);
            double ePsnr = parse(meta.get("case" + k + ".psnr"));
            double e3 = parse(meta.get("case" + k + ".ssim3d"));
            double e2 = parse(meta.get("case" + k + ".ssim2d"));
            if (Double.isInfinite(ePsnr)) {
                assertThat(psnr).as("case %d psnr", k).isEqualTo(Double.POSITIVE_INFINITY);
            } else {
                assertThat(psnr).as("case %d psnr", k).isCloseTo(ePsnr, within(TOL));
                worstPsnr = Math.max(worstPsnr, Math.abs(psnr - ePsnr));
            }
            assertThat(s3).as("case %d ssim3d", k).isCloseTo(e3, within(TOL));
            assertThat(s2).as("case %d ssim2d", k).isCloseTo(e2, within(TOL));
            worst3d = Math.max(worst3d, Math.abs(s3 - e3));
            worst2d = Math.max(worst2d, Math.abs(s2 - e2));
        }
        System.out.printf("skimage agreement: max |dPSNR| %.3g dB, max |dSSIM3d| %.3g, max |dSSIM2d| %.3g%n",
                worstPsnr, worst3d, worst2d);
    }

    private static double parse(String s) {
        return switch (s) {
            case "inf" -> Double.POSITIVE_INFINITY;
            case "-inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(s);
        };
    }

    @Test
    void gaussianWindowHasElevenNormalisedSymmetricTaps() {
        assertThat(Ssim.RADIUS).isEqualTo(5);
        assertThat(Ssim.WINDOW).isEqualTo(11);
        double[] w = Ssim.gaussianTaps(1.5, 5);
        double sum = 0;
        for (double v : w) sum += v;
        assertThat(sum).isCloseTo(1.0, within(1e-15));
        for (int j = 0; j < 5; j++) assertThat(w[j]).isEqualTo(w[10 - j]);
        // ratio of neighbouring taps is exp(-(2x+1)/(2 sigma^2))
        assertThat(w[6] / w[5]).isCloseTo(Math.exp(-1 / (2 * 1.5 * 1.5)), within(1e-15));
    }

    @Test
    void identicalVolumesGiveSsimOneAndInfinitePsnr() {
        float[] v = randomVolume(13 * 12 * 11, 3);
        assertThat(Ssim.ssim3d(v, v, 13, 12, 11)).isCloseTo(1.0, within(1e-12));
        assertThat(Ssim.ssim2dSliceMean(v, v, 13, 12, 11)).isCloseTo(1.0, within(1e-12));
        assertThat(Psnr.psnr(v, v)).isEqualTo(Double.POSITIVE_INFINITY);
    }

    @Test
    void psnrOfAKnownError() {
        float[] a = new float[1000];
        float[] b = new float[1000];
        for (int i = 0; i < b.length; i++) b[i] = 0.1f; // MSE = 0.01 (in float: 0.1f^2)
        double mse = 0.1f * (double) 0.1f;
        assertThat(Psnr.psnr(a, b)).isCloseTo(10 * Math.log10(1 / mse), within(1e-12));
        assertThat(Psnr.psnr(a, b)).isCloseTo(20.0, within(1e-5));
    }

    @Test
    void ssimIsSymmetricAndBoundedOnRandomVolumes() {
        float[] a = randomVolume(12 * 14 * 15, 1);
        float[] b = randomVolume(12 * 14 * 15, 2);
        double ab = Ssim.ssim3d(a, b, 12, 14, 15);
        assertThat(Ssim.ssim3d(b, a, 12, 14, 15)).isCloseTo(ab, within(1e-14));
        assertThat(ab).isBetween(-1.0, 1.0);
    }

    @Test
    void rejectsTooSmallOrMismatchedVolumes() {
        float[] a = new float[10 * 12 * 12];
        assertThatThrownBy(() -> Ssim.ssim3d(a, a, 10, 12, 12)).hasMessageContaining("at least 11");
        assertThatThrownBy(() -> Ssim.ssim3d(a, new float[5], 10, 12, 12)).hasMessageContaining("differ in size");
        // 2D slice-wise SSIM needs only the in-slice axes to be >= 11
        float[] c = randomVolume(12 * 12 * 3, 4);
        assertThat(Ssim.ssim2dSliceMean(c, c, 12, 12, 3)).isCloseTo(1.0, within(1e-12));
    }

    static float[] randomVolume(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = r.nextFloat();
        return v;
    }
}
