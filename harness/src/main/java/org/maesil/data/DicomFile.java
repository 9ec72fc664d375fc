package org.maesil.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * One DICOM file, parsed just enough for CT series: the top-level attributes a series reader
 * needs and the location of uncompressed pixel data. Transfer syntaxes: implicit VR little
 * endian, explicit VR little endian, explicit VR big endian (retired but cheap). Files without
 * the 128-byte preamble and "DICM" are accepted when they start like an implicit-VR dataset.
 * Encapsulated (compressed) pixel data gives "unsupported transfer syntax X in FILE".
 */
public final class DicomFile {
    public static final String IMPLICIT_LE = "1.2.840.10008.1.2";
    public static final String EXPLICIT_LE = "1.2.840.10008.1.2.1";
    public static final String EXPLICIT_BE = "1.2.840.10008.1.2.2";

    static final int PIXEL_DATA = 0x7FE00010;

    /** Attribute tags this reader keeps (group << 16 | element). */
    static final int TRANSFER_SYNTAX = 0x00020010, MODALITY = 0x00080060, SERIES_UID = 0x0020000E,
            SERIES_DESCRIPTION = 0x0008103E, INSTANCE_NUMBER = 0x00200013, IMAGE_POSITION = 0x00200032,
            IMAGE_ORIENTATION = 0x00200037, PIXEL_SPACING = 0x00280030, SLICE_THICKNESS = 0x00180050,
            ROWS = 0x00280010, COLUMNS = 0x00280011, BITS_ALLOCATED = 0x00280100, BITS_STORED = 0x00280101,
            PIXEL_REPRESENTATION = 0x00280103, SAMPLES_PER_PIXEL = 0x00280002, RESCALE_SLOPE = 0x00281053,
            RESCALE_INTERCEPT = 0x00281052, NUMBER_OF_FRAMES = 0x00280008, PHOTOMETRIC = 0x00280004,
            SOP_CLASS = 0x00080016;

    public final Path path;
    public final String transferSyntax;
    final Map<Integer, String> strings = new HashMap<>();
    final Map<Integer, Integer> ints = new HashMap<>();
    final byte[] bytes;
    final ByteOrder order;
    int pixelOffset = -1, pixelLength = -1;

    private DicomFile(Path path, byte[] bytes, String ts, ByteOrder order) {
        this.path = path;
        this.bytes = bytes;
        this.transferSyntax = ts;
        this.order = order;
    }

