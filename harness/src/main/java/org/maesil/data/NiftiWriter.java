package org.maesil.data;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.GZIPOutputStream;

/**
 * Writes NIfTI-1 single files ({@code .nii.gz} gzipped, {@code .nii} plain) that 3D Slicer,
 * ITK-SNAP and nibabel open: float32 by default, the volume's affine as both sform and qform
 * (code 1, scanner anatomical; the qform is left out when the affine is not a rotation times a
 * scaling). The file appears atomically: it is written to a temporary file in the same folder
 * and renamed, so a failure leaves nothing half-written.
 */
public final class NiftiWriter {
    private NiftiWriter() {}

    /** Voxel types the writer can store. */
    public enum DataType {
        UINT8(2, 8), INT16(4, 16), INT32(8, 32), FLOAT32(16, 32), FLOAT64(64, 64);
        final int code, bits;

        DataType(int code, int bits) {
            this.code = code;
            this.bits = bits;
        }
    }

    /** Writing options; the defaults give a float32 file with sform and qform. */
    public static final class Options {
        public DataType dataType = DataType.FLOAT32;
        /** Stored = round((value - sclInter) / sclSlope) for integer types; written to scl_slope/scl_inter. */
        public double sclSlope = 1, sclInter = 0;
        public boolean writeSform = true, writeQform = true;
        /** Optional separate qform affine (tests: a file whose sform and qform disagree). */
        public double[] qformAffine;
        public ByteOrder order = ByteOrder.LITTLE_ENDIAN;
        /** Force gzip on or off; null = from the file name (".gz"). */
        public Boolean gzip;
    }

    public static void write(Path file, Volume v) throws IOException {
        write(file, v, new Options());
    }

