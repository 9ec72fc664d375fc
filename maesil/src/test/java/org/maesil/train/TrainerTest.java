package org.maesil.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maesil.layers.io.Checkpoint;
import org.maesil.model.Rng;
import org.maesil.tensor.JavaBackend;
import org.maesil.tensor.Tensor;
import org.maesil.tensor.io.SafeTensors;

class TrainerTest {
    @TempDir Path tmp;

    /** Superpatches of a few soft blobs in [0, 1] (the shapes of windowed CT, not CT). */
    static SuperpatchSource blobs(int count, int s, long seed) {
        List<float[]> items = new ArrayList<>();
        Rng rng = new Rng(seed);
        for (int i = 0; i < count; i++) {
            float[] v = new float[s * s * s];
            for (int k = 0; k < 3; k++) {
                double cz = rng.nextDouble() * s, cy = rng.nextDouble() * s, cx = rng.nextDouble() * s;
                double r = s * (0.15 + 0.2 * rng.nextDouble());
                double a = 0.3 + 0.5 * rng.nextDouble();
                for (int z = 0; z < s; z++) for (int y = 0; y < s; y++) for (int x = 0; x < s; x++) {
                    double d2 = (z - cz) * (z - cz) + (y - cy) * (y - cy) + (x - cx) * (x - cx);
                    v[x + s * (y + s * z)] += (float) (a * Math.exp(-d2 / (2 * r * r)));
                }
            }
            for (int j = 0; j < v.length; j++) v[j] = Math.min(1f, v[j]);
            items.add(v);
        }
        return new InMemorySuperpatches(s, items, "blobs(" + count + ")");
    }

    static RunConfig config(SuperpatchSource data, int steps, int every, long seed) {
        TrainConfig tc = Presets.TINY.train().withSteps(steps).withBatch(2).withCheckpointEvery(every);
        return RunConfig.of(new ModelSpec("maesil", "tiny", Map.of(), seed), tc, seed, data, "java");
    }

    @Test
    void resumedRunEndsBitIdenticalToAnUninterruptedOne() throws Exception {
        SuperpatchSource data = blobs(7, 16, 5); // 7 items, batch 2: epochs straddle steps
        RunConfig cfg = config(data, 12, 4, 42);
        Path straight = tmp.resolve("straight");
        Path again = tmp.resolve("again");
        try (JavaBackend be = new JavaBackend(2)) {
            Trainer.Result a = Trainer.start(cfg, data, be, straight, Trainer.Options.quiet());
            assertThat(a.endStep()).isEqualTo(12);
            // a second uninterrupted run in another folder
            Trainer.Result h = Trainer.start(cfg, data, be, again, Trainer.Options.quiet());
            assertThat(h.halted()).isFalse();
        }
        // the crash: a second run folder halted at step 10 by fresh objects
        Path killed = tmp.resolve("killed");
        try (JavaBackend be = new JavaBackend(2)) {
            Trainer.Result h = Trainer.start(cfg, data, be, killed, new Trainer.Options(null, 10));
            assertThat(h.halted()).isTrue();
        }
        assertThat(Files.readAllLines(killed.resolve(Trainer.LOSS_LOG))).hasSize(10);
        assertThat(Checkpoint.read(killed.resolve(Trainer.CHECKPOINT)).metadata().get("run.step")).isEqualTo("8");
        // resume in new objects, with a different thread count
        try (JavaBackend be = new JavaBackend(1)) {
            Trainer.Result r = Trainer.resume(data, be, killed, Trainer.Options.quiet());
            assertThat(r.startStep()).isEqualTo(8);
            assertThat(r.endStep()).isEqualTo(12);
        }
        Map<String, Tensor> wa = SafeTensors.read(straight.resolve(Trainer.CHECKPOINT));
        Map<String, Tensor> wb = SafeTensors.read(killed.resolve(Trainer.CHECKPOINT));
        assertThat(wb.keySet()).isEqualTo(wa.keySet());
        long compared = 0;
        for (String k : wa.keySet()) {
            float[] x = wa.get(k).data, y = wb.get(k).data;
            for (int i = 0; i < x.length; i++) {
                assertThat(Float.floatToRawIntBits(y[i])).as(k + "[" + i + "]").isEqualTo(Float.floatToRawIntBits(x[i]));
            }
            compared += x.length;
        }
        assertThat(compared).isGreaterThan(60_000); // weights and both AdamW moments
        assertThat(Files.readAllBytes(killed.resolve(Trainer.WEIGHTS))).isEqualTo(Files.readAllBytes(straight.resolve(Trainer.WEIGHTS)));
        assertThat(losses(killed)).containsExactlyElementsOf(losses(straight));
        // the same seed in another folder gives the same run too (nothing depends on the folder)
        assertThat(losses(again)).containsExactlyElementsOf(losses(straight));
    }

