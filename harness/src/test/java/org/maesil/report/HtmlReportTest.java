package org.maesil.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maesil.metrics.MetricAggregator;
import org.maesil.metrics.Psnr;
import org.maesil.metrics.Ssim;

/** Renders a report from synthetic results and checks that it is complete and self-contained. */
class HtmlReportTest {

    static final int N = 48;

    /** A phantom on [0, 1]: body ellipsoid with brighter spheres (x + N*(y + N*z)). */
    static float[] phantom(long seed) {
        Random r = new Random(seed);
        float[] v = new float[N * N * N];
        double[][] spheres = new double[4][];
        for (int s = 0; s < 4; s++) spheres[s] = new double[] {r.nextDouble() - 0.5, r.nextDouble() - 0.5, r.nextDouble() - 0.5, 0.1 + 0.15 * r.nextDouble()};
        for (int z = 0; z < N; z++) for (int y = 0; y < N; y++) for (int x = 0; x < N; x++) {
            double px = 2.0 * x / (N - 1) - 1, py = 2.0 * y / (N - 1) - 1, pz = 2.0 * z / (N - 1) - 1;
            double val = (px * px / 0.8 + py * py / 0.5 + pz * pz / 0.9 < 1) ? 0.35 : 0;
            for (double[] s : spheres) {
                double dx = px - s[0], dy = py - s[1], dz = pz - s[2];
                if (dx * dx + dy * dy + dz * dz < s[3] * s[3]) val += 0.4;
            }
            v[x + N * (y + N * z)] = (float) Math.min(1, val);
        }
        return v;
    }

