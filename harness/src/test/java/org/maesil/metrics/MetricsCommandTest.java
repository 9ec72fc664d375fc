package org.maesil.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maesil.data.NiftiWriter;
import org.maesil.data.Preprocess;
import org.maesil.data.Volume;
import org.maesil.harness.Main;

class MetricsCommandTest {

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static float[] huVolume(int n, long seed, float noise) {
        Random r = new Random(seed);
        float[] v = new float[n];
        Random base = new Random(1);
        for (int i = 0; i < n; i++) v[i] = -200f + 500f * base.nextFloat() + noise * (float) r.nextGaussian();
        return v;
    }

    @Test
    void jsonScoresEqualTheLibraryOnWindowedVolumes(@TempDir Path dir) throws Exception {
        int nx = 16, ny = 14, nz = 12;
        float[] a = huVolume(nx * ny * nz, 2, 0), b = huVolume(nx * ny * nz, 3, 30);
        Path fa = dir.resolve("a.nii.gz"), fb = dir.resolve("b.nii.gz");
        NiftiWriter.write(fa, Volume.of(a, nx, ny, nz, new double[] {1, 1, 1}, "a"));
        NiftiWriter.write(fb, Volume.of(b, nx, ny, nz, new double[] {1, 1, 1}, "b"));
        Run r = run("metrics", "--reference", fa.toString(), "--reconstruction", fb.toString(),
                "--window", "-100,200", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        float[] wa = a.clone(), wb = b.clone();
        Preprocess.windowInPlace(wa, -100, 200);
        Preprocess.windowInPlace(wb, -100, 200);
        assertThat(o.get("psnr").getAsDouble()).isCloseTo(Psnr.psnr(wa, wb), within(1e-9));
        assertThat(o.get("ssim3d").getAsDouble()).isCloseTo(Ssim.ssim3d(wa, wb, nx, ny, nz), within(1e-12));
        assertThat(o.get("ssim2d").getAsDouble()).isCloseTo(Ssim.ssim2dSliceMean(wa, wb, nx, ny, nz), within(1e-12));
        assertThat(o.get("lpips").isJsonNull()).isTrue();
        assertThat(o.get("lpips_note").getAsString()).isEqualTo("LPIPS not computed (no weights: see README)");

        Run prose = run("metrics", "--reference", fa.toString(), "--reconstruction", fb.toString());
        assertThat(prose.code()).isZero();
        assertThat(prose.out()).contains("PSNR", "SSIM 3D", "LPIPS           LPIPS not computed (no weights: see README)")
                .contains("HU window [-175, 250]");
    }

    @Test
    void identicalVolumesReportInfinityInWords(@TempDir Path dir) throws Exception {
        float[] a = huVolume(12 * 12 * 12, 2, 0);
        Path fa = dir.resolve("a.nii");
        NiftiWriter.write(fa, Volume.of(a, 12, 12, 12, new double[] {1, 1, 1}, "a"));
        Run r = run("metrics", "--reference", fa.toString(), "--reconstruction", fa.toString(), "--json");
        assertThat(r.code()).isZero();
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertThat(o.get("psnr").isJsonNull()).isTrue();
        assertThat(o.get("psnr_note").getAsString()).contains("+Infinity");
        assertThat(o.get("ssim3d").getAsDouble()).isCloseTo(1.0, within(1e-12));
    }

    @Test
    void badInputGivesOneClearLineAndNonZeroExit(@TempDir Path dir) throws Exception {
        Path fa = dir.resolve("a.nii"), fb = dir.resolve("b.nii");
        NiftiWriter.write(fa, Volume.of(huVolume(12 * 12 * 12, 1, 0), 12, 12, 12, new double[] {1, 1, 1}, "a"));
        NiftiWriter.write(fb, Volume.of(huVolume(12 * 12 * 13, 1, 0), 12, 12, 13, new double[] {1, 1, 1}, "b"));
        Run shape = run("metrics", "--reference", fa.toString(), "--reconstruction", fb.toString());
        assertThat(shape.code()).isNotZero();
        assertThat(shape.err().strip()).isEqualTo("error: volumes differ in shape: reference " + fa
                + " is 12x12x12, reconstruction " + fb + " is 12x12x13");

        Run missing = run("metrics", "--reference", dir.resolve("nope.nii").toString(), "--reconstruction", fb.toString());
        assertThat(missing.code()).isNotZero();
        assertThat(missing.err()).contains("nope.nii");

        // the narrow random fixture network is not AlexNet: refused for real measurements
        Run weights = run("metrics", "--reference", fa.toString(), "--reconstruction", fa.toString(),
                "--lpips-weights", Fixtures.path("lpips_random_weights.safetensors").toString());
        assertThat(weights.code()).isNotZero();
        assertThat(weights.err()).contains("lpips_random_weights.safetensors")
                .contains("'features.0.weight' has shape [8, 3, 11, 11], expected [64, 3, 11, 11]");
        assertThat(weights.err().strip().lines().count()).isEqualTo(1);
    }
}
