package org.maesil.harness;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maesil.data.NiftiReader;
import org.maesil.data.Volume;

class DataCommandsTest {
    @TempDir
    Path tmp;

    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static Path resource(String rel) throws URISyntaxException {
        return Path.of(DataCommandsTest.class.getResource("/data/" + rel).toURI());
    }

    @Test
    void phantomWritesDeterministicNifti() throws Exception {
        Result r = run("phantom", "--out", tmp.toString(), "--count", "2", "--region", "thorax", "--size", "24", "--seed", "3", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonObject o = JsonParser.parseString(r.out().trim()).getAsJsonObject();
        assertThat(o.getAsJsonArray("files")).hasSize(2);
        Path f = tmp.resolve("thorax-s24-seed4.nii.gz");
        Volume v = NiftiReader.read(f);
        assertThat(v.nx).isEqualTo(24);
        assertThat(v.voxels).containsExactly(org.maesil.data.Phantom.generate("thorax", 24, 4).voxels);
        Result bad = run("phantom", "--out", tmp.toString(), "--region", "head");
        assertThat(bad.code()).isNotZero();
        assertThat(bad.err().trim()).startsWith("error:").contains("--region").doesNotContain("\n");
    }

    @Test
    void infoDescribesNiftiAndDicom() throws Exception {
        Result n = run("info", resource("nifti/anatomical.nii").toString(), "--json");
        assertThat(n.code()).as(n.err()).isZero();
        JsonObject o = JsonParser.parseString(n.out().trim()).getAsJsonObject();
        assertThat(o.get("format").getAsString()).isEqualTo("NIfTI-1");
        assertThat(o.getAsJsonArray("dims").get(1).getAsInt()).isEqualTo(41);
        assertThat(o.get("orientation").getAsString()).isEqualTo("LAS");
        Result d = run("info", resource("dicom/ct-small").toString(), "--json");
        assertThat(d.code()).as(d.err()).isZero();
        JsonObject od = JsonParser.parseString(d.out().trim()).getAsJsonObject();
        assertThat(od.get("min").getAsDouble()).isLessThan(-800);
        Result prose = run("info", resource("dicom/ct-series-5").toString());
        assertThat(prose.code()).isZero();
        assertThat(prose.out()).contains("16 x 16 x 5").contains("LPS");
        Result four = run("info", resource("nifti/example4d.nii.gz").toString());
        assertThat(four.code()).isNotZero();
        assertThat(four.err()).contains("--volume");
        assertThat(run("info", resource("nifti/example4d.nii.gz").toString(), "--volume", "1").code()).isZero();
        Result gap = run("info", resource("dicom/ct-series-gap").toString());
        assertThat(gap.code()).isNotZero();
        assertThat(gap.err().trim()).startsWith("error:").contains("gap").doesNotContain("\n");
        assertThat(run("info", tmp.resolve("missing.nii").toString()).err()).contains("no such file");
    }

    @Test
    void convertWritesNiftiInHounsfieldUnits() throws Exception {
        Path out = tmp.resolve("series.nii.gz");
        Result r = run("convert", "--in", resource("dicom/ct-series-5").toString(), "--out", out.toString(), "--json");
        assertThat(r.code()).as(r.err()).isZero();
        Volume v = NiftiReader.read(out);
        Volume d = org.maesil.data.DicomSeriesReader.read(resource("dicom/ct-series-5"));
        assertThat(v.voxels).containsExactly(d.voxels);
        for (int i = 0; i < 16; i++) assertThat(v.affine[i]).isCloseTo(d.affine[i], org.assertj.core.api.Assertions.within(1e-4));
        Path bad = tmp.resolve("gap.nii.gz");
        Result g = run("convert", "--in", resource("dicom/ct-series-gap").toString(), "--out", bad.toString());
        assertThat(g.code()).isNotZero();
        assertThat(Files.exists(bad)).isFalse();
        assertThat(run("convert", "--help").code()).isZero();
        assertThat(run("info", "--help").code()).isZero();
        assertThat(run("phantom", "--help").code()).isZero();
    }
}
