package org.maesil.model.baselines;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.maesil.layers.io.Checkpoint;
import org.maesil.model.ReconstructionModel;
import org.maesil.model.Rng;
import org.maesil.tensor.JavaBackend;
import org.maesil.tensor.Tensor;
import org.maesil.tensor.io.SafeTensors;
import org.maesil.train.InMemorySuperpatches;
import org.maesil.train.ModelSpec;
import org.maesil.train.Models;
import org.maesil.train.Presets;
import org.maesil.train.RunConfig;
import org.maesil.train.SuperpatchSource;
import org.maesil.train.TrainConfig;
import org.maesil.train.Trainer;

/** The baselines train through the shared Trainer: loss falls, the VQ codebook is used, resume is exact. */
class BaselineTrainingTest {
    @TempDir Path tmp;

    /** Phantom-like superpatches: a body-like ellipsoid of soft tissue with a few brighter and darker blobs, in [0, 1]. */
    static SuperpatchSource phantoms(int count, int s, long seed) {
        List<float[]> items = new ArrayList<>();
        Rng rng = new Rng(seed);
        for (int i = 0; i < count; i++) {
            float[] v = new float[s * s * s];
            double rz = s * (0.4 + 0.1 * rng.nextDouble()), ry = s * (0.3 + 0.1 * rng.nextDouble()), rx = s * (0.35 + 0.1 * rng.nextDouble());
            for (int z = 0; z < s; z++) for (int y = 0; y < s; y++) for (int x = 0; x < s; x++) {
                double e = sq((z - s / 2.0) / rz) + sq((y - s / 2.0) / ry) + sq((x - s / 2.0) / rx);
                v[x + s * (y + s * z)] = e < 1 ? 0.45f : 0.02f;
            }
            for (int k = 0; k < 3; k++) {
                double cz = rng.nextDouble() * s, cy = rng.nextDouble() * s, cx = rng.nextDouble() * s;
                double r = s * (0.08 + 0.12 * rng.nextDouble());
                double a = rng.nextDouble() < 0.5 ? 0.4 : -0.3;
                for (int z = 0; z < s; z++) for (int y = 0; y < s; y++) for (int x = 0; x < s; x++) {
                    double d2 = sq(z - cz) + sq(y - cy) + sq(x - cx);
                    v[x + s * (y + s * z)] += (float) (a * Math.exp(-d2 / (2 * r * r)));
                }
            }
            for (int j = 0; j < v.length; j++) v[j] = Math.max(0f, Math.min(1f, v[j]));
            items.add(v);
        }
        return new InMemorySuperpatches(s, items, "phantoms(" + count + ")");
    }

    private static double sq(double a) { return a * a; }

    static RunConfig config(String kind, Map<String, String> options, SuperpatchSource data, int steps, int every, long seed) {
        TrainConfig tc = Presets.TINY.train().withSteps(steps).withBatch(2).withCheckpointEvery(every);
        return RunConfig.of(new ModelSpec(kind, "tiny", options, seed), tc, seed, data, "java");
    }

