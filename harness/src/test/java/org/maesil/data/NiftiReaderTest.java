package org.maesil.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NiftiReaderTest {
    @TempDir
    Path tmp;

    @Test
    void readsBigEndianNifti1WithItsAffine() throws IOException {
        Path f = TestData.path("nifti/anatomical.nii");
        NiftiReader.Header h = NiftiReader.readHeader(f);
        assertThat(h.order).isEqualTo(ByteOrder.BIG_ENDIAN);
        assertThat(h.version).isEqualTo(1);
        Volume v = NiftiReader.read(f);
        assertThat(new int[] {v.nx, v.ny, v.nz}).containsExactly(33, 41, 25);
        assertThat(v.spacing).containsExactly(2.0, 2.0, 2.0);
        // nibabel: img.affine == [[-2,0,0,32],[0,2,0,-40],[0,0,2,-16],[0,0,0,1]]
        assertThat(v.affine).containsExactly(-2, 0, 0, 32, 0, 2, 0, -40, 0, 0, 2, -16, 0, 0, 0, 1);
        assertThat(v.axisCodes()).isEqualTo("LAS");
        // the data decode as a real image would: non-negative MR intensities with a real spread
        double[] r = v.range();
        assertThat(r[1]).isGreaterThan(1000);
        assertThat(r[2]).isBetween(100.0, r[1] / 2);
        // read in the wrong byte order the same bytes would give absurd values: compare with a
        // hand decode of the first voxels as big-endian
        byte[] all = Files.readAllBytes(f);
        ByteBuffer bb = ByteBuffer.wrap(all).order(ByteOrder.BIG_ENDIAN);
        int off = (int) h.voxOffset;
        for (int i = 0; i < 50; i++) {
            double raw = switch (h.datatype) {
                case 4 -> bb.getShort(off + 2 * i);
                case 16 -> bb.getFloat(off + 4 * i);
                case 2 -> all[off + i] & 0xff;
                default -> throw new AssertionError("datatype " + h.datatype);
            };
            double scaled = h.sclSlope == 0 || Double.isNaN(h.sclSlope) ? raw : raw * h.sclSlope + h.sclInter;
            assertThat(v.voxels[i]).isEqualTo((float) scaled);
        }
    }

    @Test
    void fourDimensionalNeedsAnExplicitVolume() throws IOException {
        Path f = TestData.path("nifti/example4d.nii.gz");
        assertThatThrownBy(() -> NiftiReader.read(f)).isInstanceOf(DataException.class)
                .hasMessageContaining("example4d.nii.gz").hasMessageContaining("4D").hasMessageContaining("2 volumes");
        Volume v0 = NiftiReader.read(f, 0), v1 = NiftiReader.read(f, 1);
        assertThat(new int[] {v0.nx, v0.ny, v0.nz}).containsExactly(128, 96, 24);
        // nibabel's documented affine of example4d (qform/sform with an oblique tilt)
        assertThat(v0.affine[0]).isCloseTo(-2.0, within(1e-6));
        assertThat(v0.affine[3]).isCloseTo(117.8551, within(1e-3));
        assertThat(v0.affine[6]).isCloseTo(-0.35553, within(1e-4));
        assertThat(v0.affine[9]).isCloseTo(0.32321, within(1e-4));
        assertThat(v0.affine[10]).isCloseTo(2.17108, within(1e-4));
        assertThat(v0.spacing[2]).isCloseTo(2.2, within(1e-5));
        assertThat(v0.voxels).isNotEqualTo(v1.voxels);
        assertThatThrownBy(() -> NiftiReader.read(f, 2)).isInstanceOf(DataException.class).hasMessageContaining("out of range");
    }

    @Test
    void readsNifti2() throws IOException {
        Path f = TestData.path("nifti/example_nifti2.nii.gz");
        NiftiReader.Header h = NiftiReader.readHeader(f);
        assertThat(h.version).isEqualTo(2);
        assertThat(h.headerSize).isEqualTo(540);
        Volume v = NiftiReader.read(f, 0);
        assertThat(new int[] {v.nx, v.ny, v.nz}).containsExactly(32, 20, 12);
        // the same scanner geometry as example4d (nibabel made it from that file)
        Volume ref = NiftiReader.read(TestData.path("nifti/example4d.nii.gz"), 0);
        for (int i = 0; i < 16; i++) assertThat(v.affine[i]).isCloseTo(ref.affine[i], within(1e-4));
        assertThat(v.range()[1]).isGreaterThan(v.range()[0]);
    }

    private static Volume ramp(int nx, int ny, int nz) {
        float[] d = new float[nx * ny * nz];
        for (int i = 0; i < d.length; i++) d[i] = (float) (-1000 + (i * 37 % 2500));
        double[] aff = {-0.8, 0, 0, 100, 0, -0.7, 0, 120, 0, 0, 2.5, -50, 0, 0, 0, 1};
        return new Volume(d, nx, ny, nz, new double[] {0.8, 0.7, 2.5}, aff, "ramp");
    }

    @Test
    void roundTripsFloat32GzipAndPlain() throws IOException {
        Volume v = ramp(7, 5, 3);
        for (String name : new String[] {"a.nii.gz", "a.nii"}) {
            Path f = tmp.resolve(name);
            NiftiWriter.write(f, v);
            Volume r = NiftiReader.read(f);
            assertThat(r.voxels).containsExactly(v.voxels);
            for (int i = 0; i < 3; i++) assertThat(r.spacing[i]).isCloseTo(v.spacing[i], within(1e-6));
            for (int i = 0; i < 16; i++) assertThat(r.affine[i]).isCloseTo(v.affine[i], within(1e-5));
        }
        assertThat(Files.list(tmp).filter(p -> p.getFileName().toString().endsWith(".tmp")).count()).isZero();
    }

    @Test
    void roundTripsInt16WithSlopeAndInterceptBigEndian() throws IOException {
        Volume v = ramp(6, 4, 5);
        NiftiWriter.Options o = new NiftiWriter.Options();
        o.dataType = NiftiWriter.DataType.INT16;
        o.sclSlope = 0.5;
        o.sclInter = -1024;
        o.order = ByteOrder.BIG_ENDIAN;
        Path f = tmp.resolve("i16.nii.gz");
        NiftiWriter.write(f, v, o);
        NiftiReader.Header h = NiftiReader.readHeader(f);
        assertThat(h.datatype).isEqualTo(4);
        assertThat(h.order).isEqualTo(ByteOrder.BIG_ENDIAN);
        assertThat(h.sclSlope).isEqualTo(0.5);
        Volume r = NiftiReader.read(f);
        for (int i = 0; i < v.size(); i++) assertThat(r.voxels[i]).isCloseTo(v.voxels[i], within(0.25f));
    }

    @Test
    void roundTripsFloat64AndUint8() throws IOException {
        Volume v = ramp(5, 5, 2);
        NiftiWriter.Options o = new NiftiWriter.Options();
        o.dataType = NiftiWriter.DataType.FLOAT64;
        Path f = tmp.resolve("f64.nii");
        NiftiWriter.write(f, v, o);
        assertThat(NiftiReader.readHeader(f).datatype).isEqualTo(64);
        assertThat(NiftiReader.read(f).voxels).containsExactly(v.voxels);
        float[] small = new float[50];
        for (int i = 0; i < 50; i++) small[i] = i * 5;
        Volume u = Volume.of(small, 5, 5, 2, new double[] {1, 1, 1}, "u8");
        o.dataType = NiftiWriter.DataType.UINT8;
        NiftiWriter.write(tmp.resolve("u8.nii.gz"), u, o);
        assertThat(NiftiReader.read(tmp.resolve("u8.nii.gz")).voxels).containsExactly(small);
    }

    @Test
    void sformWinsOverQformAndQformAloneWorks() throws IOException {
        Volume v = ramp(4, 4, 4);
        // qform only: a 90-degree rotation about z with a flipped z axis (qfac = -1)
        double[] rot = {0, -0.8, 0, 10, 0.7, 0, 0, 20, 0, 0, -2.5, 30, 0, 0, 0, 1};
        Volume rv = new Volume(v.voxels, 4, 4, 4, v.spacing, rot, "rot");
        NiftiWriter.Options q = new NiftiWriter.Options();
        q.writeSform = false;
        NiftiWriter.write(tmp.resolve("q.nii.gz"), rv, q);
        NiftiReader.Header hq = NiftiReader.readHeader(tmp.resolve("q.nii.gz"));
        assertThat(hq.sformCode).isZero();
        assertThat(hq.qformCode).isEqualTo(1);
        Volume rq = NiftiReader.read(tmp.resolve("q.nii.gz"));
        for (int i = 0; i < 16; i++) assertThat(rq.affine[i]).as("qform affine[%d]", i).isCloseTo(rot[i], within(1e-5));
        assertThat(rq.axisCodes()).isEqualTo("ALI");
        // both present and different: the sform is used
        NiftiWriter.Options both = new NiftiWriter.Options();
        both.qformAffine = rot;
        NiftiWriter.write(tmp.resolve("b.nii.gz"), v, both);
        Volume rb = NiftiReader.read(tmp.resolve("b.nii.gz"));
        for (int i = 0; i < 16; i++) assertThat(rb.affine[i]).isCloseTo(v.affine[i], within(1e-5));
        // neither: pixdim only
        NiftiWriter.Options none = new NiftiWriter.Options();
        none.writeQform = false;
        none.writeSform = false;
        NiftiWriter.write(tmp.resolve("n.nii.gz"), v, none);
        assertThat(NiftiReader.read(tmp.resolve("n.nii.gz")).affine).containsExactly((float) 0.8, 0, 0, 0, 0, (float) 0.7, 0, 0, 0, 0, 2.5, 0, 0, 0, 0, 1);
    }

    @Test
    void clearErrorsForBadFiles() throws IOException {
        Volume v = ramp(8, 8, 8);
        Path good = tmp.resolve("g.nii");
        NiftiWriter.write(good, v);
        byte[] b = Files.readAllBytes(good);
        // truncated
        Path t = tmp.resolve("trunc.nii");
        Files.write(t, java.util.Arrays.copyOf(b, b.length - 100));
        assertThatThrownBy(() -> NiftiReader.read(t)).isInstanceOf(DataException.class)
                .hasMessageContaining("trunc.nii").hasMessageContaining("only");
        // truncated gzip
        Path tg = tmp.resolve("trunc.nii.gz");
        NiftiWriter.write(tmp.resolve("g.nii.gz"), v);
        byte[] gz = Files.readAllBytes(tmp.resolve("g.nii.gz"));
        Files.write(tg, java.util.Arrays.copyOf(gz, gz.length / 2));
        assertThatThrownBy(() -> NiftiReader.read(tg)).isInstanceOf(DataException.class).hasMessageContaining("trunc.nii.gz");
        // wrong magic
        byte[] m = b.clone();
        m[344] = 'x';
        Path wm = tmp.resolve("magic.nii");
        Files.write(wm, m);
        assertThatThrownBy(() -> NiftiReader.read(wm)).isInstanceOf(DataException.class).hasMessageContaining("magic.nii").hasMessageContaining("magic");
        // absurd dimension
        byte[] d = b.clone();
        ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN).putShort(42, (short) 30000);
        Path ad = tmp.resolve("dims.nii");
        Files.write(ad, d);
        assertThatThrownBy(() -> NiftiReader.read(ad)).isInstanceOf(DataException.class).hasMessageContaining("dims.nii");
        ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN).putShort(42, (short) 0);
        Files.write(ad, d);
        assertThatThrownBy(() -> NiftiReader.read(ad)).isInstanceOf(DataException.class).hasMessageContaining("dim[1]");
        // NaN voxel
        float[] nan = v.voxels.clone();
        nan[17] = Float.NaN;
        Path nf = tmp.resolve("nan.nii");
        NiftiWriter.write(nf, v.withVoxels(nan, "nan"));
        assertThatThrownBy(() -> NiftiReader.read(nf)).isInstanceOf(DataException.class).hasMessageContaining("nan.nii").hasMessageContaining("NaN");
        // not a file, missing file, not NIfTI at all
        assertThatThrownBy(() -> NiftiReader.read(tmp)).isInstanceOf(DataException.class).hasMessageContaining("folder");
        assertThatThrownBy(() -> NiftiReader.read(tmp.resolve("none.nii"))).isInstanceOf(DataException.class).hasMessageContaining("no such file");
        Path txt = tmp.resolve("x.nii");
        Files.writeString(txt, "hello");
        assertThatThrownBy(() -> NiftiReader.read(txt)).isInstanceOf(DataException.class).hasMessageContaining("x.nii");
        // the writer refuses a value its integer type cannot hold, and leaves no file behind
        NiftiWriter.Options o = new NiftiWriter.Options();
        o.dataType = NiftiWriter.DataType.UINT8;
        Path bad = tmp.resolve("bad.nii.gz");
        assertThatThrownBy(() -> NiftiWriter.write(bad, v, o)).isInstanceOf(DataException.class).hasMessageContaining("does not fit");
        assertThat(Files.exists(bad)).isFalse();
        assertThat(Files.list(tmp).filter(p -> p.getFileName().toString().endsWith(".tmp")).count()).isZero();
    }

    /** Mutates header bytes of real files at random; every case must read or fail with a DataException. */
    @Test
    void randomHeaderMutationsReadOrFailCleanly() throws IOException {
        byte[] nifti1 = Files.readAllBytes(TestData.path("nifti/anatomical.nii"));
        byte[] nifti2;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(TestData.path("nifti/example_nifti2.nii.gz")))) {
            nifti2 = in.readAllBytes();
        }
        Random rnd = new Random(20240611);
        int ok = 0, failed = 0;
        for (int c = 0; c < 2000; c++) {
            byte[] src = c % 2 == 0 ? nifti1 : nifti2;
            int hdr = c % 2 == 0 ? 348 : 540;
            byte[] m = src.clone();
            int edits = 1 + rnd.nextInt(4);
            for (int e = 0; e < edits; e++) {
                int pos = rnd.nextInt(hdr);
                m[pos] = switch (rnd.nextInt(4)) {
                    case 0 -> (byte) rnd.nextInt(256);
                    case 1 -> (byte) 0xff;
                    case 2 -> 0;
                    default -> (byte) (m[pos] ^ (1 << rnd.nextInt(8)));
                };
            }
            if (rnd.nextInt(10) == 0) m = java.util.Arrays.copyOf(m, rnd.nextInt(m.length));
            String name = "mutant-" + c + ".nii";
            try {
                Volume v = NiftiReader.read(new ByteArrayInputStream(m), name, m.length, c % 2 == 0 ? -1 : 0);
                assertThat(v.size()).isEqualTo(v.nx * v.ny * v.nz);
                for (float f : v.voxels) if (!Float.isFinite(f)) throw new AssertionError("case " + c + ": non-finite voxel returned");
                for (double s : v.spacing) assertThat(s).isPositive();
                ok++;
            } catch (DataException e) {
                assertThat(e.getMessage()).as("case %d", c).startsWith(name).doesNotContain("\n");
                failed++;
            } catch (IOException | RuntimeException e) {
                throw new AssertionError("case " + c + ": " + name + " gave " + e, e);
            }
        }
        assertThat(ok).isGreaterThan(100);
        assertThat(failed).isGreaterThan(100);
    }

    @Test
    void gzipStreamsAreDetectedByContentNotName() throws IOException {
        Volume v = ramp(3, 3, 3);
        Path f = tmp.resolve("plain.nii.gz");
        NiftiWriter.Options o = new NiftiWriter.Options();
        o.gzip = false;
        NiftiWriter.write(f, v, o);
        assertThat(NiftiReader.read(f).voxels).containsExactly(v.voxels);
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        bos.write(Files.readAllBytes(f));
        assertThat(bos.size()).isEqualTo(352 + 27 * 4);
    }
}
