package org.maesil.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DicomSeriesReaderTest {
    @TempDir
    Path tmp;

    @Test
    void ctSmallIsInHounsfieldUnits() throws IOException {
        Volume v = DicomSeriesReader.read(TestData.path("dicom/ct-small"));
        assertThat(new int[] {v.nx, v.ny, v.nz}).containsExactly(128, 128, 1);
        assertThat(v.spacing[0]).isCloseTo(0.661468, within(1e-6));
        double[] r = v.range();
        // RescaleIntercept -1024 applied: air near -1000, bone well above 300
        assertThat(r[0]).isBetween(-1050.0, -850.0);
        assertThat(r[1]).isGreaterThan(300);
        int soft = 0;
        for (float f : v.voxels) if (f > -100 && f < 100) soft++;
        assertThat(soft).isGreaterThan(v.size() / 10);
        assertThat(v.axisCodes()).isEqualTo("LPS");
        // a DICOM file given directly reads the same
        Volume f = DicomSeriesReader.read(TestData.path("dicom/ct-small/CT_small.dcm"));
        assertThat(f.voxels).containsExactly(v.voxels);
    }

    @Test
    void ordersSlicesByPositionNotFileName() throws IOException {
        Path dir = TestData.path("dicom/ct-series-5");
        Volume v = DicomSeriesReader.read(dir);
        assertThat(new int[] {v.nx, v.ny, v.nz}).containsExactly(16, 16, 5);
        assertThat(v.spacing[2]).isCloseTo(2.5, within(1e-6));
        List<DicomFile> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) files.add(DicomFile.read(p));
        }
        double[] zByName = files.stream().mapToDouble(f -> z(f)).toArray();
        boolean nameOrderSorted = true;
        for (int i = 1; i < zByName.length; i++) if (zByName[i] < zByName[i - 1]) nameOrderSorted = false;
        assertThat(nameOrderSorted).as("the test needs file names out of slice order").isFalse();
        files.sort(Comparator.comparingDouble(DicomSeriesReaderTest::z));
        for (int k = 0; k < 5; k++) {
            float[] slice = new float[256];
            files.get(k).readPixels(slice, 0, 16, 16);
            for (int i = 0; i < 256; i++) assertThat(v.voxels[k * 256 + i]).isEqualTo(slice[i]);
        }
        // voxel (0,0,0) is at the lowest slice's ImagePositionPatient (RAS z = LPS z)
        assertThat(v.affine[11]).isCloseTo(z(files.get(0)), within(1e-6));
        assertThat(v.affine[10]).isCloseTo(2.5, within(1e-6));
    }

    private static double z(DicomFile f) {
        try {
            return f.requireDoubles(DicomFile.IMAGE_POSITION, "ImagePositionPatient", 3)[2];
        } catch (DataException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void reportsTheGap() {
        Path dir = TestData.path("dicom/ct-series-gap");
        assertThatThrownBy(() -> DicomSeriesReader.read(dir)).isInstanceOf(DataException.class)
                .hasMessageContaining("gap").hasMessageContaining("-99.48").hasMessageContaining("103.02").hasMessageContaining("ct-series-gap");
    }

    @Test
    void severalSeriesInOneFolderAreListedOrChosen() throws IOException {
        Path dir = tmp.resolve("mixed");
        Files.createDirectories(dir);
        for (String s : new String[] {"ct-series-5", "ct-small"}) {
            try (Stream<Path> l = Files.list(TestData.path("dicom/" + s))) {
                for (Path p : l.toList()) Files.copy(p, dir.resolve(s + "-" + p.getFileName()));
            }
        }
        assertThatThrownBy(() -> DicomSeriesReader.read(dir)).isInstanceOf(DataException.class)
                .hasMessageContaining("2 image series").hasMessageContaining("1.3.6.1.4.1.5962.1.1.0.0.0.1194734704.16302.0.6")
                .hasMessageContaining("5 files");
        DicomSeriesReader.Options o = new DicomSeriesReader.Options();
        o.seriesUid = "1.3.6.1.4.1.5962.1.1.0.0.0.1194734704.16302.0.6";
        assertThat(DicomSeriesReader.read(dir, o).nz).isEqualTo(5);
        assertThat(DicomSeriesReader.listSeries(dir)).hasSize(2);
    }

    @Test
    void duplicatePositionsAreAnError() throws IOException {
        Path dir = tmp.resolve("dup");
        Files.createDirectories(dir);
        Path src = TestData.path("dicom/ct-series-5");
        try (Stream<Path> l = Files.list(src)) {
            for (Path p : l.toList()) Files.copy(p, dir.resolve(p.getFileName()));
        }
        Files.copy(src.resolve("2062"), dir.resolve("copy-of-2062"));
        assertThatThrownBy(() -> DicomSeriesReader.read(dir)).isInstanceOf(DataException.class).hasMessageContaining("duplicate slice position");
    }

    @Test
    void readsImplicitAndBigEndianSyntheticSeries() throws IOException {
        for (String ts : new String[] {DicomFile.IMPLICIT_LE, DicomFile.EXPLICIT_LE, DicomFile.EXPLICIT_BE}) {
            for (boolean preamble : new boolean[] {true, false}) {
                if (!preamble && !ts.equals(DicomFile.IMPLICIT_LE)) continue;
                Path dir = tmp.resolve("s-" + ts + "-" + preamble);
                Files.createDirectories(dir);
                DicomWriterForTests w = new DicomWriterForTests();
                w.transferSyntax = ts;
                w.preamble = preamble;
                w.slope = 2;
                // written in reverse z order under alphabetical names
                for (int k = 0; k < 3; k++) w.write(dir.resolve("f" + k), new double[] {-10, 20, 30 - 1.5 * k}, k + 1, 100 * (2 - k));
                Volume v = DicomSeriesReader.read(dir);
                assertThat(new int[] {v.nx, v.ny, v.nz}).as(ts).containsExactly(3, 4, 3);
                assertThat(v.spacing).containsExactly(0.6, 0.7, 1.5);
                for (int k = 0; k < 3; k++) {
                    for (int i = 0; i < 12; i++) assertThat(v.voxels[k * 12 + i]).as(ts).isEqualTo((float) (2 * (100 * k + i) - 1024));
                }
                // LPS (-10, 20, 27) -> RAS (10, -20, 27)
                assertThat(new double[] {v.affine[3], v.affine[7], v.affine[11]}).containsExactly(10.0, -20.0, 27.0);
            }
        }
    }

    @Test
    void mixedOrientationSizeAndUnevenSpacingAreErrors() throws IOException {
        DicomWriterForTests w = new DicomWriterForTests();
        Path a = tmp.resolve("orient");
        Files.createDirectories(a);
        w.write(a.resolve("1"), new double[] {0, 0, 0}, 1, 0);
        w.orientation = new double[] {0, 1, 0, 1, 0, 0};
        w.write(a.resolve("2"), new double[] {0, 0, 1}, 2, 0);
        assertThatThrownBy(() -> DicomSeriesReader.read(a)).isInstanceOf(DataException.class).hasMessageContaining("mixed orientations");
        DicomWriterForTests s = new DicomWriterForTests();
        Path b = tmp.resolve("size");
        Files.createDirectories(b);
        s.write(b.resolve("1"), new double[] {0, 0, 0}, 1, 0);
        s.rows = 5;
        s.write(b.resolve("2"), new double[] {0, 0, 1}, 2, 0);
        assertThatThrownBy(() -> DicomSeriesReader.read(b)).isInstanceOf(DataException.class).hasMessageContaining("mixed image sizes");
        DicomWriterForTests u = new DicomWriterForTests();
        Path c = tmp.resolve("uneven");
        Files.createDirectories(c);
        double[] zs = {0, 1, 2, 3.3, 4.3};
        for (int k = 0; k < zs.length; k++) u.write(c.resolve("f" + k), new double[] {0, 0, zs[k]}, k, 0);
        assertThatThrownBy(() -> DicomSeriesReader.read(c)).isInstanceOf(DataException.class).hasMessageContaining("uneven slice spacing");
        DicomSeriesReader.Options o = new DicomSeriesReader.Options();
        o.allowIrregular = true;
        assertThat(DicomSeriesReader.read(c, o).spacing[2]).isCloseTo(1.0, within(1e-9));
    }

    @Test
    void compressedTransferSyntaxIsRefusedByName() throws IOException {
        byte[] b = Files.readAllBytes(TestData.path("dicom/ct-small/CT_small.dcm"));
        byte[] jpeg = replaceTransferSyntax(b, "1.2.840.10008.1.2.4.50");
        Path f = tmp.resolve("jpeg.dcm");
        Files.write(f, jpeg);
        assertThatThrownBy(() -> DicomSeriesReader.read(f)).isInstanceOf(DataException.class)
                .hasMessageStartingWith("unsupported transfer syntax 1.2.840.10008.1.2.4.50 (JPEG) in ").hasMessageContaining("jpeg.dcm");
        Path j2k = tmp.resolve("j2k");
        Files.createDirectories(j2k);
        Files.write(j2k.resolve("x.dcm"), replaceTransferSyntax(b, "1.2.840.10008.1.2.4.90"));
        assertThatThrownBy(() -> DicomSeriesReader.read(j2k)).isInstanceOf(DataException.class).hasMessageContaining("JPEG 2000");
    }

    /** The file with its (0002,0010) value replaced (explicit VR LE meta header). */
    static byte[] replaceTransferSyntax(byte[] b, String uid) {
        for (int p = 132; p + 8 < b.length; p++) {
            if (b[p] == 0x02 && b[p + 1] == 0 && b[p + 2] == 0x10 && b[p + 3] == 0 && b[p + 4] == 'U' && b[p + 5] == 'I') {
                int len = (b[p + 6] & 0xff) | (b[p + 7] & 0xff) << 8;
                byte[] v = DicomWriterForTests.uid(uid);
                byte[] out = new byte[b.length - len + v.length];
                System.arraycopy(b, 0, out, 0, p + 6);
                ByteBuffer.wrap(out, p + 6, 2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) v.length);
                System.arraycopy(v, 0, out, p + 8, v.length);
                System.arraycopy(b, p + 8 + len, out, p + 8 + v.length, b.length - p - 8 - len);
                return out;
            }
        }
        throw new AssertionError("no transfer syntax element");
    }

    @Test
    void notDicomAndEmptyFoldersGiveClearErrors() throws IOException {
        Path empty = tmp.resolve("empty");
        Files.createDirectories(empty);
        Files.writeString(empty.resolve("readme.txt"), "not an image");
        assertThatThrownBy(() -> DicomSeriesReader.read(empty)).isInstanceOf(DataException.class).hasMessageContaining("no DICOM image files");
        assertThatThrownBy(() -> DicomSeriesReader.read(tmp.resolve("missing"))).isInstanceOf(DataException.class).hasMessageContaining("no such folder");
        byte[] b = Files.readAllBytes(TestData.path("dicom/ct-small/CT_small.dcm"));
        Path t = tmp.resolve("trunc");
        Files.createDirectories(t);
        Files.write(t.resolve("x.dcm"), java.util.Arrays.copyOf(b, b.length - 5000));
        assertThatThrownBy(() -> DicomSeriesReader.read(t)).isInstanceOf(DataException.class).hasMessageContaining("x.dcm").hasMessageContaining("truncated");
    }

    /** Mutates bytes of the real CT_small header at random: every case reads or fails with a DataException. */
    @Test
    void randomHeaderMutationsReadOrFailCleanly() {
        byte[] src;
        try {
            src = Files.readAllBytes(TestData.path("dicom/ct-small/CT_small.dcm"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        int headerEnd = src.length - 128 * 128 * 2; // pixel data is the tail
        Random rnd = new Random(777);
        int ok = 0, failed = 0;
        for (int c = 0; c < 2000; c++) {
            byte[] m = src.clone();
            int edits = 1 + rnd.nextInt(4);
            for (int e = 0; e < edits; e++) {
                int pos = rnd.nextInt(headerEnd);
                m[pos] = switch (rnd.nextInt(3)) {
                    case 0 -> (byte) rnd.nextInt(256);
                    case 1 -> (byte) 0xff;
                    default -> (byte) (m[pos] ^ (1 << rnd.nextInt(8)));
                };
            }
            if (rnd.nextInt(10) == 0) m = java.util.Arrays.copyOf(m, rnd.nextInt(m.length));
            Path name = Path.of("mutant-" + c + ".dcm");
            try {
                DicomFile f = DicomFile.parse(name, m);
                if (!f.hasPixelData()) throw new DataException(name + ": no pixel data");
                Volume v = DicomSeriesReader.fromFiles(Path.of("mutants"), List.of(f), new DicomSeriesReader.Options());
                for (float x : v.voxels) if (!Float.isFinite(x)) throw new AssertionError("case " + c + ": non-finite voxel");
                ok++;
            } catch (DataException e) {
                assertThat(e.getMessage()).as("case %d", c).contains("mutant").doesNotContain("\n");
                failed++;
            } catch (IOException | RuntimeException e) {
                throw new AssertionError("case " + c + " gave " + e, e);
            }
        }
        assertThat(ok).isGreaterThan(100);
        assertThat(failed).isGreaterThan(100);
    }
}