    public static void write(Path file, Volume v, Options o) throws IOException {
        boolean gz = o.gzip != null ? o.gzip : file.getFileName().toString().endsWith(".gz");
        ByteBuffer hdr = header(v, o);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, "." + file.getFileName(), ".tmp");
        try {
            try (OutputStream raw = Files.newOutputStream(tmp);
                 OutputStream out = gz ? new GZIPOutputStream(new BufferedOutputStream(raw, 1 << 16), 1 << 16)
                         : new BufferedOutputStream(raw, 1 << 16)) {
                out.write(hdr.array());
                out.write(new byte[4]); // extension flag: no extensions, data at 352
                writeVoxels(out, v, o, file);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static ByteBuffer header(Volume v, Options o) {
        ByteBuffer b = ByteBuffer.allocate(348).order(o.order);
        b.putInt(0, 348);
        short[] dim = {3, (short) v.nx, (short) v.ny, (short) v.nz, 1, 1, 1, 1};
        if (v.nx > Short.MAX_VALUE || v.ny > Short.MAX_VALUE || v.nz > Short.MAX_VALUE) {
            throw new IllegalArgumentException("NIfTI-1 cannot store more than 32767 voxels along an axis: " + v);
        }
        for (int i = 0; i < 8; i++) b.putShort(40 + 2 * i, dim[i]);
        b.putShort(70, (short) o.dataType.code);
        b.putShort(72, (short) o.dataType.bits);
        double[] q = o.qformAffine != null ? o.qformAffine : v.affine;
        Quatern qt = o.writeQform ? Quatern.of(q) : null;
        b.putFloat(76, qt != null ? (float) qt.qfac : 1f);
        // pixdim belongs with the qform: the lengths of its columns (the volume's spacing normally)
        for (int i = 0; i < 3; i++) {
            double len = Math.sqrt(q[i] * q[i] + q[4 + i] * q[4 + i] + q[8 + i] * q[8 + i]);
            b.putFloat(80 + 4 * i, (float) (qt != null && len > 0 ? len : v.spacing[i]));
        }
        b.putFloat(108, 352f);
        boolean integer = o.dataType != DataType.FLOAT32 && o.dataType != DataType.FLOAT64;
        b.putFloat(112, integer ? (float) o.sclSlope : 1f);
        b.putFloat(116, integer ? (float) o.sclInter : 0f);
        b.put(123, (byte) (2 | 8)); // mm, seconds
        byte[] d = v.description.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < Math.min(79, d.length); i++) b.put(148 + i, d[i] >= 32 && d[i] < 127 ? d[i] : (byte) '?');
        if (qt != null) {
            b.putShort(252, (short) 1);
            b.putFloat(256, (float) qt.b);
            b.putFloat(260, (float) qt.c);
            b.putFloat(264, (float) qt.d);
            b.putFloat(268, (float) q[3]);
            b.putFloat(272, (float) q[7]);
            b.putFloat(276, (float) q[11]);
        }
        if (o.writeSform) {
            b.putShort(254, (short) 1);
            for (int i = 0; i < 12; i++) b.putFloat(280 + 4 * i, (float) v.affine[i]);
        }
        b.put(344, (byte) 'n').put(345, (byte) '+').put(346, (byte) '1').put(347, (byte) 0);
        return b;
    }

    private static void writeVoxels(OutputStream out, Volume v, Options o, Path file) throws IOException {
        int bpv = o.dataType.bits / 8;
        byte[] chunk = new byte[bpv * 65536];
        ByteBuffer bb = ByteBuffer.wrap(chunk).order(o.order);
        float[] src = v.voxels;
        for (int start = 0; start < src.length; start += 65536) {
            int count = Math.min(65536, src.length - start);
            for (int i = 0; i < count; i++) {
                float f = src[start + i];
                int p = i * bpv;
                switch (o.dataType) {
                    case FLOAT32 -> bb.putFloat(p, f);
                    case FLOAT64 -> bb.putDouble(p, f);
                    default -> {
                        long s = Math.round((f - o.sclInter) / o.sclSlope);
                        long lo = o.dataType == DataType.UINT8 ? 0 : o.dataType == DataType.INT16 ? Short.MIN_VALUE : Integer.MIN_VALUE;
                        long hi = o.dataType == DataType.UINT8 ? 255 : o.dataType == DataType.INT16 ? Short.MAX_VALUE : Integer.MAX_VALUE;
                        if (s < lo || s > hi || !Float.isFinite(f)) {
                            throw new DataException(file + ": value " + f + " does not fit " + o.dataType + " with scl_slope "
                                    + o.sclSlope + " and scl_inter " + o.sclInter);
                        }
                        switch (o.dataType) {
                            case UINT8 -> bb.put(p, (byte) s);
                            case INT16 -> bb.putShort(p, (short) s);
                            default -> bb.putInt(p, (int) s);
                        }
                    }
                }
            }
            out.write(chunk, 0, count * bpv);
        }
    }

    /** NIfTI quaternion of an affine's rotation part (nifti1_io mat44_to_quatern), or null if it has none. */
    static final class Quatern {
        double b, c, d, qfac;

        static Quatern of(double[] a) {
            double[][] r = new double[3][3];
            for (int col = 0; col < 3; col++) {
                double n = Math.sqrt(a[col] * a[col] + a[4 + col] * a[4 + col] + a[8 + col] * a[8 + col]);
                if (n == 0) return null;
                for (int row = 0; row < 3; row++) r[row][col] = a[4 * row + col] / n;
            }
            // must be orthogonal (no shear) to be expressible as a quaternion
            for (int i = 0; i < 3; i++) {
                for (int j = i + 1; j < 3; j++) {
                    double dot = r[0][i] * r[0][j] + r[1][i] * r[1][j] + r[2][i] * r[2][j];
                    if (Math.abs(dot) > 1e-4) return null;
                }
            }
            double det = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1])
                    - r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0])
                    + r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
            Quatern q = new Quatern();
            q.qfac = 1;
            if (det < 0) {
                q.qfac = -1;
                r[0][2] = -r[0][2];
                r[1][2] = -r[1][2];
                r[2][2] = -r[2][2];
            }
            double qa = r[0][0] + r[1][1] + r[2][2] + 1;
            double qb, qc, qd;
            if (qa > 0.5) {
                qa = 0.5 * Math.sqrt(qa);
                qb = 0.25 * (r[2][1] - r[1][2]) / qa;
                qc = 0.25 * (r[0][2] - r[2][0]) / qa;
                qd = 0.25 * (r[1][0] - r[0][1]) / qa;
            } else {
                double xd = 1 + r[0][0] - (r[1][1] + r[2][2]);
                double yd = 1 + r[1][1] - (r[0][0] + r[2][2]);
                double zd = 1 + r[2][2] - (r[0][0] + r[1][1]);
                if (xd > 1) {
                    qb = 0.5 * Math.sqrt(xd);
                    qc = 0.25 * (r[0][1] + r[1][0]) / qb;
                    qd = 0.25 * (r[0][2] + r[2][0]) / qb;
                    qa = 0.25 * (r[2][1] - r[1][2]) / qb;
                } else if (yd > 1) {
                    qc = 0.5 * Math.sqrt(yd);
                    qb = 0.25 * (r[0][1] + r[1][0]) / qc;
                    qd = 0.25 * (r[1][2] + r[2][1]) / qc;
                    qa = 0.25 * (r[0][2] - r[2][0]) / qc;
                } else {
                    qd = 0.5 * Math.sqrt(zd);
                    qb = 0.25 * (r[0][2] + r[2][0]) / qd;
                    qc = 0.25 * (r[1][2] + r[2][1]) / qd;
                    qa = 0.25 * (r[1][0] - r[0][1]) / qd;
                }
                if (qa < 0) {
                    qb = -qb;
                    qc = -qc;
                    qd = -qd;
                }
            }
            q.b = qb;
            q.c = qc;
            q.d = qd;
            return q;
        }
    }
}
