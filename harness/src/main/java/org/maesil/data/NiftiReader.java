package org.maesil.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads NIfTI-1 (348-byte header) and NIfTI-2 (540-byte header) single files, {@code .nii} or
 * gzipped {@code .nii.gz}, in either byte order. Datatypes: uint8, int8, int16, uint16, int32,
 * uint32, int64, uint64, float32, float64; voxels are scaled by scl_slope/scl_inter when the
 * slope is finite and non-zero. The affine is taken from the sform when sform_code &gt; 0, else
 * from the qform (quaternion) when qform_code &gt; 0, else from pixdim alone; it is returned in
 * RAS+ mm (NIfTI's own world convention) and the spacing is the length of its columns.
 *
 * <p>4D files: {@link #read(Path)} refuses them with a clear error; {@link #read(Path, int)}
 * picks one volume (time point) explicitly. Not supported (clear errors): analyze/.hdr+.img
 * pairs, complex and RGB datatypes, 5D+ data with more than one value per voxel, NaN or infinite
 * voxels.
 */
public final class NiftiReader {
    private NiftiReader() {}

    /** Largest accepted size of one axis (a real CT has a few thousand voxels at most). */
    public static final int MAX_DIM = 16384;

    /** The parsed header, enough to describe or read a file. */
    public static final class Header {
        public int version;              // 1 or 2
        public ByteOrder order;
        public long[] dim = new long[8];
        public int datatype;
        public int bitpix;
        public double[] pixdim = new double[8];
        public long voxOffset;
        public double sclSlope, sclInter;
        public int qformCode, sformCode;
        public double quaternB, quaternC, quaternD, qoffsetX, qoffsetY, qoffsetZ;
        public double[] srow = new double[12];
        public int xyztUnits;
        public String descrip = "";
        public int headerSize;

        /** Number of volumes along dim 4 (1 for 3D). */
        public long volumes() {
            return dim[0] >= 4 ? dim[4] : 1;
        }
    }

    /** Reads a 3D file; a 4D file with more than one volume is an error (see {@link #read(Path, int)}). */
    public static Volume read(Path file) throws IOException {
        return read(file, -1);
    }

    /**
     * Reads volume {@code volumeIndex} (0-based, along the 4th dimension) of a 3D or 4D file;
     * -1 means "the file must be 3D (or 4D with one volume)".
     */
    public static Volume read(Path file, int volumeIndex) throws IOException {
        String name = file.toString();
        if (Files.isDirectory(file)) throw new DataException(name + ": is a folder, not a NIfTI file");
        if (name.endsWith(".hdr") || name.endsWith(".img") || name.endsWith(".hdr.gz") || name.endsWith(".img.gz")) {
            throw new DataException(name + ": Analyze/NIfTI .hdr+.img pairs are not supported; convert to a single .nii or .nii.gz file");
        }
        long fileLength;
        try {
            fileLength = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new DataException(name + ": no such file");
        } catch (IOException e) {
            throw new DataException(name + ": cannot read (" + e.getMessage() + ")");
        }
        try (InputStream raw = Files.newInputStream(file)) {
            return read(raw, name, fileLength, volumeIndex);
        } catch (DataException e) {
            throw e;
        } catch (IOException e) {
            throw new DataException(name + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /** Reads only the header (for {@code info}); the voxel data is not touched. */
    public static Header readHeader(Path file) throws IOException {
        String name = file.toString();
        try (InputStream in = open(Files.newInputStream(file), name)) {
            return parseHeader(in, name);
        } catch (NoSuchFileException e) {
            throw new DataException(name + ": no such file");
        }
    }

    /**
     * Reads from a stream (gzipped or not, detected from the first two bytes). {@code fileLength}
     * is the length of the uncompressed file when known (else -1): it lets a short file be caught
     * before any voxel memory is allocated.
     */
    public static Volume read(InputStream raw, String name, long fileLength, int volumeIndex) throws IOException {
        BufferedInputStream peek = new BufferedInputStream(raw, 1 << 16);
        peek.mark(2);
        int b0 = peek.read(), b1 = peek.read();
        peek.reset();
        boolean gz = b0 == 0x1f && b1 == 0x8b;
        InputStream in = gz ? new BufferedInputStream(new GZIPInputStream(peek, 1 << 16), 1 << 16) : peek;
        try {
            Header h = parseHeader(in, name);
            return readVoxels(in, h, name, gz ? -1 : fileLength, volumeIndex);
        } catch (ZipException e) {
            throw new DataException(name + ": corrupt gzip data (" + e.getMessage() + ")");
        } catch (EOFException e) {
            throw new DataException(name + ": truncated file (" + (e.getMessage() == null ? "ends early" : e.getMessage()) + ")");
        }
    }

    private static InputStream open(InputStream raw, String name) throws IOException {
        BufferedInputStream peek = new BufferedInputStream(raw, 1 << 16);
        peek.mark(2);
        int b0 = peek.read(), b1 = peek.read();
        peek.reset();
        if (b0 == 0x1f && b1 == 0x8b) return new BufferedInputStream(new GZIPInputStream(peek, 1 << 16), 1 << 16);
        return peek;
    }

    static Header parseHeader(InputStream in, String name) throws IOException {
        byte[] first = new byte[348];
        int got = in.readNBytes(first, 0, 348);
        if (got < 348) {
            throw new DataException(name + ": too short for a NIfTI header (" + got + " bytes, need at least 348)");
        }
        ByteBuffer bb = ByteBuffer.wrap(first);
        int sizeLe = bb.order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        int sizeBe = bb.order(ByteOrder.BIG_ENDIAN).getInt(0);
        Header h = new Header();
        if (sizeLe == 348 || sizeBe == 348) {
            h.order = sizeLe == 348 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
            parseNifti1(bb.order(h.order), h, name);
        } else if (sizeLe == 540 || sizeBe == 540) {
            h.order = sizeLe == 540 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
            byte[] all = new byte[540];
            System.arraycopy(first, 0, all, 0, 348);
            int more = in.readNBytes(all, 348, 540 - 348);
            if (more < 540 - 348) throw new DataException(name + ": truncated NIfTI-2 header (" + (348 + more) + " of 540 bytes)");
            parseNifti2(ByteBuffer.wrap(all).order(h.order), h, name);
        } else {
            throw new DataException(name + ": not a NIfTI file (sizeof_hdr is " + sizeLe + ", expected 348 or 540)");
        }
        validate(h, name);
        return h;
    }

    private static void parseNifti1(ByteBuffer b, Header h, String name) throws DataException {
        String magic = ascii(b, 344, 4);
        if (magic.equals("ni1")) {
            throw new DataException(name + ": NIfTI-1 header with magic 'ni1' (separate .img file) is not supported; use a single .nii file");
        }
        if (!magic.equals("n+1")) {
            throw new DataException(name + ": bad NIfTI-1 magic '" + printable(magic) + "' (expected 'n+1')");
        }
        h.version = 1;
        h.headerSize = 348;
        for (int i = 0; i < 8; i++) h.dim[i] = b.getShort(40 + 2 * i);
        h.datatype = b.getShort(70);
        h.bitpix = b.getShort(72);
        for (int i = 0; i < 8; i++) h.pixdim[i] = b.getFloat(76 + 4 * i);
        double vo = b.getFloat(108);
        if (!(vo >= 0) || vo > Integer.MAX_VALUE) throw new DataException(name + ": field vox_offset = " + vo + " is not a valid byte offset");
        h.voxOffset = (long) vo;
        h.sclSlope = b.getFloat(112);
        h.sclInter = b.getFloat(116);
        h.xyztUnits = b.get(123) & 0xff;
        h.descrip = ascii(b, 148, 80);
        h.qformCode = b.getShort(252);
        h.sformCode = b.getShort(254);
        h.quaternB = b.getFloat(256);
        h.quaternC = b.getFloat(260);
        h.quaternD = b.getFloat(264);
        h.qoffsetX = b.getFloat(268);
        h.qoffsetY = b.getFloat(272);
        h.qoffsetZ = b.getFloat(276);
        for (int i = 0; i < 12; i++) h.srow[i] = b.getFloat(280 + 4 * i);
    }

    private static void parseNifti2(ByteBuffer b, Header h, String name) throws DataException {
        String magic = ascii(b, 4, 3);
        if (magic.equals("ni2")) {
            throw new DataException(name + ": NIfTI-2 header with magic 'ni2' (separate .img file) is not supported; use a single .nii file");
        }
        if (!magic.equals("n+2")) {
            throw new DataException(name + ": bad NIfTI-2 magic '" + printable(magic) + "' (expected 'n+2')");
        }
        h.version = 2;
        h.headerSize = 540;
        h.datatype = b.getShort(12);
        h.bitpix = b.getShort(14);
        for (int i = 0; i < 8; i++) h.dim[i] = b.getLong(16 + 8 * i);
        for (int i = 0; i < 8; i++) h.pixdim[i] = b.getDouble(104 + 8 * i);
        h.voxOffset = b.getLong(168);
        h.sclSlope = b.getDouble(176);
        h.sclInter = b.getDouble(184);
        h.descrip = ascii(b, 240, 80);
        h.qformCode = b.getInt(344);
        h.sformCode = b.getInt(348);
        h.quaternB = b.getDouble(352);
        h.quaternC = b.getDouble(360);
        h.quaternD = b.getDouble(368);
        h.qoffsetX = b.getDouble(376);
        h.qoffsetY = b.getDouble(384);
        h.qoffsetZ = b.getDouble(392);
        for (int i = 0; i < 12; i++) h.srow[i] = b.getDouble(400 + 8 * i);
        h.xyztUnits = b.getInt(500);
    }

    private static void validate(Header h, String name) throws DataException {
        long nd = h.dim[0];
        if (nd < 1 || nd > 7) throw new DataException(name + ": field dim[0] = " + nd + " (number of dimensions) must be 1..7");
        for (int i = 1; i <= nd; i++) {
            if (h.dim[i] < 1) throw new DataException(name + ": field dim[" + i + "] = " + h.dim[i] + " must be at least 1");
            if (h.dim[i] > MAX_DIM) {
                throw new DataException(name + ": field dim[" + i + "] = " + h.dim[i] + " is absurd (more than " + MAX_DIM + " voxels along one axis)");
            }
        }
        for (int i = (int) nd + 1; i < 8; i++) h.dim[i] = 1;
        for (int i = 5; i <= nd; i++) {
            if (h.dim[i] > 1) {
                throw new DataException(name + ": field dim[" + i + "] = " + h.dim[i] + ": data with more than 4 dimensions is not supported");
            }
        }
        int expectBits = switch (h.datatype) {
            case 2, 256 -> 8;
            case 4, 512 -> 16;
            case 8, 16, 768 -> 32;
            case 64, 1024, 1280 -> 64;
            case 32, 1792, 2048 -> throw new DataException(name + ": complex datatype " + h.datatype + " is not supported (CT is real-valued)");
            case 128, 2304 -> throw new DataException(name + ": RGB datatype " + h.datatype + " is not supported (CT is greyscale)");
            case 1536 -> throw new DataException(name + ": float128 datatype is not supported");
            default -> throw new DataException(name + ": field datatype = " + h.datatype + " is not a known NIfTI datatype");
        };
        if (h.bitpix != expectBits) {
            throw new DataException(name + ": field bitpix = " + h.bitpix + " disagrees with datatype " + h.datatype + " (" + expectBits + " bits)");
        }
        if (h.voxOffset < h.headerSize) {
            throw new DataException(name + ": field vox_offset = " + h.voxOffset + " points inside the " + h.headerSize + "-byte header");
        }
    }

    /** Bytes per voxel of the datatype. */
    static int bytesPerVoxel(Header h) {
        return h.bitpix / 8;
    }

    private static Volume readVoxels(InputStream in, Header h, String name, long fileLength, int volumeIndex) throws IOException {
        int nx = (int) h.dim[1], ny = (int) h.dim[2], nz = (int) h.dim[3];
        long nvol = h.volumes();
        if (volumeIndex < 0 && nvol > 1) {
            throw new DataException(name + ": 4D file with " + nvol + " volumes (dim[4] = " + nvol
                    + "); choose one volume explicitly (NiftiReader.read(path, index))");
        }
        int vol = Math.max(volumeIndex, 0);
        if (vol >= nvol) throw new DataException(name + ": volume index " + vol + " out of range (file has " + nvol + ")");
        long nvox = (long) nx * ny * nz;
        if (nvox > Integer.MAX_VALUE - 16) {
            throw new DataException(name + ": " + nx + "x" + ny + "x" + nz + " = " + nvox + " voxels is more than one Java array can hold");
        }
        int bpv = bytesPerVoxel(h);
        long dataBytes = nvox * bpv * nvol;
        if (fileLength >= 0 && h.voxOffset + dataBytes > fileLength) {
            throw new DataException(name + ": header promises " + dataBytes + " bytes of voxel data at offset " + h.voxOffset
                    + " but the file has only " + fileLength + " bytes (truncated file or wrong dim/datatype)");
        }
        long free = Runtime.getRuntime().maxMemory() - (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory());
        if (nvox * 4 > free) {
            throw new DataException(name + ": " + nx + "x" + ny + "x" + nz + " needs " + (nvox * 4 >> 20)
                    + " MiB as float32, more than the " + (free >> 20) + " MiB the JVM has free (raise -Xmx)");
        }
        double[] affine = affine(h, name);
        double[] spacing = new double[3];
        for (int c = 0; c < 3; c++) {
            spacing[c] = Math.sqrt(affine[c] * affine[c] + affine[4 + c] * affine[4 + c] + affine[8 + c] * affine[8 + c]);
            if (!(spacing[c] > 0) || Double.isInfinite(spacing[c]) || spacing[c] > 1e5) {
                throw new DataException(name + ": voxel size along axis " + (c + 1) + " is " + spacing[c]
                        + " mm (field pixdim[" + (c + 1) + "] or the " + (h.sformCode > 0 ? "sform" : "qform") + ")");
            }
        }
        double slope = h.sclSlope, inter = h.sclInter;
        if (!(Double.isFinite(slope)) || slope == 0) {
            slope = 1;
            inter = 0;
        } else if (!Double.isFinite(inter)) {
            throw new DataException(name + ": field scl_inter = " + inter + " is not finite");
        }
        long skip = h.voxOffset - h.headerSize + (long) vol * nvox * bpv;
        skipFully(in, skip);
        float[] out = new float[(int) nvox];
        decode(in, h, bpv, out, slope, inter, name);
        String desc = name + " (NIfTI-" + h.version + (nvol > 1 ? ", volume " + vol + " of " + nvol : "") + ")";
        return new Volume(out, nx, ny, nz, spacing, affine, desc);
    }

    private static void skipFully(InputStream in, long n) throws IOException {
        while (n > 0) {
            long s = in.skip(n);
            if (s <= 0) {
                if (in.read() < 0) throw new EOFException("ends before the voxel data");
                s = 1;
            }
            n -= s;
        }
    }

    private static void decode(InputStream in, Header h, int bpv, float[] out, double slope, double inter, String name) throws IOException {
        byte[] chunk = new byte[bpv * 65536];
        ByteBuffer bb = ByteBuffer.wrap(chunk).order(h.order);
        boolean identity = slope == 1 && inter == 0;
        int done = 0;
        while (done < out.length) {
            int count = Math.min(65536, out.length - done);
            int want = count * bpv;
            int got = in.readNBytes(chunk, 0, want);
            if (got < want) {
                throw new EOFException("voxel data ends after " + ((long) done * bpv + got) + " of " + ((long) out.length * bpv) + " bytes");
            }
            for (int i = 0; i < count; i++) {
                int p = i * bpv;
                double v = switch (h.datatype) {
                    case 2 -> chunk[p] & 0xff;
                    case 256 -> chunk[p];
                    case 4 -> bb.getShort(p);
                    case 512 -> bb.getShort(p) & 0xffff;
                    case 8 -> bb.getInt(p);
                    case 768 -> bb.getInt(p) & 0xffffffffL;
                    case 16 -> bb.getFloat(p);
                    case 64 -> bb.getDouble(p);
                    case 1024 -> (double) bb.getLong(p);
                    case 1280 -> unsignedLong(bb.getLong(p));
                    default -> throw new IllegalStateException("datatype checked in validate");
                };
                double scaled = identity ? v : v * slope + inter;
                float f = (float) scaled;
                if (!Float.isFinite(f)) {
                    int idx = done + i;
                    throw new DataException(name + ": voxel (" + (idx % (int) h.dim[1]) + ", " + (idx / (int) h.dim[1] % (int) h.dim[2])
                            + ", " + (idx / ((int) h.dim[1] * (int) h.dim[2])) + ") is " + (Double.isNaN(v) ? "NaN" : f)
                            + (identity ? "" : " after scl_slope/scl_inter") + "; NaN/Inf voxels are not accepted");
                }
                out[done + i] = f;
            }
            done += count;
        }
    }

    private static double unsignedLong(long v) {
        double d = (double) (v >>> 1) * 2.0;
        return d + (v & 1);
    }

    /** The voxel-to-RAS affine of a header: sform, else qform, else pixdim (NIfTI "method 1"). */
    static double[] affine(Header h, String name) throws DataException {
        if (h.sformCode > 0) {
            double[] a = new double[16];
            System.arraycopy(h.srow, 0, a, 0, 12);
            a[15] = 1;
            checkFinite(a, name, "srow_x/srow_y/srow_z");
            return a;
        }
        if (h.qformCode > 0) {
            double b = h.quaternB, c = h.quaternC, d = h.quaternD;
            checkFinite(new double[] {b, c, d, h.qoffsetX, h.qoffsetY, h.qoffsetZ}, name, "quatern_b/c/d or qoffset");
            double aa = 1.0 - (b * b + c * c + d * d);
            double a;
            if (aa < 1e-7) {
                // NIfTI: a 180-degree rotation; normalise (b, c, d)
                double n = Math.sqrt(b * b + c * c + d * d);
                if (n == 0) throw new DataException(name + ": quaternion quatern_b/c/d is degenerate");
                b /= n;
                c /= n;
                d /= n;
                a = 0;
            } else {
                a = Math.sqrt(aa);
            }
            double[] r = {
                    a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c),
                    2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b),
                    2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b};
            double qfac = h.pixdim[0] < 0 ? -1 : 1;
            double sx = voxelSize(h, 1), sy = voxelSize(h, 2), sz = voxelSize(h, 3) * qfac;
            return new double[] {
                    r[0] * sx, r[1] * sy, r[2] * sz, h.qoffsetX,
                    r[3] * sx, r[4] * sy, r[5] * sz, h.qoffsetY,
                    r[6] * sx, r[7] * sy, r[8] * sz, h.qoffsetZ,
                    0, 0, 0, 1};
        }
        double[] a = {voxelSize(h, 1), 0, 0, 0, 0, voxelSize(h, 2), 0, 0, 0, 0, voxelSize(h, 3), 0, 0, 0, 0, 1};
        checkFinite(a, name, "pixdim");
        return a;
    }

    /** |pixdim[i]|, or 1 mm for an axis of length 1 whose pixdim is 0 (2D images). */
    private static double voxelSize(Header h, int i) {
        double s = Math.abs(h.pixdim[i]);
        return s == 0 && h.dim[i] == 1 ? 1 : s;
    }

    private static void checkFinite(double[] v, String name, String field) throws DataException {
        for (double x : v) {
            if (!Double.isFinite(x)) throw new DataException(name + ": field " + field + " holds a non-finite value");
        }
    }

    private static String ascii(ByteBuffer b, int off, int len) {
        byte[] s = new byte[len];
        for (int i = 0; i < len; i++) s[i] = b.get(off + i);
        int end = 0;
        while (end < len && s[end] != 0) end++;
        return new String(s, 0, end, StandardCharsets.ISO_8859_1).trim();
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (char ch : s.toCharArray()) sb.append(ch >= 32 && ch < 127 ? String.valueOf(ch) : String.format("\\x%02x", (int) ch));
        return sb.toString();
    }
}
