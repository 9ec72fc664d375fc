package org.maesil.tornado;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maesil.tensor.Backend;
import org.maesil.tensor.Backends;
import org.maesil.tensor.JavaBackend;
import org.maesil.train.InMemorySuperpatches;
import org.maesil.train.ModelSpec;
import org.maesil.train.Presets;
import org.maesil.train.RunConfig;
import org.maesil.train.SuperpatchSource;
import org.maesil.train.TrainConfig;
import org.maesil.train.Trainer;

/**
 * MAESIL's tiny preset trained for a few steps on the Java backend and on the default TornadoVM
 * device from the same seed: the loss curves agree step by step within a relative 1e-5 (the
 * kernels' own tolerance; seen on PoCL: 1.3e-8 at worst over the 8 steps).
 */
class TornadoTrainingTest {
    static final int STEPS = 8;
    static final double TOLERANCE = 1e-5;

    @TempDir Path tmp;

    /** Superpatches of soft random blobs in [0, 1]. */
    static SuperpatchSource blobs(int count, int s, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<float[]> items = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            float[] v = new float[s * s * s];
            for (int b = 0; b < 3; b++) {
                double cz = r.nextDouble() * s, cy = r.nextDouble() * s, cx = r.nextDouble() * s;
                double rad = s * (0.15 + 0.2 * r.nextDouble()), a = 0.3 + 0.5 * r.nextDouble();
                for (int z = 0; z < s; z++) for (int y = 0; y < s; y++) for (int x = 0; x < s; x++) {
                    double d2 = (z - cz) * (z - cz) + (y - cy) * (y - cy) + (x - cx) * (x - cx);
                    v[x + s * (y + s * z)] += (float) (a * Math.exp(-d2 / (2 * rad * rad)));
                }
            }
            for (int j = 0; j < v.length; j++) v[j] = Math.min(1f, v[j]);
            items.add(v);
        }
        return new InMemorySuperpatches(s, items, "blobs(" + count + ")");
    }

    static List<Double> train(Backend be, String backendName, SuperpatchSource data, Path dir) throws Exception {
        TrainConfig tc = Presets.TINY.train().withSteps(STEPS).withBatch(2).withCheckpointEvery(STEPS);
        RunConfig cfg = RunConfig.of(new ModelSpec("maesil", "tiny", Map.of(), 7), tc, 7, data, backendName);
        Trainer.Result r = Trainer.start(cfg, data, be, dir, Trainer.Options.quiet());
        System.out.printf("%s: %d steps, %.1f ms/step%n", be.name(), STEPS, 1000 * r.meanStepSeconds());
        List<Double> loss = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve(Trainer.LOSS_LOG))) {
            loss.add(JsonParser.parseString(line).getAsJsonObject().get("loss").getAsDouble());
        }
        return loss;
    }

    @Test
    void tinyMaesilLossCurveMatchesTheJavaBackend() throws Exception {
        SuperpatchSource data = blobs(6, Presets.TINY.superpatch(), 3);
        List<Double> java, tornado;
        try (JavaBackend be = new JavaBackend(2)) {
            java = train(be, "java", data, tmp.resolve("java"));
        }
        try (Backend be = Backends.create("tornado", 1)) {
            tornado = train(be, "tornado", data, tmp.resolve("tornado"));
            System.out.println("task graphs compiled: " + ((TornadoBackend) be).compilations());
        }
        assertThat(tornado).hasSize(STEPS);
        assertThat(java).hasSize(STEPS);
        double worst = 0;
        for (int i = 0; i < STEPS; i++) {
            double rel = Math.abs(tornado.get(i) - java.get(i)) / Math.abs(java.get(i));
            worst = Math.max(worst, rel);
            System.out.printf("step %d: java %.7f tornado %.7f rel %.2e%n", i + 1, java.get(i), tornado.get(i), rel);
        }
        assertThat(worst).as("worst relative loss difference").isLessThanOrEqualTo(TOLERANCE);
    }
}
