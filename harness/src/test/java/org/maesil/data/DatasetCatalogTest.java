package org.maesil.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetCatalogTest {
    @TempDir
    Path tmp;

    static Path projectCatalog() {
        Path p = Path.of("..", "datasets.yaml");
        return Files.exists(p) ? p : Path.of("datasets.yaml");
    }

    @Test
    void theProjectCatalogLoadsWithAllSixDatasets() throws IOException {
        DatasetCatalog c = DatasetCatalog.load(projectCatalog(), Map.of());
        assertThat(c.names()).containsExactly("btcv", "lidc-idri", "totalsegmentator", "phantom-abdomen", "phantom-thorax", "phantom-fullbody");
        DatasetCatalog.Entry b = c.entry("BTCV");
        assertThat(b.format()).isEqualTo("nifti");
        assertThat(b.windowLo()).isEqualTo(-175);
        assertThat(b.windowHi()).isEqualTo(250);
        assertThat(b.targetSpacing()).containsExactly(1.5, 1.5, 2.0);
        assertThat(b.split().testFraction()).isEqualTo(0.2);
        assertThat(c.entry("lidc-idri").format()).isEqualTo("dicom");
        assertThat(c.entry("phantom-thorax").region()).isEqualTo("thorax");
        assertThat(c.entry("phantom-thorax").targetSpacing()).isNull();
        for (String n : c.names()) assertThat(c.entry(n).description()).isNotBlank();
        assertThat(DatasetCatalog.envVar("lidc-idri")).isEqualTo("MAESIL_LIDC_IDRI_ROOT");
    }

    @Test
    void environmentAndOptionOverrideRoots() throws IOException {
        DatasetCatalog c = DatasetCatalog.load(projectCatalog(), Map.of("MAESIL_BTCV_ROOT", tmp.toString()));
        assertThat(c.entry("btcv").root()).isEqualTo(tmp);
        assertThat(c.entry("btcv").rootSource()).contains("MAESIL_BTCV_ROOT");
        DatasetCatalog d = c.withRoot("btcv", tmp.resolve("x"));
        assertThat(d.entry("btcv").root()).isEqualTo(tmp.resolve("x"));
        DatasetCatalog e = DatasetCatalog.load(projectCatalog(), Map.of("MAESIL_CACHE", tmp.toString()));
        assertThat(e.entry("phantom-abdomen").root()).isEqualTo(tmp.resolve("phantom-abdomen"));
    }

    private Path yaml(String body) throws IOException {
        Path f = tmp.resolve("cat-" + Math.abs(body.hashCode()) + ".yaml");
        Files.writeString(f, body);
        return f;
    }

    private static final String GOOD = """
            version: 1
            datasets:
              mine:
                description: "my CTs, from the hospital PACS"
                format: nifti
                root: ROOT
                layout: "*.nii.gz"
                window: [-175, 250]
                target_spacing: [1.5, 1.5, 2]
                split: {rule: hash, test_fraction: 0.5, seed: 3}
            """;

    @Test
    void everyFieldIsValidatedWithTheFieldAndFileNamed() throws IOException {
        String good = GOOD.replace("ROOT", tmp.toString());
        assertThat(DatasetCatalog.load(yaml(good), Map.of()).entry("mine").split().seed()).isEqualTo(3);
        String[][] cases = {
                {"window: [-175, 250]", "windw: [-175, 250]", "unknown field 'windw'"},
                {"format: nifti", "format: niftii", "field 'format'"},
                {"window: [-175, 250]", "window: [250, -175]", "field 'window'"},
                {"window: [-175, 250]", "window: [-175]", "field 'window'"},
                {"window: [-175, 250]", "window: [-175, high]", "field 'window'"},
                {"target_spacing: [1.5, 1.5, 2]", "target_spacing: [1.5, 0, 2]", "field 'target_spacing'"},
                {"test_fraction: 0.5", "test_fraction: 1.5", "field 'split.test_fraction'"},
                {"rule: hash", "rule: random", "field 'split.rule'"},
                {"layout: \"*.nii.gz\"", "layout: \"*.png\"", "field 'layout'"},
                {"    description: \"my CTs, from the hospital PACS\"\n", "", "missing field 'description'"},
                {"version: 1", "version: 2", "field 'version'"},
                {"version: 1", "version: 1\nextra: 3", "unknown field 'extra'"},
        };
        for (String[] c : cases) {
            assertThat(good).contains(c[0]);
            Path f = yaml(good.replace(c[0], c[1]));
            assertThatThrownBy(() -> DatasetCatalog.load(f, Map.of())).as(c[1]).isInstanceOf(DataException.class)
                    .hasMessageContaining(f.toString()).hasMessageContaining(c[2]);
        }
        Path noRoot = yaml(good.replace("    root: " + tmp + "\n", ""));
        assertThatThrownBy(() -> DatasetCatalog.load(noRoot, Map.of())).isInstanceOf(DataException.class)
                .hasMessageContaining("missing field 'root'").hasMessageContaining("MAESIL_MINE_ROOT");
        Path broken = yaml("version: 1\ndatasets: [unclosed\n");
        assertThatThrownBy(() -> DatasetCatalog.load(broken, Map.of())).isInstanceOf(DataException.class).hasMessageContaining("not valid YAML");
        assertThatThrownBy(() -> DatasetCatalog.load(tmp.resolve("none.yaml"), Map.of())).isInstanceOf(DataException.class).hasMessageContaining("not found");
    }

    @Test
    void aMissingRootFolderIsOneClearError() throws IOException {
        Path f = yaml(GOOD.replace("ROOT", tmp.resolve("not-there").toString()));
        DatasetCatalog c = DatasetCatalog.load(f, Map.of());
        assertThatThrownBy(() -> c.resolve("mine")).isInstanceOf(DataException.class)
                .hasMessageContaining("not-there").hasMessageContaining("does not exist").hasMessageContaining("MAESIL_MINE_ROOT")
                .hasMessageContaining("field 'root'");
        assertThatThrownBy(() -> c.resolve("nothing-like-this")).isInstanceOf(DataException.class).hasMessageContaining("neither a dataset");
    }

    @Test
    void resolvesNiftiFoldersFilesAndDicomFolders() throws IOException {
        Path root = tmp.resolve("nii");
        for (String id : new String[] {"s01", "s02", "s03"}) {
            Files.createDirectories(root.resolve(id));
            NiftiWriter.write(root.resolve(id).resolve("ct.nii.gz"), Volume.of(new float[8], 2, 2, 2, new double[] {1, 1, 1}, id));
        }
        Files.writeString(root.resolve("notes.txt"), "ignored");
        Path f = yaml(GOOD.replace("ROOT", root.toString()).replace("\"*.nii.gz\"", "\"*/ct.nii.gz\""));
        DatasetCatalog c = DatasetCatalog.load(f, Map.of());
        DataSource ds = c.resolve("mine");
        assertThat(ds.cases).extracting(DataSource.Case::id).containsExactly("s01", "s02", "s03");
        assertThat(ds.trainCases().size() + ds.testCases().size()).isEqualTo(3);
        assertThat(ds.testCases()).isNotEmpty();
        assertThat(ds.trainCases()).isNotEmpty();
        assertThat(ds.windowLo).isEqualTo(-175);
        // a folder path, a file path, a DICOM folder
        assertThat(c.resolve(root.toString()).cases).hasSize(3);
        DataSource one = c.resolve(root.resolve("s02/ct.nii.gz").toString());
        assertThat(one.cases).hasSize(1);
        assertThat(one.cases.get(0).load().description).contains("ct.nii.gz");
        DataSource dcm = c.resolve(TestData.path("dicom").toString());
        assertThat(dcm.cases).extracting(DataSource.Case::id).containsExactly("ct-series-5", "ct-series-gap", "ct-small");
        assertThat(dcm.cases.get(0).load().nz).isEqualTo(5);
    }

    @Test
    void phantomsAreGeneratedOnDemandIntoTheCacheDeterministically() throws IOException {
        Path f = yaml("""
                version: 1
                datasets:
                  ph:
                    description: "tiny phantoms"
                    format: phantom
                    region: thorax
                    size: 16
                    count: 3
                    seed: 7
                """);
        DatasetCatalog c = DatasetCatalog.load(f, Map.of("MAESIL_CACHE", tmp.resolve("cache").toString()));
        DataSource ds = c.resolve("ph");
        assertThat(ds.cases).extracting(DataSource.Case::id).containsExactly("thorax-s16-seed7", "thorax-s16-seed8", "thorax-s16-seed9");
        Volume first = ds.cases.get(1).load();
        Path cached = tmp.resolve("cache/ph/thorax-s16-seed8.nii.gz");
        assertThat(cached).exists();
        Volume again = ds.cases.get(1).load();
        assertThat(again.voxels).containsExactly(first.voxels);
        assertThat(again.voxels).containsExactly(Phantom.generate("thorax", 16, 8).voxels);
    }

    @Test
    void splitIsDeterministicAndIndependentOfOrder() {
        SplitRule r = new SplitRule("hash", 0.3, 5);
        java.util.List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 400; i++) ids.add("case" + i);
        boolean[] a = r.assign(ids);
        int tests = 0;
        for (int i = 0; i < ids.size(); i++) {
            assertThat(r.isTest(ids.get(i))).isEqualTo(a[i]);
            if (a[i]) tests++;
        }
        assertThat(tests).isBetween(80, 160);
        java.util.Collections.reverse(ids);
        boolean[] b = r.assign(ids);
        for (int i = 0; i < ids.size(); i++) assertThat(b[i]).isEqualTo(r.isTest(ids.get(i)));
        // tiny datasets keep one case on each side
        boolean[] two = new SplitRule("hash", 0.01, 0).assign(java.util.List.of("a", "b"));
        assertThat(two[0] ^ two[1]).isTrue();
    }
}