    /** A "reconstruction": 3-tap box blur along x plus noise of the given size. */
    static float[] reconstruct(float[] v, double noise, long seed) {
        Random r = new Random(seed);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            int x = i % N;
            float a = v[i], b = x > 0 ? v[i - 1] : a, c = x < N - 1 ? v[i + 1] : a;
            out[i] = (float) Math.max(0, Math.min(1, (a + b + c) / 3 + noise * r.nextGaussian()));
        }
        return out;
    }

    /** 1 where the 8^3 patch is masked (half of the patches, at random). */
    static float[] patchMask(long seed) {
        Random r = new Random(seed);
        int g = N / 8;
        boolean[] masked = new boolean[g * g * g];
        for (int i = 0; i < masked.length; i++) masked[i] = r.nextBoolean();
        float[] m = new float[N * N * N];
        for (int z = 0; z < N; z++) for (int y = 0; y < N; y++) for (int x = 0; x < N; x++) {
            m[x + N * (y + N * z)] = masked[x / 8 + g * (y / 8 + g * (z / 8))] ? 1 : 0;
        }
        return m;
    }

    static ExperimentResult synthetic(boolean withLpips) {
        String[] models = {"ae", "vae", "vqvae", "maesil"};
        double[] noise = {0.03, 0.15, 0.06, 0.02};
        String[] datasets = {"abdomen", "thorax", "fullbody"};
        List<ExperimentResult.Scores> scores = new ArrayList<>();
        List<ExperimentResult.Figure> figures = new ArrayList<>();
        List<ExperimentResult.LossCurve> losses = new ArrayList<>();
        List<ExperimentResult.Run> runs = new ArrayList<>();
        for (int m = 0; m < models.length; m++) {
            MetricAggregator agg = new MetricAggregator(7);
            for (int d = 0; d < datasets.length; d++) {
                for (int vol = 0; vol < 3; vol++) {
                    float[] a = phantom(100 * d + vol);
                    float[] b = reconstruct(a, noise[m], 1000 * m + 10 * d + vol);
                    var sc = new java.util.LinkedHashMap<String, Double>();
                    sc.put("psnr", Psnr.psnr(a, b));
                    sc.put("ssim3d", Ssim.ssim3d(a, b, N, N, N));
                    sc.put("ssim2d", Ssim.ssim2dSliceMean(a, b, N, N, N));
                    if (withLpips) sc.put("lpips", 0.1 + noise[m] * 2 + 0.01 * vol);
                    if (models[m].equals("maesil")) sc.put("masked_psnr", Psnr.psnr(a, b) - 3);
                    agg.add(datasets[d], "vol" + vol, sc);
                    if (vol == 0 && (d == 0 || models[m].equals("maesil"))) {
                        figures.add(new ExperimentResult.Figure(models[m], datasets[d], "phantom_" + datasets[d] + "_0.nii.gz",
                                N, N, N, a, b, models[m].equals("maesil") ? patchMask(5 + d) : null));
                    }
                }
                scores.add(scoresOf(models[m], datasets[d], agg, withLpips));
            }
            scores.add(scoresOf(models[m], ExperimentResult.ALL_DATASETS, agg, withLpips));
            int[] steps = new int[60];
            double[] loss = new double[60];
            Random r = new Random(m);
            for (int i = 0; i < 60; i++) {
                steps[i] = 10 * (i + 1);
                loss[i] = (0.02 + noise[m] * 0.2) + 0.3 * Math.exp(-i / (8.0 + 4 * m)) * (1 + 0.08 * r.nextGaussian());
            }
            losses.add(new ExperimentResult.LossCurve(models[m], "all", steps, loss));
            runs.add(new ExperimentResult.Run(models[m], "all", "demo", 1, 600, 95.5 + 30 * m, "runs/demo/" + models[m]));
        }
        var protocol = new ExperimentResult.Protocol(-175, 250, 0.5, 0.5, 48, 8, "demo", "600 steps per model", 1234,
                List.of("test volumes: 3 per region"));
        var provenance = new ExperimentResult.Provenance("abc1234 (clean)", "OpenJDK 17.0.13", "Linux amd64", "java(2 threads)", 2,
                List.of(1L, 1234L), List.of("demo"), withLpips ? "/data/lpips_alex_v0.1.safetensors" : null,
                "2026-11-27T21:30:00Z", runs, Map.of("command", "maesil demo"));
        return new ExperimentResult("MAESIL reproduction <demo>", "synthetic phantoms, demo preset", scores, figures, losses,
                protocol, provenance, Map.of("abdomen", "BTCV", "thorax", "LIDC-IDRI", "fullbody", "TotalSegmentatorV2"),
                List.of("Synthetic phantoms: the numbers are not comparable with the paper's real-data numbers."));
    }

    static ExperimentResult.Scores scoresOf(String model, String dataset, MetricAggregator agg, boolean withLpips) {
        boolean all = dataset.equals(ExperimentResult.ALL_DATASETS);
        java.util.function.Function<String, org.maesil.metrics.Bootstrap.Summary> s =
                metric -> all ? agg.overall(metric) : agg.dataset(dataset, metric);
        return new ExperimentResult.Scores(model, dataset, s.apply("psnr"), s.apply("ssim3d"), s.apply("ssim2d"),
                withLpips ? s.apply("lpips") : null, withLpips ? null : "LPIPS not computed (no weights: see README)",
                agg.has("masked_psnr") ? s.apply("masked_psnr") : null);
    }

    @Test
    void reportIsSelfContainedAndHasEverySection(@TempDir Path dir) throws IOException {
        String html = HtmlReport.render(synthetic(false));
        // no network: no http(s) anywhere, no external scripts, stylesheets or fonts
        assertThat(html).doesNotContainIgnoringCase("http:").doesNotContainIgnoringCase("https:")
                .doesNotContainIgnoringCase("<script").doesNotContainIgnoringCase("<link").doesNotContain("@import")
                .doesNotContain("url(");
        // every image is embedded
        Matcher src = Pattern.compile("src=\"([^\"]*)\"").matcher(html);
        int images = 0;
        while (src.find()) {
            assertThat(src.group(1)).startsWith("data:image/png;base64,");
            images++;
        }
        // 4 models on abdomen + MAESIL on thorax and fullbody = 6 panels; 3 views x (3 rows, 4 with a mask)
        assertThat(images).isEqualTo(3 * (3 * 3 + 3 * 4));
        assertThat(html).contains("id=\"table2\"", "id=\"table3\"", "id=\"figure3\"", "id=\"losses\"", "id=\"protocol\"", "id=\"provenance\"")
                .contains("<svg", "<polyline")
                .contains("30.28", "25.23", "11.91", "20.04", "32.09", "22.58", "18.72")   // the paper's numbers
                .contains("not computed").contains("LPIPS not computed (no weights: see README)")
                .contains("[-175, 250]", "75.0% of tokens masked", "abc1234", "OpenJDK 17.0.13", "java(2 threads)")
                .contains("MAESIL reproduction &lt;demo&gt;")                               // escaped
                .contains("on the masked patches alone");
        Html.writeReportFolder(dir.resolve("report"), html, Map.of());
        assertThat(Files.readString(dir.resolve("report/index.html"))).isEqualTo(html);
        String preview = System.getProperty("maesil.reportPreview");
        if (preview != null) {
            Html.writeReportFolder(Path.of(preview), HtmlReport.render(synthetic(true)), Map.of());
        }
    }

    @Test
    void lpipsValuesAppearWhenComputed() {
        String html = HtmlReport.render(synthetic(true));
        assertThat(html).doesNotContain("LPIPS not computed").contains("/data/lpips_alex_v0.1.safetensors");
    }

    @Test
    void reportFolderIsReplacedWholeAndNothingIsLeftOnFailure(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("rep");
        Html.writeReportFolder(out, "<p>one</p>", Map.of("a.txt", new byte[] {1}, "sub/b.txt", new byte[] {2}));
        assertThat(Files.readString(out.resolve("index.html"))).isEqualTo("<p>one</p>");
        assertThat(out.resolve("sub/b.txt")).exists();
        Html.writeReportFolder(out, "<p>two</p>", Map.of());
        assertThat(Files.readString(out.resolve("index.html"))).isEqualTo("<p>two</p>");
        assertThat(out.resolve("a.txt")).doesNotExist();
        assertThatThrownBy(() -> Html.writeReportFolder(out, "<p>three</p>", Map.of("../escape.txt", new byte[0])))
                .hasMessageContaining("leaves the report folder");
        assertThat(Files.readString(out.resolve("index.html"))).isEqualTo("<p>two</p>");
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("rep");
        }
    }

    @Test
    void slicesHaveTheDocumentedOrientation() {
        int nx = 4, ny = 3, nz = 2;
        float[] v = new float[nx * ny * nz];
        for (int i = 0; i < v.length; i++) v[i] = i;
        SliceImages.Image ax = SliceImages.slice(v, nx, ny, nz, SliceImages.View.AXIAL, 1);
        assertThat(ax.width()).isEqualTo(4);
        assertThat(ax.height()).isEqualTo(3);
        assertThat(ax.pixels()[1 * 4 + 2]).isEqualTo(2 + 4 * (1 + 3 * 1)); // row y=1, col x=2 of slice z=1
        SliceImages.Image cor = SliceImages.slice(v, nx, ny, nz, SliceImages.View.CORONAL, 2);
        assertThat(cor.height()).isEqualTo(2);
        assertThat(cor.pixels()[0 * 4 + 3]).isEqualTo(3 + 4 * (2 + 3 * 1)); // top row is the highest z
        SliceImages.Image sag = SliceImages.slice(v, nx, ny, nz, SliceImages.View.SAGITTAL, 1);
        assertThat(sag.width()).isEqualTo(3);
        assertThat(sag.pixels()[1 * 3 + 2]).isEqualTo(1 + 4 * (2 + 3 * 0)); // bottom row z=0, col y=2
        assertThat(SliceImages.hot(0)).isEqualTo(0);
        assertThat(SliceImages.hot(1)).isEqualTo(0xFFFFFF);
    }
}
