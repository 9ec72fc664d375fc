package org.maesil.layers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maesil.layers.init.Init;
import org.maesil.layers.io.Checkpoint;
import org.maesil.layers.optim.AdamW;
import org.maesil.layers.optim.WarmupCosineSchedule;
import org.maesil.tensor.Backend;
import org.maesil.tensor.JavaBackend;
import org.maesil.tensor.Tensor;
import org.maesil.tensor.io.SafeTensors;

/** Checkpoint round trip, exact resume, and clear errors on bad files. */
class CheckpointTest {
    static Backend be;
    @TempDir Path dir;

    @BeforeAll
    static void start() { be = new JavaBackend(2); }

    @AfterAll
    static void stop() { be.close(); }

    /** A small model: conv patch embedding is not needed here, a block and a head suffice. */
    static Sequential model(SplittableRandom rng) {
        return new Sequential(new TransformerBlock(be, "blocks.0", 8, 2, rng), new Linear(be, "head", 8, 3, true, rng));
    }

    static final WarmupCosineSchedule SCHED = new WarmupCosineSchedule(1e-2, 1e-4, 2, 6);

    /** One training step on a fixed batch: loss sum(y^2 w) / 2. */
    static void step(Sequential m, AdamW opt, Tensor x, long s) {
        Tensor y = m.forward(x);
        Tensor dy = new Tensor(y.shape());
        for (int i = 0; i < y.size(); i++) dy.data[i] = y.data[i] * (1 + i % 3);
        m.backward(dy);
        opt.step(SCHED.lr(s));
    }

    static Tensor input() {
        Tensor x = new Tensor(2, 5, 8);
        Init.normal(x, 0, 1, new SplittableRandom(99));
        return x;
    }

    @Test
    void resumeGivesBitIdenticalWeights() throws IOException {
        Tensor x = input();
        Sequential a = model(new SplittableRandom(1));
        AdamW optA = new AdamW(be, a.parameters(), 0.9f, 0.95f, 1e-8f, 0.05f);
        for (int s = 0; s < 5; s++) step(a, optA, x, s);

        Sequential b = model(new SplittableRandom(1));
        AdamW optB = new AdamW(be, b.parameters(), 0.9f, 0.95f, 1e-8f, 0.05f);
        for (int s = 0; s < 2; s++) step(b, optB, x, s);
        Path file = dir.resolve("ckpt.safetensors");
        Map<String, Tensor> extra = Map.of("ema.codebook", new Tensor(new float[] {1, 2, 3, 4}, 2, 2));
        Checkpoint.save(file, b.parameters(), optB, extra, Map.of("rng", "12345", "config", "{\"dim\":8}"));

        Sequential c = model(null); // zeros, as a fresh process would build it before loading
        AdamW optC = new AdamW(be, c.parameters(), 0.9f, 0.95f, 1e-8f, 0.05f);
        Checkpoint.Contents read = Checkpoint.load(file, c.parameters(), optC);
        assertThat(optC.stepCount()).isEqualTo(2);
        assertThat(read.metadata()).containsEntry("rng", "12345").containsEntry(Checkpoint.FORMAT_KEY, Checkpoint.FORMAT)
                .containsEntry("config", "{\"dim\":8}");
        assertThat(read.require("ema.codebook").data).containsExactly(1, 2, 3, 4);
        for (int i = 0; i < b.parameters().size(); i++) {
            assertThat(c.parameters().get(i).value.data).isEqualTo(b.parameters().get(i).value.data);
        }
        for (long s = optC.stepCount(); s < 5; s++) step(c, optC, x, s);
        for (int i = 0; i < a.parameters().size(); i++) {
            assertThat(c.parameters().get(i).value.data).as(a.parameters().get(i).name).isEqualTo(a.parameters().get(i).value.data);
        }
        var stA = optA.stateTensors();
        var stC = optC.stateTensors();
        for (String k : stA.keySet()) assertThat(stC.get(k).data).as(k).isEqualTo(stA.get(k).data);
        // no temporary files left beside the checkpoint
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("ckpt.safetensors");
        }
    }

    @Test
    void keysAreStateDictNamesAndOptimizerPrefixes() throws IOException {
        Sequential m = model(new SplittableRandom(2));
        AdamW opt = new AdamW(be, m.parameters(), 0.05f);
        Path file = dir.resolve("k.safetensors");
        Checkpoint.save(file, m.parameters(), opt, null, null);
        var keys = SafeTensors.read(file).keySet();
        assertThat(keys).contains("blocks.0.norm1.weight", "blocks.0.attn.qkv.weight", "blocks.0.attn.proj.bias",
                "blocks.0.mlp.fc2.weight", "head.weight", "optimizer.exp_avg.head.bias", "optimizer.exp_avg_sq.blocks.0.norm2.bias");
        assertThat(keys).hasSize(3 * m.parameters().size());
        assertThat(SafeTensors.readMetadata(file)).containsEntry(Checkpoint.STEP_KEY, "0");
    }

    @Test
    void badFilesGiveOneClearErrorAndChangeNothing() throws IOException {
        Sequential m = model(new SplittableRandom(3));
        Path file = dir.resolve("w.safetensors");
        Checkpoint.save(file, m.parameters(), null, null, null);

        Sequential target = model(new SplittableRandom(4));
        float[] before = target.parameters().get(0).value.data.clone();
        AdamW opt = new AdamW(be, target.parameters(), 0.05f);
        assertThatThrownBy(() -> Checkpoint.load(file, target.parameters(), opt))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(file.toString())
                .hasMessageContaining(Checkpoint.STEP_KEY);
        assertThat(target.parameters().get(0).value.data).isEqualTo(before);

        // wrong shape: a model with a wider head
        Sequential wide = new Sequential(new TransformerBlock(be, "blocks.0", 8, 2, null), new Linear(be, "head", 8, 4, true, null));
        assertThatThrownBy(() -> Checkpoint.load(file, wide.parameters(), null))
                .hasMessageContaining(file.toString()).hasMessageContaining("'head.weight'").hasMessageContaining("[3, 8]");

        // missing parameter
        Map<String, Tensor> partial = new LinkedHashMap<>(SafeTensors.read(file));
        partial.remove("blocks.0.mlp.fc1.bias");
        Path broken = dir.resolve("broken.safetensors");
        SafeTensors.write(broken, partial);
        assertThatThrownBy(() -> Checkpoint.load(broken, target.parameters(), null))
                .hasMessageContaining(broken.toString()).hasMessageContaining("'blocks.0.mlp.fc1.bias' is missing");
        assertThat(target.parameters().get(0).value.data).isEqualTo(before);

        // duplicate keys and reserved metadata are refused before writing
        assertThatThrownBy(() -> Checkpoint.save(dir.resolve("d.safetensors"), m.parameters(), null,
                Map.of("head.bias", new Tensor(3)), null)).hasMessageContaining("'head.bias' used twice");
        assertThatThrownBy(() -> Checkpoint.save(dir.resolve("d.safetensors"), m.parameters(), null, null,
                Map.of(Checkpoint.FORMAT_KEY, "x"))).hasMessageContaining("reserved");
        assertThat(Files.exists(dir.resolve("d.safetensors"))).isFalse();
        assertThat(List.of(file, broken)).allMatch(Files::exists);
    }
}