    static List<String> losses(Path run) throws Exception {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve(Trainer.LOSS_LOG))) {
            out.add(line.replaceAll(",\"seconds\":[^,}]*", ""));
        }
        return out;
    }

    @Test
    void startingOverAnExistingRunOrResumingNothingIsAnError() throws Exception {
        SuperpatchSource data = blobs(4, 16, 1);
        RunConfig cfg = config(data, 2, 1, 1);
        try (JavaBackend be = new JavaBackend(2)) {
            Trainer.start(cfg, data, be, tmp.resolve("r"), Trainer.Options.quiet());
            assertThatThrownBy(() -> Trainer.start(cfg, data, be, tmp.resolve("r"), Trainer.Options.quiet()))
                    .hasMessageContaining("already holds a training run");
            assertThatThrownBy(() -> Trainer.resume(data, be, tmp.resolve("nothing"), Trainer.Options.quiet()))
                    .hasMessageContaining("not a training run");
            assertThatThrownBy(() -> Trainer.resume(blobs(5, 16, 1), be, tmp.resolve("r"), Trainer.Options.quiet()))
                    .hasMessageContaining("resume needs the same data");
        }
    }

    @Test
    void nonFiniteLossStopsWithTheStepAndKeepsTheLastGoodCheckpoint() throws Exception {
        SuperpatchSource good = blobs(4, 16, 3);
        int[] reads = {0};
        SuperpatchSource poisoned = new SuperpatchSource() {
            @Override public int size() { return good.size(); }
            @Override public int edge() { return good.edge(); }
            @Override public String describe() { return good.describe(); }
            @Override public void read(int index, float[] dst, int offset) {
                good.read(index, dst, offset);
                if (++reads[0] > 10) dst[offset + 5] = Float.NaN; // from step 6 on (batch 2)
            }
        };
        RunConfig cfg = config(good, 10, 2, 9);
        Path run = tmp.resolve("nan");
        try (JavaBackend be = new JavaBackend(2)) {
            assertThatThrownBy(() -> Trainer.start(cfg, poisoned, be, run, Trainer.Options.quiet()))
                    .isInstanceOf(Trainer.NonFiniteException.class)
                    .hasMessageContaining("step 6")
                    .hasMessageContaining("loss is NaN")
                    .hasMessageContaining("step 4) is intact");
        }
        Checkpoint.Contents c = Checkpoint.read(run.resolve(Trainer.CHECKPOINT));
        assertThat(c.metadata().get("run.step")).isEqualTo("4");
        for (Tensor t : c.tensors().values()) for (float f : t.data) assertThat(Float.isFinite(f)).isTrue();
        // and the run resumes from there on good data
        try (JavaBackend be = new JavaBackend(2)) {
            Trainer.Result r = Trainer.resume(good, be, run, Trainer.Options.quiet());
            assertThat(r.startStep()).isEqualTo(4);
            assertThat(Double.isFinite(r.lastLoss())).isTrue();
        }
    }

    @Test
    void lossFallsWithinTheTinyBudget() throws Exception {
        SuperpatchSource data = blobs(16, 16, 11);
        TrainConfig tc = Presets.TINY.train();
        RunConfig cfg = RunConfig.of(new ModelSpec("maesil", "tiny", Map.of(), 3), tc, 3, data, "java");
        try (JavaBackend be = new JavaBackend(2)) {
            Trainer.Result r = Trainer.start(cfg, data, be, tmp.resolve("fall"), Trainer.Options.quiet());
            List<Double> loss = new ArrayList<>();
            for (String line : Files.readAllLines(tmp.resolve("fall").resolve(Trainer.LOSS_LOG))) {
                loss.add(com.google.gson.JsonParser.parseString(line).getAsJsonObject().get("loss").getAsDouble());
            }
            double first = loss.subList(0, 5).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            double last = loss.subList(loss.size() - 5, loss.size()).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            System.out.printf("tiny on blobs: %d steps, loss %.4f -> %.4f, %.1f ms/step%n", loss.size(), first, last,
                    1000 * r.meanStepSeconds());
            assertThat(last).isLessThan(0.5 * first);
        }
    }
}