    static List<JsonObject> log(Path run) throws Exception {
        List<JsonObject> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve(Trainer.LOSS_LOG))) out.add(JsonParser.parseString(line).getAsJsonObject());
        return out;
    }

    static double mean(List<JsonObject> lines, int from, int to, String key) {
        double s = 0;
        for (int i = from; i < to; i++) s += lines.get(i).get(key).getAsDouble();
        return s / (to - from);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ae", "vae", "vqvae"})
    void trainingLowersTheLoss(String kind) throws Exception {
        SuperpatchSource data = phantoms(6, 16, 3);
        int steps = 40;
        Path run = tmp.resolve(kind);
        try (JavaBackend be = new JavaBackend(2)) {
            Trainer.Result r = Trainer.start(config(kind, Map.of(), data, steps, 20, 7), data, be, run, Trainer.Options.quiet());
            assertThat(r.endStep()).isEqualTo(steps);
            System.out.printf("%s tiny: %.1f ms/step (batch 2, 2 threads, shared machine)%n", kind, r.meanStepSeconds() * 1e3);
        }
        List<JsonObject> lines = log(run);
        assertThat(lines).hasSize(steps);
        double first = mean(lines, 0, 5, "loss"), last = mean(lines, steps - 5, steps, "loss");
        System.out.printf("%s: mean loss of steps 1-5 %.5f, of steps %d-%d %.5f%n", kind, first, steps - 4, steps, last);
        assertThat(last).isLessThan(0.7 * first);
        switch (kind) {
            case "vae" -> {
                assertThat(lines.get(0).has("recon")).isTrue();
                assertThat(lines.get(0).has("kl")).isTrue();
                assertThat(mean(lines, steps - 5, steps, "recon")).isLessThan(mean(lines, 0, 5, "recon"));
            }
            case "vqvae" -> {
                double perplexity = mean(lines, steps - 5, steps, "perplexity");
                double used = mean(lines, steps - 5, steps, "codesUsed");
                System.out.printf("vqvae: perplexity of the last 5 steps %.2f, codes used %.2f, first step %.2f / %.2f%n", perplexity, used,
                        lines.get(0).get("perplexity").getAsDouble(), lines.get(0).get("codesUsed").getAsDouble());
                assertThat(perplexity).isGreaterThan(1.5);
                assertThat(used).isGreaterThan(1.0 / 32);
            }
            default -> { }
        }
        // reconstruct with the checkpoint in a fresh model: the weights and (VQ) codebook come back
        try (JavaBackend be = new JavaBackend(1)) {
            RunConfig cfg = RunConfig.read(run);
            ReconstructionModel m = Models.create(cfg.model(), be);
            Checkpoint.Contents c = Checkpoint.load(run.resolve(Trainer.CHECKPOINT), m.parameters(), null);
            m.loadExtraState(c.tensors());
            Tensor batch = new Tensor(1, 1, 16, 16, 16);
            data.read(0, batch.data, 0);
            ReconstructionModel.Reconstruction rec = m.reconstruct(batch, 1);
            assertThat(rec.mask()).isNull();
            double mse = 0;
            for (int i = 0; i < batch.size(); i++) mse += sq(rec.output().data[i] - batch.data[i]);
            mse /= batch.size();
            System.out.printf("%s: reconstruction MSE of a training superpatch %.5f (PSNR %.1f dB)%n", kind, mse, 10 * Math.log10(1 / mse));
            assertThat(mse).isLessThan(first);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"vqvae", "vae"})
    void resumedRunEndsBitIdenticalToAnUninterruptedOne(String kind) throws Exception {
        SuperpatchSource data = phantoms(5, 16, 9);
        Map<String, String> options = kind.equals("vae") ? Map.of("kl-warmup", "10") : Map.of();
        RunConfig cfg = config(kind, options, data, 8, 3, 11);
        Path straight = tmp.resolve("straight");
        Path killed = tmp.resolve("killed");
        try (JavaBackend be = new JavaBackend(2)) {
            Trainer.start(cfg, data, be, straight, Trainer.Options.quiet());
            assertThat(Trainer.start(cfg, data, be, killed, new Trainer.Options(null, 7)).halted()).isTrue();
        }
        assertThat(Checkpoint.read(killed.resolve(Trainer.CHECKPOINT)).metadata().get("run.step")).isEqualTo("6");
        try (JavaBackend be = new JavaBackend(1)) {
            Trainer.Result r = Trainer.resume(data, be, killed, Trainer.Options.quiet());
            assertThat(r.startStep()).isEqualTo(6);
        }
        Map<String, Tensor> a = SafeTensors.read(straight.resolve(Trainer.CHECKPOINT));
        Map<String, Tensor> b = SafeTensors.read(killed.resolve(Trainer.CHECKPOINT));
        assertThat(b.keySet()).isEqualTo(a.keySet());
        List<String> state = kind.equals("vae") ? List.of("vae.steps")
                : List.of("quantizer.embedding", "quantizer.ema_cluster_size", "quantizer.ema_embed_sum");
        assertThat(a.keySet()).containsAll(state);
        for (String k : a.keySet()) {
            float[] x = a.get(k).data, y = b.get(k).data;
            for (int i = 0; i < x.length; i++) {
                assertThat(Float.floatToRawIntBits(y[i])).as(k + "[" + i + "]").isEqualTo(Float.floatToRawIntBits(x[i]));
            }
        }
        List<String> la = new ArrayList<>(), lb = new ArrayList<>();
        for (String line : Files.readAllLines(straight.resolve(Trainer.LOSS_LOG))) la.add(line.replaceAll(",\"seconds\":[^,}]*", ""));
        for (String line : Files.readAllLines(killed.resolve(Trainer.LOSS_LOG))) lb.add(line.replaceAll(",\"seconds\":[^,}]*", ""));
        assertThat(lb).containsExactlyElementsOf(la);
        if (kind.equals("vae")) {
            assertThat(a.get("vae.steps").data[0]).isEqualTo(8f);
            // the warm-up reached step 8 of 10 in both runs
            assertThat(la.get(7)).contains("\"klWeight\":0.8");
        }
    }

    @Test
    void deadCodesRestartFromBatchEncodings() {
        BaselineConfig cfg = Baselines.forPreset("tiny"); // K 32, dead threshold 1e-3
        try (JavaBackend be = new JavaBackend(2)) {
            VqVae m = new VqVae(cfg, be, 3);
            Tensor batch = new Tensor(2, 1, 16, 16, 16);
            SuperpatchSource data = phantoms(2, 16, 1);
            data.read(0, batch.data, 0);
            data.read(1, batch.data, 4096);
            ReconstructionModel.StepResult r = m.trainStep(batch, 5);
            // every code starts with EMA cluster size 0, so every code unused by this batch restarts
            int used = (int) Math.round(r.extras().get("codesUsed") * 32);
            assertThat(r.extras().get("restarts")).isEqualTo(32.0 - used);
            // a restarted code is exactly one of the batch's encoder outputs, and the next batch can use it
            Tensor ze = m.heads[0].forward(m.trunk.forward(batch));
            int l = 64;
            int[] codes = m.lastCodes();
            boolean[] usedCode = new boolean[32];
            for (int c : codes) usedCode[c] = true;
            for (int j = 0; j < 32; j++) {
                if (usedCode[j]) continue;
                boolean found = false;
                for (int row = 0; row < 2 * l && !found; row++) {
                    int b = row / l, p = row % l;
                    boolean same = true;
                    for (int ch = 0; ch < 16; ch++) same &= m.codebook().data[j * 16 + ch] == ze.data[(b * 16 + ch) * l + p];
                    found = same;
                }
                assertThat(found).as("restarted code " + j + " is a batch encoding").isTrue();
                assertThat(m.clusterSize().data[j]).isEqualTo((float) (1 - 0.99));
            }
        }
    }

    @Test
    void baselineOptionsAreCheckedAndTheLatentMatchesMaesilsVisibleVoxels() {
        for (String preset : List.of("tiny", "demo", "paper")) {
            BaselineConfig c = Baselines.forPreset(preset);
            var mask = Presets.byName(preset).maesil().masking();
            long s = c.superpatch();
            assertThat((double) c.latentElements()).isEqualTo((double) s * s * s * mask.visibleCount() / mask.tokens());
            assertThat(c.compressionRatio()).isEqualTo(0.25);
        }
        try (JavaBackend be = new JavaBackend(1)) {
            assertThatThrownBy(() -> Models.create(new ModelSpec("ae", "tiny", Map.of("kl-weight", "1"), 0), be))
                    .hasMessageContaining("'kl-weight' does not apply to ae");
            assertThatThrownBy(() -> Models.create(new ModelSpec("vqvae", "tiny", Map.of("codebook-size", "1.5"), 0), be))
                    .hasMessageContaining("codebook-size must be a whole number");
            ReconstructionModel v = Models.create(new ModelSpec("vae", "tiny", Map.of("kl-weight", "0.1", "kl-warmup", "4"), 0), be);
            assertThat(((ConvVae) v).currentKlWeight()).isEqualTo(0.1 / 4);
            assertThat(v.describe()).containsEntry("latent", "16x4^3").containsEntry("compressionRatio", 0.25);
        }
    }
}
