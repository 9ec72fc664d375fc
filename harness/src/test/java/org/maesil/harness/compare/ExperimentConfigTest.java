package org.maesil.harness.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maesil.harness.compare.ExperimentConfig.ConfigException;

/** Every field of an experiment config is checked, and each error names the file and the field. */
class ExperimentConfigTest {
    @TempDir Path tmp;

    static final String VALID = """
            version: 1
            title: t
            datasets: [phantom-abdomen, phantom-thorax]
            paper_datasets: {phantom-abdomen: BTCV}
            models: [maesil, ae]
            preset: tiny
            training: {mode: unified, steps: 3, batch: 2, seeds: [0, 5]}
            masking: {plane_ratio: 0.75, axis_ratio: 0.5}
            phantoms: {size: 32, count: 3, test_fraction: 0.4}
            evaluation: {seed: 7, test_volumes: 1, superpatches_per_volume: all, lpips_slice_step: 2}
            """;

    static ExperimentConfig parse(String text) throws ConfigException {
        return ExperimentConfig.parse(text, "exp.yaml", Path.of("/nonexistent"));
    }

    @Test
    void readsEveryField() throws Exception {
        ExperimentConfig c = parse(VALID);
        assertThat(c.datasets()).containsExactly("phantom-abdomen", "phantom-thorax");
        assertThat(c.models()).containsExactly("maesil", "ae");
        assertThat(c.paperDatasets()).containsEntry("phantom-abdomen", "BTCV");
        assertThat(c.steps()).isEqualTo(3);
        assertThat(c.batch()).isEqualTo(2);
        assertThat(c.seeds()).containsExactly(0L, 5L);
        assertThat(c.planeRatio()).isEqualTo(0.75);
        assertThat(c.phantomSize()).isEqualTo(32);
        assertThat(c.phantomCount()).isEqualTo(3);
        assertThat(c.phantomTestFraction()).isEqualTo(0.4);
        assertThat(c.evalSeed()).isEqualTo(7);
        assertThat(c.testVolumes()).isEqualTo(1);
        assertThat(c.superpatchesPerVolume()).isEqualTo(ExperimentConfig.ALL);
        assertThat(c.lpipsSliceStep()).isEqualTo(2);
        assertThat(c.mode()).isEqualTo(ExperimentConfig.UNIFIED);
        assertThat(c.testVolumeIds()).isNull();
        ExperimentConfig ids = parse(VALID.replace("test_volumes: 1", "test_volumes: [abdomen-s32-seed2, thorax-s32-seed103]"));
        assertThat(ids.testVolumeIds()).containsExactly("abdomen-s32-seed2", "thorax-s32-seed103");
    }

    @Test
    void shippedConfigsAreValid() throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        ExperimentConfig paper = ExperimentConfig.load(root.resolve("experiments/paper.yaml"));
        assertThat(paper.preset()).isEqualTo("paper");
        assertThat(paper.models()).containsExactlyInAnyOrder("maesil", "ae", "vae", "vqvae");
        assertThat(paper.datasets()).containsExactly("btcv", "lidc-idri", "totalsegmentator");
        ExperimentConfig demo = DemoCommand.embedded();
        assertThat(demo.preset()).isEqualTo("demo");
        assertThat(demo.models()).containsExactlyInAnyOrder("maesil", "ae", "vae", "vqvae");
        assertThat(demo.datasets()).containsExactly("phantom-abdomen", "phantom-thorax", "phantom-fullbody");
    }

    private void fails(String text, String... fragments) {
        assertThatThrownBy(() -> parse(text)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("exp.yaml: ")
                .satisfies(e -> {
                    for (String f : fragments) assertThat(e.getMessage()).contains(f);
                    assertThat(e.getMessage()).doesNotContain("\n");
                });
    }

    @Test
    void namesTheFieldOfEachError() {
        fails("version: [1", "not valid YAML");
        fails("- a\n- b\n", "expected a map");
        fails(VALID.replace("version: 1", "version: 2"), "'version'", "must be 1");
        fails(VALID.replace("title: t\n", "titel: t\n"), "unknown field 'titel'");
        fails(VALID.replace("datasets: [phantom-abdomen, phantom-thorax]\n", ""), "missing field 'datasets'");
        fails(VALID.replace("datasets: [phantom-abdomen, phantom-thorax]", "datasets: []"), "'datasets'", "non-empty list");
        fails(VALID.replace("datasets: [phantom-abdomen, phantom-thorax]", "datasets: [a, a]"), "'datasets'", "twice");
        fails(VALID.replace("models: [maesil, ae]", "models: [maesil, unet]"), "'models'", "unknown model 'unet'");
        fails(VALID.replace("preset: tiny", "preset: huge"), "'preset'", "unknown preset 'huge'");
        fails(VALID.replace("{phantom-abdomen: BTCV}", "{phantom-abdomen: MSD}"), "'paper_datasets.phantom-abdomen'", "MSD");
        fails(VALID.replace("{phantom-abdomen: BTCV}", "{btcv: BTCV}"), "'paper_datasets'", "'btcv' is not one of the datasets");
        fails(VALID.replace("mode: unified", "mode: joint"), "'training.mode'", "unified or per-dataset");
        fails(VALID.replace("steps: 3", "steps: 0"), "'training.steps'", "got 0");
        fails(VALID.replace("steps: 3", "steps: many"), "'training.steps'", "must be an integer");
        fails(VALID.replace("seeds: [0, 5]", "seeds: [1, 1]"), "'training.seeds'", "twice");
        fails(VALID.replace("batch: 2", "batchsize: 2"), "unknown field 'training.batchsize'");
        fails(VALID.replace("plane_ratio: 0.75", "plane_ratio: 1.2"), "'masking.plane_ratio'", "[0, 1)");
        fails(VALID.replace("models: [maesil, ae]", "models: [ae]"), "'masking'", "maesil");
        fails(VALID.replace("size: 32", "size: 4"), "'phantoms.size'");
        fails(VALID.replace("test_volumes: 1", "test_volumes: some"), "'evaluation.test_volumes'");
        fails(VALID.replace("lpips_slice_step: 2", "lpips_slice_step: 2, lpips_weights: w.safetensors"),
                "'evaluation.lpips_weights'", "does not exist");
    }

    @Test
    void missingFileIsOneClearError() {
        Path f = tmp.resolve("nope.yaml");
        assertThatThrownBy(() -> ExperimentConfig.load(f)).isInstanceOf(ConfigException.class)
                .hasMessage(f + ": experiment config not found");
    }

    @Test
    void relativePathsAreResolvedAgainstTheConfigFolder() throws Exception {
        Files.writeString(tmp.resolve("w.safetensors"), "x");
        Path f = tmp.resolve("exp.yaml");
        Files.writeString(f, VALID.replace("version: 1", "version: 1\ncatalog: cat.yaml")
                .replace("lpips_slice_step: 2", "lpips_slice_step: 2, lpips_weights: w.safetensors"));
        ExperimentConfig c = ExperimentConfig.load(f);
        assertThat(c.catalog()).isEqualTo(tmp.resolve("cat.yaml").toAbsolutePath());
        assertThat(c.lpipsWeights()).isEqualTo(tmp.resolve("w.safetensors").toAbsolutePath());
    }
}
