package org.maesil.harness.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maesil.data.NiftiWriter;
import org.maesil.data.Phantom;
import org.maesil.data.StreamingSuperpatches;
import org.maesil.layers.io.Checkpoint;
import org.maesil.tensor.JavaBackend;
import org.maesil.tensor.Tensor;
import org.maesil.tensor.io.SafeTensors;
import org.maesil.train.ModelSpec;
import org.maesil.train.Presets;
import org.maesil.train.RunConfig;
import org.maesil.train.TrainConfig;
import org.maesil.train.Trainer;

/** Exact resume when the training data streams from disk volume by volume. */
class StreamingResumeTest {
    @TempDir Path tmp;

    @Test
    void aRunHaltedAndResumedOnStreamedDataEndsBitIdentical() throws Exception {
        Path folder = tmp.resolve("cts");
        Files.createDirectories(folder);
        for (int i = 0; i < 6; i++) NiftiWriter.write(folder.resolve("ct" + i + ".nii.gz"), Phantom.generate(i % 2 == 0 ? "abdomen" : "thorax", 32, 40 + i));
        String data = folder.toString();
        TrainingData.Loaded first = TrainingData.load(data, 16, null, 0.05, tmp.resolve("straight").resolve(TrainingData.INDEX_FILE));
        StreamingSuperpatches src = (StreamingSuperpatches) first.source();
        int n = src.size();
        // batch 3 over n superpatches, 2+ epochs: batches straddle volumes and epochs
        int steps = (2 * n + 2) / 3 + 1;
        TrainConfig tc = Presets.TINY.train().withSteps(steps).withBatch(3).withCheckpointEvery(4);
        RunConfig cfg = RunConfig.of(new ModelSpec("maesil", "tiny", Map.of(), 5), tc, 5, src, "java");
        Path straight = tmp.resolve("straight"), killed = tmp.resolve("killed");
        try (JavaBackend be = new JavaBackend(2)) {
            Trainer.start(cfg, src, be, straight, Trainer.Options.quiet());
        }
        int halt = steps - 3; // killed between checkpoints
        try (JavaBackend be = new JavaBackend(2)) {
            var killedData = TrainingData.load(data, 16, null, 0.05, killed.resolve(TrainingData.INDEX_FILE)).source();
            assertThat(Trainer.start(cfg, killedData, be, killed, new Trainer.Options(null, halt)).halted()).isTrue();
        }
        Checkpoint.Contents c = Checkpoint.read(killed.resolve(Trainer.CHECKPOINT));
        int saved = Integer.parseInt(c.metadata().get("run.step"));
        assertThat(saved).isLessThan(halt);
        assertThat(c.metadata().get("run.dataPosition")).startsWith("epoch ").contains("volume ").contains("superpatch ");
        // resume with new objects: the index is read back, so only the volume the run continues in is read before its first step
        StreamingSuperpatches fresh = (StreamingSuperpatches) TrainingData.load(data, 16, null, 0.05,
                killed.resolve(TrainingData.INDEX_FILE)).source();
        assertThat(fresh.volumeLoads()).isZero();
        try (JavaBackend be = new JavaBackend(1)) {
            Trainer.Result r = Trainer.resume(fresh, be, killed, Trainer.Options.quiet());
            assertThat(r.startStep()).isEqualTo(saved);
            assertThat(r.endStep()).isEqualTo(steps);
        }
        // it read exactly one volume per run of consecutive items from one volume in the rest of the stream
        // (the trainer's data seed is Rng.derive(run seed, 2))
        var order = fresh.order(org.maesil.model.Rng.derive(5, 2));
        int[] counts = fresh.counts();
        int runs = 0, last = -1;
        for (long k = (long) saved * 3; k < (long) steps * 3; k++) {
            int item = order.item(k), v = 0;
            for (int sum = counts[0]; item >= sum; sum += counts[++v]) { }
            if (v != last) runs++;
            last = v;
        }
        assertThat(fresh.volumeLoads()).isEqualTo(runs);
        assertThat(runs).isLessThan((steps - saved) * 3);
        Map<String, Tensor> wa = SafeTensors.read(straight.resolve(Trainer.CHECKPOINT));
        Map<String, Tensor> wb = SafeTensors.read(killed.resolve(Trainer.CHECKPOINT));
        assertThat(wb.keySet()).isEqualTo(wa.keySet());
        for (String k : wa.keySet()) {
            float[] x = wa.get(k).data, y = wb.get(k).data;
            for (int i = 0; i < x.length; i++) {
                assertThat(Float.floatToRawIntBits(y[i])).as(k + "[" + i + "]").isEqualTo(Float.floatToRawIntBits(x[i]));
            }
        }
        assertThat(Files.readAllBytes(killed.resolve(Trainer.WEIGHTS))).isEqualTo(Files.readAllBytes(straight.resolve(Trainer.WEIGHTS)));
        assertThat(strip(killed)).isEqualTo(strip(straight));
        System.out.printf("streamed resume: %d superpatches in %d volumes, %d steps of batch 3, halted at %d, resumed from %d "
                + "reading %d volumes: bit-identical%n", n, src.counts().length, steps, halt, saved, fresh.volumeLoads());
    }

    private static String strip(Path run) throws Exception {
        return Files.readString(run.resolve(Trainer.LOSS_LOG)).replaceAll(",\"seconds\":[^,}]*", "");
    }
}
