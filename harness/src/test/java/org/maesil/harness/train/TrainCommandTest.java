package org.maesil.harness.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maesil.data.NiftiReader;
import org.maesil.data.NiftiWriter;
import org.maesil.data.Phantom;
import org.maesil.data.Volume;
import org.maesil.harness.Main;
import org.maesil.tensor.JavaBackend;
import org.maesil.train.ModelSpec;
import org.maesil.train.Presets;
import org.maesil.train.RunConfig;
import org.maesil.train.SuperpatchSource;
import org.maesil.train.Trainer;

class TrainCommandTest {
    @TempDir Path tmp;

    /** Runs the CLI, returning exit code, stdout and stderr. */
    record Out(int code, String out, String err) {}

    static Out cli(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Out(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void lossFallsOnPhantomDataWithinTheTinyBudget() throws Exception {
        SuperpatchSource data = TrainingData.load("phantom:abdomen:2:32:7", 16);
        RunConfig cfg = RunConfig.of(new ModelSpec("maesil", "tiny", Map.of(), 1), Presets.TINY.train(), 1, data, "java");
        Path run = tmp.resolve("tiny");
        try (JavaBackend be = new JavaBackend(2)) {
            Trainer.Result r = Trainer.start(cfg, data, be, run, Trainer.Options.quiet());
            List<Double> loss = new ArrayList<>();
            for (String line : Files.readAllLines(run.resolve(Trainer.LOSS_LOG))) {
                loss.add(JsonParser.parseString(line).getAsJsonObject().get("loss").getAsDouble());
            }
            double first = loss.subList(0, 5).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            double last = loss.subList(loss.size() - 5, loss.size()).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            System.out.printf("tiny on phantoms (%d superpatches): %d steps, loss %.4f -> %.4f, %.1f ms/step%n",
                    data.size(), loss.size(), first, last, 1000 * r.meanStepSeconds());
            assertThat(last).isLessThan(0.6 * first);
        }
    }

    @Test
    void trainResumeAndReconstructFromTheCommandLine() throws Exception {
        Path run = tmp.resolve("run");
        Out a = cli("train", "--model", "maesil", "--preset", "tiny", "--data", "phantom:thorax:1:32:3", "--out", run.toString(),
                "--steps", "4", "--checkpoint-every", "2", "--threads", "2", "--quiet", "--json");
        assertThat(a.code()).as(a.err()).isEqualTo(0);
        JsonObject o = JsonParser.parseString(a.out()).getAsJsonObject();
        assertThat(o.get("endStep").getAsInt()).isEqualTo(4);
        assertThat(Files.exists(run.resolve("checkpoint.safetensors"))).isTrue();
        assertThat(Files.readAllLines(run.resolve("loss.jsonl"))).hasSize(4);

        Out again = cli("train", "--preset", "tiny", "--data", "phantom:thorax:1:32:3", "--out", run.toString(), "--quiet");
        assertThat(again.code()).isNotEqualTo(0);
        assertThat(again.err()).contains("already holds a training run");

        Out wrong = cli("train", "--resume", "--out", run.toString(), "--preset", "demo", "--quiet");
        assertThat(wrong.code()).isNotEqualTo(0);
        assertThat(wrong.err()).contains("it has --preset tiny, not demo");

        Out resumed = cli("train", "--resume", "--out", run.toString(), "--quiet", "--json");
        assertThat(resumed.code()).as(resumed.err()).isEqualTo(0);
        assertThat(JsonParser.parseString(resumed.out()).getAsJsonObject().get("startStep").getAsInt()).isEqualTo(4);

        Volume ph = Phantom.generate("thorax", 24, 5); // not a multiple of 16: padded and cropped back
        Path in = tmp.resolve("in.nii.gz");
        NiftiWriter.write(in, ph);
        Path rec = tmp.resolve("rec.nii.gz");
        Path mask = tmp.resolve("mask.nii.gz");
        Out r = cli("reconstruct", "--run", run.toString(), "--in", in.toString(), "--out", rec.toString(),
                "--mask-out", mask.toString(), "--threads", "2", "--json");
        assertThat(r.code()).as(r.err()).isEqualTo(0);
        Volume out = NiftiReader.read(rec);
        Volume m = NiftiReader.read(mask);
        assertThat(new int[] {out.nx, out.ny, out.nz}).containsExactly(24, 24, 24);
        double maskedShare = 0;
        for (int i = 0; i < out.voxels.length; i++) {
            assertThat(out.voxels[i]).isBetween(0f, 1f);
            maskedShare += m.voxels[i];
            if (m.voxels[i] == 0f) { // visible voxels are the windowed input
                float w = Math.max(0f, Math.min(1f, (ph.voxels[i] + 175f) / 425f));
                assertThat(out.voxels[i]).isCloseTo(w, org.assertj.core.data.Offset.offset(1e-5f));
            }
        }
        maskedShare /= out.voxels.length;
        assertThat(maskedShare).isBetween(0.5, 0.95);
    }

    @Test
    void aFolderOfNiftiFilesResolvesThroughTheCatalogToItsTrainingSplit() throws Exception {
        Path folder = tmp.resolve("cts");
        Files.createDirectories(folder);
        for (int i = 0; i < 5; i++) NiftiWriter.write(folder.resolve("case" + i + ".nii.gz"), Phantom.generate("abdomen", 16, 20 + i));
        TrainingData.Loaded all = TrainingData.load(folder.toString(), 16, null, 0.05);
        org.maesil.data.DataSource ds = org.maesil.data.DatasetCatalog.loadDefault().resolve(folder.toString());
        assertThat(all.windowLo()).isEqualTo(-175.0);
        assertThat(all.windowHi()).isEqualTo(250.0);
        assertThat(all.source().size()).isLessThanOrEqualTo(ds.trainCases().size()); // one 16^3 superpatch per case, empty ones skipped
        assertThat(ds.trainCases().size()).isLessThan(5); // the split holds some cases out
        TrainingData.Loaded wide = TrainingData.load(folder.toString(), 16, new double[] {-1000, 1000}, 0.05);
        assertThat(wide.windowLo()).isEqualTo(-1000.0);
    }

    @Test
    void badModelsPresetsAndOptionsFailClearly() {
        Out model = cli("train", "--model", "gan", "--preset", "tiny", "--data", "phantom:abdomen:1:16", "--out", tmp.resolve("g").toString());
        assertThat(model.code()).isNotEqualTo(0);
        assertThat(model.err()).contains("unknown model 'gan'");
        Out preset = cli("train", "--preset", "huge", "--data", "phantom:abdomen:1:16", "--out", tmp.resolve("p").toString());
        assertThat(preset.err()).contains("unknown preset 'huge'");
        Out ratio = cli("train", "--preset", "tiny", "--plane-ratio", "1.5", "--data", "phantom:abdomen:1:16",
                "--out", tmp.resolve("q").toString());
        assertThat(ratio.code()).isNotEqualTo(0);
        assertThat(ratio.err()).contains("plane ratio must be in [0, 1)");
        Out noRun = cli("reconstruct", "--run", tmp.resolve("none").toString(), "--in", "x.nii", "--out", "y.nii");
        assertThat(noRun.code()).isNotEqualTo(0);
        assertThat(noRun.err()).contains("not a training run");
    }
}
