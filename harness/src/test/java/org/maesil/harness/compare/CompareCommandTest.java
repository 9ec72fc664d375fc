package org.maesil.harness.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maesil.data.NiftiReader;
import org.maesil.data.Preprocess;
import org.maesil.data.Superpatches;
import org.maesil.data.Volume;
import org.maesil.harness.Main;
import org.maesil.metrics.Psnr;

/**
 * A tiny end-to-end grid (tiny preset, phantoms of 32^3, a few steps, all four models) through
 * the command line: the report, the reconstructions, the scores recomputed independently from
 * the written NIfTI files, the reuse of finished runs, and the errors for bad input.
 */
class CompareCommandTest {
    @TempDir static Path tmp;
    static Path out;
    static Out first;

    record Out(int code, String out, String err) {}

    static Out cli(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            return new Out(Main.run(args), o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static final String CATALOG = """
            version: 1
            datasets:
              small-abdomen:
                description: "synthetic abdominal phantoms for a test"
                format: phantom
                region: abdomen
                size: 32
                count: 3
                seed: 1
                split: {rule: hash, test_fraction: 0.34, seed: 0}
              small-thorax:
                description: "synthetic thoracic phantoms for a test"
                format: phantom
                region: thorax
                size: 32
                count: 3
                seed: 101
                split: {rule: hash, test_fraction: 0.34, seed: 0}
              real:
                description: "a NIfTI dataset that is not there"
                format: nifti
                root: /nonexistent/maesil-test-data
                layout: "*.nii.gz"
            """;

    static final String CONFIG = """
            version: 1
            title: "tiny grid"
            catalog: catalog.yaml
            datasets: [small-abdomen, small-thorax]
            paper_datasets: {small-abdomen: BTCV}
            models: [maesil, ae, vae, vqvae]
            preset: tiny
            training: {steps: 4, seeds: [3]}
            evaluation: {seed: 11}
            """;

    @BeforeAll
    static void runGrid() throws Exception {
        Files.writeString(tmp.resolve("catalog.yaml"), CATALOG);
        Files.writeString(tmp.resolve("grid.yaml"), CONFIG);
        out = tmp.resolve("report");
        first = cli("compare", "--config", tmp.resolve("grid.yaml").toString(), "--out", out.toString(), "--json", "--quiet", "--threads", "2");
    }

    @Test
    void writesASelfContainedReportWithTheTables() throws Exception {
        assertThat(first.code()).as(first.err()).isZero();
        String html = Files.readString(out.resolve("index.html"));
        assertThat(html).contains("Table II", "Table III", "Figure 3", "Training loss", "Protocol", "Provenance", "tiny grid");
        assertThat(html).contains("MAESIL", "VQ-VAE", "small-abdomen", "small-thorax", "data:image/png;base64,", "<svg");
        assertThat(html).contains("LPIPS not computed");
        // self-contained: no scripts, no external references
        assertThat(html).doesNotContain("<script", "src=\"http", "href=\"http", "<link");
        // no figure missing: one panel per model and dataset
        assertThat(html.split("<figure class=\"panel\">", -1)).hasSize(1 + 4 * 2);
    }

    @Test
    void scoresAgreeWithAnIndependentRecomputationFromTheNiftiFiles() throws Exception {
        JsonObject j = JsonParser.parseString(first.out()).getAsJsonObject();
        JsonArray scores = j.getAsJsonArray("scores");
        assertThat(scores.size()).isEqualTo(4 * 3); // 4 models x (2 datasets + all)
        for (JsonElement e : scores) {
            JsonObject s = e.getAsJsonObject();
            if (s.get("dataset").getAsString().equals("all")) continue;
            String model = s.get("model").getAsString();
            String dataset = s.get("dataset").getAsString();
            List<Path> originals;
            try (Stream<Path> st = Files.list(out.resolve("reconstructions").resolve(dataset))) {
                originals = st.filter(p -> p.getFileName().toString().endsWith("-original.nii.gz")).sorted().toList();
            }
            assertThat(originals).hasSize(s.get("volumes").getAsInt());
            double sum = 0;
            for (Path o : originals) {
                Volume ref = NiftiReader.read(o);
                Volume rec = NiftiReader.read(Path.of(o.toString().replace("-original.nii.gz", "-" + model + ".nii.gz")));
                assertThat(rec.nx).isEqualTo(ref.nx);
                sum += meanSuperpatchPsnr(ref, rec, 16);
            }
            double reported = s.getAsJsonObject("psnr").get("mean").getAsDouble();
            assertThat(reported).as(model + " on " + dataset).isCloseTo(sum / originals.size(), within(1e-4));
            if (model.equals("maesil")) {
                // the composite copies the visible patches: it scores better than the masked patches alone
                double masked = s.getAsJsonObject("psnrMaskedOnly").get("mean").getAsDouble();
                assertThat(reported).isGreaterThan(masked);
                assertThat(Files.exists(originals.get(0).resolveSibling(originals.get(0).getFileName().toString()
                        .replace("-original", "-maesil-mask")))).isTrue();
            } else {
                assertThat(s.has("psnrMaskedOnly")).isFalse();
            }
        }
    }

    /** Mean PSNR over the non-empty superpatches (mean >= 0.05) of the reference, as the protocol defines. */
    static double meanSuperpatchPsnr(Volume ref, Volume rec, int s) {
        Volume a = Preprocess.padToMultiple(ref, s, 0f), b = Preprocess.padToMultiple(rec, s, 0f);
        List<Double> psnr = new ArrayList<>();
        float[] x = new float[s * s * s], y = new float[s * s * s];
        for (int i = 0; i < Superpatches.count(a, s); i++) {
            Superpatches.cut(a, s, i, x);
            Superpatches.cut(b, s, i, y);
            if (!Preprocess.nearlyEmpty(x, 0.05)) psnr.add(Psnr.psnr(x, y));
        }
        return psnr.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    }

    @Test
    void aSecondRunReusesTheFinishedRunsAndGivesTheSameNumbers() throws Exception {
        Out again = cli("compare", "--config", tmp.resolve("grid.yaml").toString(), "--out", out.toString(), "--json", "--quiet");
        assertThat(again.code()).as(again.err()).isZero();
        JsonObject a = JsonParser.parseString(first.out()).getAsJsonObject(), b = JsonParser.parseString(again.out()).getAsJsonObject();
        for (JsonElement r : b.getAsJsonArray("runs")) assertThat(r.getAsJsonObject().get("reused").getAsBoolean()).isTrue();
        for (JsonElement r : a.getAsJsonArray("runs")) assertThat(r.getAsJsonObject().get("reused").getAsBoolean()).isFalse();
        assertThat(b.get("scores")).isEqualTo(a.get("scores"));
        String html = Files.readString(out.resolve("index.html"));
        assertThat(html).contains("reused: finished earlier");
    }

    @Test
    void badInputIsOneClearLineAndLeavesNoReport() throws Exception {
        Path bad = tmp.resolve("bad");
        Out missing = cli("compare", "--config", tmp.resolve("none.yaml").toString(), "--out", bad.toString());
        assertThat(missing.code()).isNotZero();
        assertThat(missing.err().trim()).isEqualTo("error: " + tmp.resolve("none.yaml") + ": experiment config not found");

        Files.writeString(tmp.resolve("unknown.yaml"), CONFIG.replace("[small-abdomen, small-thorax]", "[small-abdomen, nosuch]")
                .replace("{small-abdomen: BTCV}", "{}"));
        Out unknown = cli("compare", "--config", tmp.resolve("unknown.yaml").toString(), "--out", bad.toString());
        assertThat(unknown.code()).isNotZero();
        assertThat(unknown.err()).contains("unknown.yaml: field 'datasets': no dataset 'nosuch'").contains("small-thorax");
        assertThat(unknown.err().trim().lines().count()).isEqualTo(1);

        Files.writeString(tmp.resolve("real.yaml"), CONFIG.replace("[small-abdomen, small-thorax]", "[real]")
                .replace("{small-abdomen: BTCV}", "{}"));
        Out absent = cli("compare", "--config", tmp.resolve("real.yaml").toString(), "--out", bad.toString());
        assertThat(absent.code()).isNotZero();
        assertThat(absent.err()).contains("dataset 'real'", "/nonexistent/maesil-test-data", "MAESIL_REAL_ROOT");
        assertThat(Files.exists(bad.resolve("index.html"))).isFalse();
        assertThat(Files.exists(bad.resolve("reconstructions"))).isFalse();
    }

    @Test
    void helpListsTheOptions() {
        Out h = cli("compare", "--help");
        assertThat(h.code()).isZero();
        assertThat(h.out()).contains("--config", "--out", "--json");
        Out d = cli("demo", "--help");
        assertThat(d.code()).isZero();
        assertThat(d.out().toLowerCase(Locale.ROOT)).contains("--out", "reports/demo");
    }
}