    /** True when the file starts like DICOM (preamble + "DICM"); cheap, for scanning folders. */
    public static boolean looksLikeDicom(Path p) {
        try (var in = Files.newInputStream(p)) {
            byte[] head = in.readNBytes(132);
            if (head.length == 132 && head[128] == 'D' && head[129] == 'I' && head[130] == 'C' && head[131] == 'M') return true;
            return head.length >= 8 && looksLikeRawDataset(head);
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean looksLikeRawDataset(byte[] b) {
        // implicit VR LE dataset without preamble: first tag in group 0x0008 with a small even length
        int group = (b[0] & 0xff) | (b[1] & 0xff) << 8;
        long len = (b[4] & 0xffL) | (b[5] & 0xffL) << 8 | (b[6] & 0xffL) << 16 | (b[7] & 0xffL) << 24;
        return group == 0x0008 && len < 1024;
    }

    /** Parses a file; errors name the file. */
    public static DicomFile read(Path p) throws IOException {
        byte[] b;
        try {
            b = Files.readAllBytes(p);
        } catch (IOException e) {
            throw new DataException(p + ": cannot read (" + e.getMessage() + ")");
        }
        return parse(p, b);
    }

    /** Parses the bytes of a file named {@code p} (tests feed mutated bytes here). */
    static DicomFile parse(Path p, byte[] b) throws DataException {
        int pos;
        String ts;
        DicomFile f;
        if (b.length >= 132 && b[128] == 'D' && b[129] == 'I' && b[130] == 'C' && b[131] == 'M') {
            pos = 132;
            // file meta information: always explicit VR little endian
            DicomFile meta = new DicomFile(p, b, EXPLICIT_LE, ByteOrder.LITTLE_ENDIAN);
            pos = meta.parse(pos, true, true, 0);
            ts = meta.strings.get(TRANSFER_SYNTAX);
            if (ts == null) throw new DataException(p + ": DICOM file meta information has no TransferSyntaxUID (0002,0010)");
            f = new DicomFile(p, b, ts, ts.equals(EXPLICIT_BE) ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
            f.strings.putAll(meta.strings);
        } else if (b.length >= 8 && looksLikeRawDataset(b)) {
            pos = 0;
            ts = IMPLICIT_LE;
            f = new DicomFile(p, b, ts, ByteOrder.LITTLE_ENDIAN);
        } else {
            throw new DataException(p + ": not a DICOM file (no 'DICM' at byte 128)");
        }
        if (!ts.equals(IMPLICIT_LE) && !ts.equals(EXPLICIT_LE) && !ts.equals(EXPLICIT_BE)) {
            throw new DataException("unsupported transfer syntax " + ts + " (" + transferSyntaxName(ts) + ") in " + p
                    + "; only uncompressed implicit/explicit VR little endian and explicit VR big endian are read");
        }
        f.parse(pos, !ts.equals(IMPLICIT_LE), false, 0);
        return f;
    }

    static String transferSyntaxName(String ts) {
        if (ts.startsWith("1.2.840.10008.1.2.4.5") || ts.startsWith("1.2.840.10008.1.2.4.6")
                || ts.startsWith("1.2.840.10008.1.2.4.7")) return "JPEG";
        if (ts.startsWith("1.2.840.10008.1.2.4.8")) return "JPEG-LS";
        if (ts.startsWith("1.2.840.10008.1.2.4.9")) return "JPEG 2000";
        if (ts.equals("1.2.840.10008.1.2.5")) return "RLE Lossless";
        if (ts.equals("1.2.840.10008.1.2.1.99")) return "Deflated Explicit VR Little Endian";
        if (ts.startsWith("1.2.840.10008.1.2.4.10")) return "MPEG";
        return "not an uncompressed syntax";
    }

    /**
     * Parses elements from {@code pos}; with {@code metaOnly} stops after group 0002. Records
     * top-level ({@code depth} 0) attributes; sequences are skipped. Returns the end position.
     */
    private int parse(int pos, boolean explicit, boolean metaOnly, int depth) throws DataException {
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(order);
        while (pos + 8 <= bytes.length) {
            ByteBuffer tb = metaOnly ? ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN) : bb;
            int group = tb.getShort(pos) & 0xffff;
            int element = tb.getShort(pos + 2) & 0xffff;
            if (metaOnly && group != 0x0002) return pos;
            int tag = group << 16 | element;
            if (group == 0xFFFE) { // item / delimiters inside a sequence
                long len = tb.getInt(pos + 4) & 0xffffffffL;
                if (element == 0xE00D || element == 0xE0DD) return pos + 8;
                if (element == 0xE000) {
                    pos = len == 0xffffffffL ? parse(pos + 8, explicit, false, depth + 1) : checkedEnd(pos + 8, len, tag);
                    continue;
                }
                throw new DataException(path + ": malformed item tag (FFFE," + hex4(element) + ") at byte " + pos);
            }
            String vr = null;
            long len;
            int valuePos;
            if (explicit) {
                vr = new String(bytes, pos + 4, 2, StandardCharsets.US_ASCII);
                if (vr.equals("OB") || vr.equals("OW") || vr.equals("OF") || vr.equals("SQ") || vr.equals("UT")
                        || vr.equals("UN") || vr.equals("OD") || vr.equals("OL") || vr.equals("OV") || vr.equals("SV")
                        || vr.equals("UV") || vr.equals("UC") || vr.equals("UR")) {
                    if (pos + 12 > bytes.length) throw new DataException(path + ": truncated element header at byte " + pos);
                    len = tb.getInt(pos + 8) & 0xffffffffL;
                    valuePos = pos + 12;
                } else {
                    if (!Character.isUpperCase(vr.charAt(0)) || !Character.isUpperCase(vr.charAt(1))) {
                        throw new DataException(path + ": bad value representation '" + printable(vr) + "' for tag " + tagName(tag) + " at byte " + pos);
                    }
                    len = tb.getShort(pos + 6) & 0xffff;
                    valuePos = pos + 8;
                }
            } else {
                len = tb.getInt(pos + 4) & 0xffffffffL;
                valuePos = pos + 8;
            }
            if (tag == PIXEL_DATA && depth == 0) {
                if (len == 0xffffffffL) {
                    throw new DataException("unsupported transfer syntax " + transferSyntax + " in " + path
                            + " (encapsulated, i.e. compressed, pixel data)");
                }
                pixelOffset = valuePos;
                pixelLength = (int) Math.min(len, Integer.MAX_VALUE);
                checkedEnd(valuePos, len, tag);
                return bytes.length;
            }
            if (len == 0xffffffffL) {
                // undefined length: a sequence (SQ, or UN/implicit holding one); skip its items
                pos = parse(valuePos, explicit && !"UN".equals(vr), false, depth + 1);
                continue;
            }
            int end = checkedEnd(valuePos, len, tag);
            if (depth == 0 && !"SQ".equals(vr)) record(tag, vr, valuePos, (int) len, metaOnly ? ByteOrder.LITTLE_ENDIAN : order);
            pos = end;
        }
        if (depth > 0) throw new DataException(path + ": truncated file (a sequence is not closed)");
        return pos;
    }

    private int checkedEnd(int valuePos, long len, int tag) throws DataException {
        long end = valuePos + len;
        if (end > bytes.length) {
            throw new DataException(path + ": truncated file: element " + tagName(tag) + " claims " + len
                    + " bytes at byte " + valuePos + " but the file has " + bytes.length);
        }
        return (int) end;
    }

    private void record(int tag, String vr, int pos, int len, ByteOrder bo) {
        switch (tag) {
            case ROWS, COLUMNS, BITS_ALLOCATED, BITS_STORED, PIXEL_REPRESENTATION, SAMPLES_PER_PIXEL -> {
                if (len >= 2) ints.put(tag, ByteBuffer.wrap(bytes).order(bo).getShort(pos) & 0xffff);
            }
            case TRANSFER_SYNTAX, MODALITY, SERIES_UID, SERIES_DESCRIPTION, INSTANCE_NUMBER, IMAGE_POSITION,
                    IMAGE_ORIENTATION, PIXEL_SPACING, SLICE_THICKNESS, RESCALE_SLOPE, RESCALE_INTERCEPT,
                    NUMBER_OF_FRAMES, PHOTOMETRIC, SOP_CLASS -> {
                String s = new String(bytes, pos, len, StandardCharsets.ISO_8859_1);
                int z = s.indexOf('\0');
                if (z >= 0) s = s.substring(0, z);
                strings.put(tag, s.trim());
            }
            default -> { }
        }
    }

    public String string(int tag) {
        return strings.get(tag);
    }

    public boolean hasPixelData() {
        return pixelOffset >= 0;
    }

    /** Integer attribute (US), or an error naming the file and attribute when missing. */
    int requireInt(int tag, String name) throws DataException {
        Integer v = ints.get(tag);
        if (v == null) throw new DataException(path + ": missing attribute " + name + " " + tagName(tag));
        return v;
    }

    /** Decimal-string attribute with {@code count} values, or an error naming the file and attribute. */
    double[] requireDoubles(int tag, String name, int count) throws DataException {
        double[] v = doubles(tag, name, count);
        if (v == null) throw new DataException(path + ": missing attribute " + name + " " + tagName(tag));
        return v;
    }

    double[] doubles(int tag, String name, int count) throws DataException {
        String s = strings.get(tag);
        if (s == null || s.isEmpty()) return null;
        String[] parts = s.split("\\\\");
        if (parts.length < count) {
            throw new DataException(path + ": attribute " + name + " " + tagName(tag) + " has " + parts.length + " values, expected " + count);
        }
        double[] out = new double[count];
        for (int i = 0; i < count; i++) {
            try {
                out[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new DataException(path + ": attribute " + name + " " + tagName(tag) + " value '" + printable(parts[i]) + "' is not a number");
            }
            if (!Double.isFinite(out[i])) throw new DataException(path + ": attribute " + name + " " + tagName(tag) + " is not finite");
        }
        return out;
    }

    /**
     * The frame's stored pixel values converted to float and rescaled (RescaleSlope/Intercept)
     * into {@code dest[offset ..]} (rows*columns values, column index fastest).
     */
    void readPixels(float[] dest, int offset, int rows, int cols) throws DataException {
        int bitsAlloc = requireInt(BITS_ALLOCATED, "BitsAllocated");
        int bitsStored = ints.getOrDefault(BITS_STORED, bitsAlloc);
        int signed = ints.getOrDefault(PIXEL_REPRESENTATION, 0);
        int spp = ints.getOrDefault(SAMPLES_PER_PIXEL, 1);
        if (spp != 1) throw new DataException(path + ": SamplesPerPixel = " + spp + " (colour) is not supported; CT is greyscale");
        if (bitsAlloc != 8 && bitsAlloc != 16 && bitsAlloc != 32) {
            throw new DataException(path + ": BitsAllocated = " + bitsAlloc + " is not supported (8, 16 or 32)");
        }
        if (bitsStored < 1 || bitsStored > bitsAlloc) {
            throw new DataException(path + ": BitsStored = " + bitsStored + " does not fit BitsAllocated = " + bitsAlloc);
        }
        String frames = strings.get(NUMBER_OF_FRAMES);
        if (frames != null && !frames.isEmpty() && !frames.equals("1")) {
            throw new DataException(path + ": multi-frame image (NumberOfFrames = " + frames + ") is not supported");
        }
        int bpp = bitsAlloc / 8;
        long need = (long) rows * cols * bpp;
        if (pixelLength < need) {
            throw new DataException(path + ": PixelData has " + pixelLength + " bytes, " + rows + "x" + cols + "x" + bitsAlloc
                    + " bits needs " + need);
        }
        double slope = 1, inter = 0;
        double[] s = doubles(RESCALE_SLOPE, "RescaleSlope", 1);
        double[] i0 = doubles(RESCALE_INTERCEPT, "RescaleIntercept", 1);
        if (s != null) slope = s[0];
        if (i0 != null) inter = i0[0];
        if (slope == 0) throw new DataException(path + ": RescaleSlope is 0");
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(order);
        int shift = 32 - bitsStored;
        long mask = bitsStored == 32 ? 0xffffffffL : (1L << bitsStored) - 1;
        int n = rows * cols;
        for (int k = 0; k < n; k++) {
            int p = pixelOffset + k * bpp;
            long raw = switch (bpp) {
                case 1 -> bytes[p] & 0xffL;
                case 2 -> bb.getShort(p) & 0xffffL;
                default -> bb.getInt(p) & 0xffffffffL;
            };
            raw &= mask;
            long stored = signed == 1 ? ((int) (raw << shift)) >> shift : raw;
            dest[offset + k] = (float) (stored * slope + inter);
        }
    }

    static String tagName(int tag) {
        return "(" + hex4(tag >>> 16) + "," + hex4(tag & 0xffff) + ")";
    }

    private static String hex4(int v) {
        return String.format("%04X", v);
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (char ch : s.toCharArray()) sb.append(ch >= 32 && ch < 127 ? String.valueOf(ch) : String.format("\\x%02x", (int) ch));
        return sb.toString();
    }
}
