package org.maesil.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maesil.tensor.JavaBackend;
import org.maesil.tensor.Tensor;
import org.maesil.tensor.io.SafeTensors;

/**
 * Java LPIPS against the PyTorch network of tools/fixtures/make_lpips_fixtures.py: LPIPS v0.1's
 * AlexNet architecture with narrow random weights (the pretrained weights cannot be shipped).
 */
class LpipsTest {

    static JavaBackend backend;
    static Path weightsFile;
    static Map<String, Tensor> weights;
    static Map<String, Tensor> net;
    static Map<String, String> netMeta;
    static Lpips lpips;

    @BeforeAll
    static void load() throws IOException {
        backend = new JavaBackend(2);
        weightsFile = Fixtures.path("lpips_random_weights.safetensors");
        weights = SafeTensors.read(weightsFile);
        Path pairFile = Fixtures.path("lpips_pair.safetensors");
        net = SafeTensors.read(pairFile);
        netMeta = SafeTensors.readMetadata(pairFile);
        lpips = new Lpips(LpipsWeights.load(weightsFile, false), backend);
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    @Test
    void widthsComeFromTheWeightFile() {
        assertThat(lpips.weights().widths()).containsExactly(8, 16, 24, 16, 16);
        assertThat(lpips.weights().isAlexNet()).isFalse();
    }

    @Test
    void everyLayerMatchesPyTorch() {
        for (int i = 0; i < 2; i++) {
            Lpips.Features f = lpips.features(net.get("img" + i).data, 1, 64, 64);
            for (int k = 0; k < 5; k++) {
                Tensor expected = net.get("img" + i + ".relu" + k);
                assertThat(new int[] {f.channels()[k], f.heights()[k], f.widths()[k]})
                        .as("img%d layer %d shape", i, k).containsExactly(expected.shape());
                double maxAbs = 0, maxRef = 0;
                for (int j = 0; j < expected.size(); j++) {
                    maxAbs = Math.max(maxAbs, Math.abs(f.maps()[k][j] - expected.data[j]));
                    maxRef = Math.max(maxRef, Math.abs(expected.data[j]));
                }
                assertThat(maxAbs).as("img%d relu%d max abs diff (max |ref| %g)", i, k, maxRef)
                        .isLessThanOrEqualTo(1e-5 * Math.max(1, maxRef));
            }
        }
    }

    @Test
    void imagePairDistanceMatchesPyTorch() {
        double[] terms = lpips.layerTerms(net.get("img0").data, net.get("img1").data, 1, 64, 64)[0];
        double worst = 0;
        for (int k = 0; k < 5; k++) {
            double e = Double.parseDouble(netMeta.get("layer" + k));
            assertThat(terms[k]).as("layer %d term", k).isCloseTo(e, within(1e-6));
            worst = Math.max(worst, Math.abs(terms[k] - e));
        }
        double d = lpips.distance(net.get("img0").data, net.get("img1").data, 64, 64);
        double expected = Double.parseDouble(netMeta.get("lpips"));
        assertThat(d).isCloseTo(expected, within(1e-6));
        System.out.printf("LPIPS image pair: java %.9f torch %.9f |diff| %.3g (worst layer %.3g)%n",
                d, expected, Math.abs(d - expected), worst);
    }

    @Test
    void volumeLpipsMatchesPyTorchOnEveryAxis() throws IOException {
        Path refFile = Fixtures.path("lpips_volume_reference.safetensors");
        Tensor a = SafeTensors.read(refFile).get("volume");
        Tensor b = SafeTensors.read(Fixtures.path("lpips_volume_reconstruction.safetensors")).get("volume");
        Map<String, String> meta = SafeTensors.readMetadata(refFile);
        int nz = a.dim(0), ny = a.dim(1), nx = a.dim(2);
        Lpips.VolumeResult r = lpips.volume(a.data, b.data, nx, ny, nz, 1);
        assertThat(r.axial()).isCloseTo(Double.parseDouble(meta.get("axial")), within(1e-6));
        assertThat(r.coronal()).isCloseTo(Double.parseDouble(meta.get("coronal")), within(1e-6));
        assertThat(r.sagittal()).isCloseTo(Double.parseDouble(meta.get("sagittal")), within(1e-6));
        double expected = Double.parseDouble(meta.get("lpips"));
        assertThat(r.mean()).isCloseTo(expected, within(1e-6));
        System.out.printf("LPIPS volume 31x32x33: java %.9f torch %.9f |diff| %.3g%n",
                r.mean(), expected, Math.abs(r.mean() - expected));
    }

    @Test
    void selfCheckReproducesTheRecordedValueAndCatchesATamperedFile(@TempDir Path dir) throws IOException {
        double recorded = Double.parseDouble(SafeTensors.readMetadata(weightsFile).get(Lpips.SELFCHECK_KEY));
        assertThat(lpips.selfCheck()).isCloseTo(recorded, within(1e-6));

        Map<String, Tensor> tampered = new LinkedHashMap<>(weights);
        Tensor lin = weights.get("lin0.weight").copy();
        for (int i = 0; i < lin.size(); i++) lin.data[i] *= 1.5f;
        tampered.put("lin0.weight", lin);
        Path f = dir.resolve("tampered.safetensors");
        SafeTensors.write(f, tampered, SafeTensors.readMetadata(weightsFile));
        Lpips bad = new Lpips(LpipsWeights.load(f, false), backend);
        assertThatThrownBy(bad::selfCheck).isInstanceOf(IOException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("self-check failed");

        Path noMeta = dir.resolve("nometa.safetensors");
        SafeTensors.write(noMeta, weights);
        assertThat(new Lpips(LpipsWeights.load(noMeta, false), backend).selfCheck()).isNaN();
    }

    @Test
    void identicalImagesHaveDistanceZero() {
        float[] img = net.get("img0").data;
        assertThat(lpips.distance(img, img, 64, 64)).isEqualTo(0.0);
    }

    @Test
    void tooSmallImagesAreRejected() {
        float[] img = new float[30 * 40];
        assertThatThrownBy(() -> lpips.distance(img, img, 30, 40)).hasMessageContaining("at least 31x31");
    }

    @Test
    void loaderNamesTheFileAndTensorOfABadShape(@TempDir Path dir) throws IOException {
        Map<String, Tensor> bad = new LinkedHashMap<>(weights);
        bad.put("features.6.weight", new Tensor(24, 16, 5, 5));
        Path f = dir.resolve("bad.safetensors");
        SafeTensors.write(f, bad);
        assertThatThrownBy(() -> LpipsWeights.load(f, false))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("'features.6.weight' has shape [24, 16, 5, 5], expected [24, 16, 3, 3]");
    }

    @Test
    void loaderRejectsMissingAndUnexpectedTensorsAndNarrowNetsWhenAlexNetIsRequired(@TempDir Path dir) throws IOException {
        Map<String, Tensor> good = new LinkedHashMap<>(weights);
        Path ok = dir.resolve("ok.safetensors");
        SafeTensors.write(ok, good);
        assertThat(LpipsWeights.load(ok, false).widths()).containsExactly(8, 16, 24, 16, 16);
        assertThatThrownBy(() -> LpipsWeights.load(ok, true))
                .hasMessageContaining("'features.0.weight' has shape [8, 3, 11, 11], expected [64, 3, 11, 11]");

        Map<String, Tensor> missing = new LinkedHashMap<>(good);
        missing.remove("lin3.weight");
        Path m = dir.resolve("missing.safetensors");
        SafeTensors.write(m, missing);
        assertThatThrownBy(() -> LpipsWeights.load(m, false)).hasMessageContaining("missing tensor 'lin3.weight'");

        Map<String, Tensor> extra = new LinkedHashMap<>(good);
        extra.put("classifier.1.weight", new Tensor(2, 2));
        Path x = dir.resolve("extra.safetensors");
        SafeTensors.write(x, extra);
        assertThatThrownBy(() -> LpipsWeights.load(x, false)).hasMessageContaining("unexpected tensor 'classifier.1.weight'");

        Path none = dir.resolve("nope.safetensors");
        assertThatThrownBy(() -> LpipsWeights.load(none, true)).hasMessageContaining(none + " does not exist");
        Path garbage = dir.resolve("garbage.safetensors");
        Files.writeString(garbage, "not a weights file at all");
        assertThatThrownBy(() -> LpipsWeights.load(garbage, true)).isInstanceOf(IOException.class)
                .hasMessageContaining(garbage.toString());
    }
}
