package org.maesil.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes minimal CT slices in a chosen transfer syntax, for reader tests (not shipped). */
final class DicomWriterForTests {
    String seriesUid = "1.2.3.4";
    int rows = 4, cols = 3;
    double[] orientation = {1, 0, 0, 0, 1, 0};
    double[] pixelSpacing = {0.7, 0.6};
    double slope = 1, intercept = -1024;
    String transferSyntax = DicomFile.EXPLICIT_LE;
    boolean preamble = true;

    /** Writes one slice at {@code position} with stored values base + index. */
    void write(Path file, double[] position, int instance, int base) throws IOException {
        boolean explicit = !transferSyntax.equals(DicomFile.IMPLICIT_LE);
        ByteOrder order = transferSyntax.equals(DicomFile.EXPLICIT_BE) ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (preamble) {
            out.write(new byte[128]);
            out.write("DICM".getBytes(StandardCharsets.US_ASCII));
            element(out, 0x0002, 0x0010, "UI", uid(transferSyntax), true, ByteOrder.LITTLE_ENDIAN);
        }
        element(out, 0x0008, 0x0060, "CS", str("CT"), explicit, order);
        element(out, 0x0018, 0x0050, "DS", str("1.0"), explicit, order);
        element(out, 0x0020, 0x000E, "UI", uid(seriesUid), explicit, order);
        element(out, 0x0020, 0x0013, "IS", str(Integer.toString(instance)), explicit, order);
        element(out, 0x0020, 0x0032, "DS", str(position[0] + "\\" + position[1] + "\\" + position[2]), explicit, order);
        StringBuilder o = new StringBuilder();
        for (int i = 0; i < 6; i++) o.append(i > 0 ? "\\" : "").append(orientation[i]);
        element(out, 0x0020, 0x0037, "DS", str(o.toString()), explicit, order);
        element(out, 0x0028, 0x0002, "US", us(1, order), explicit, order);
        element(out, 0x0028, 0x0010, "US", us(rows, order), explicit, order);
        element(out, 0x0028, 0x0011, "US", us(cols, order), explicit, order);
        element(out, 0x0028, 0x0030, "DS", str(pixelSpacing[0] + "\\" + pixelSpacing[1]), explicit, order);
        element(out, 0x0028, 0x0100, "US", us(16, order), explicit, order);
        element(out, 0x0028, 0x0101, "US", us(12, order), explicit, order);
        element(out, 0x0028, 0x0103, "US", us(1, order), explicit, order);
        element(out, 0x0028, 0x1052, "DS", str(Double.toString(intercept)), explicit, order);
        element(out, 0x0028, 0x1053, "DS", str(Double.toString(slope)), explicit, order);
        ByteBuffer px = ByteBuffer.allocate(rows * cols * 2).order(order);
        for (int i = 0; i < rows * cols; i++) px.putShort((short) (base + i));
        element(out, 0x7FE0, 0x0010, "OW", px.array(), explicit, order);
        Files.write(file, out.toByteArray());
    }

    static byte[] str(String s) {
        if (s.length() % 2 == 1) s = s + " ";
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] uid(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        return b.length % 2 == 0 ? b : java.util.Arrays.copyOf(b, b.length + 1);
    }

    static byte[] us(int v, ByteOrder order) {
        return ByteBuffer.allocate(2).order(order).putShort((short) v).array();
    }

    static void element(ByteArrayOutputStream out, int group, int elem, String vr, byte[] value, boolean explicit, ByteOrder order) {
        ByteBuffer b = ByteBuffer.allocate(12).order(order);
        b.putShort((short) group).putShort((short) elem);
        if (explicit) {
            b.put(vr.getBytes(StandardCharsets.US_ASCII));
            if (vr.equals("OW") || vr.equals("OB") || vr.equals("SQ")) {
                b.putShort((short) 0).putInt(value.length);
            } else {
                b.putShort((short) value.length);
            }
        } else {
            b.putInt(value.length);
        }
        out.write(b.array(), 0, b.position());
        out.write(value, 0, value.length);
    }
}
