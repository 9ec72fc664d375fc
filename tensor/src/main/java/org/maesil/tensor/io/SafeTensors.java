package org.maesil.tensor.io;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.maesil.tensor.Tensor;

/**
 * The safetensors format (used for checkpoints, fixtures and LPIPS weights), F32 only:
 * 8 bytes little-endian header length, a JSON header {name: {dtype, shape, data_offsets}},
 * then the raw little-endian data. PyTorch reads these files with {@code safetensors.torch}.
 */
public final class SafeTensors {
    private SafeTensors() {}

    /** Reads every tensor of a file; F32, F64 (narrowed) and I64/I32 (as float) are accepted. */
    public static Map<String, Tensor> read(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        if (all.length < 8) throw new IOException(file + ": not a safetensors file (too short)");
        ByteBuffer buf = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen = buf.getLong();
        if (headerLen <= 0 || headerLen > all.length - 8) {
            throw new IOException(file + ": not a safetensors file (header length " + headerLen + ")");
        }
        String json = new String(all, 8, (int) headerLen, StandardCharsets.UTF_8);
        JsonObject header;
        try {
            header = new Gson().fromJson(json, JsonObject.class);
        } catch (RuntimeException e) {
            throw new IOException(file + ": bad safetensors header: " + e.getMessage());
        }
        int base = 8 + (int) headerLen;
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (var e : header.entrySet()) {
            if (e.getKey().equals("__metadata__")) continue;
            JsonObject t = e.getValue().getAsJsonObject();
            String dtype = t.get("dtype").getAsString();
            var shapeArr = t.getAsJsonArray("shape");
            int[] shape = new int[shapeArr.size()];
            for (int i = 0; i < shape.length; i++) shape[i] = shapeArr.get(i).getAsInt();
            var offs = t.getAsJsonArray("data_offsets");
            long begin = offs.get(0).getAsLong();
            long end = offs.get(1).getAsLong();
            int n = Tensor.checkedSize(shape);
            int width = switch (dtype) {
                case "F32", "I32" -> 4;
                case "F64", "I64" -> 8;
                default -> throw new IOException(file + ": tensor '" + e.getKey() + "' has unsupported dtype " + dtype);
            };
            if (end - begin != (long) n * width || base + end > all.length) {
                throw new IOException(file + ": tensor '" + e.getKey() + "' has bad data_offsets");
            }
            ByteBuffer b = ByteBuffer.wrap(all, base + (int) begin, (int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
            float[] data = new float[n];
            for (int i = 0; i < n; i++) {
                data[i] = switch (dtype) {
                    case "F32" -> b.getFloat();
                    case "F64" -> (float) b.getDouble();
                    case "I32" -> b.getInt();
                    default -> b.getLong();
                };
            }
            out.put(e.getKey(), new Tensor(data, shape));
        }
        return out;
    }

    /** Reads the "__metadata__" string map of a file (empty if none). */
    public static Map<String, String> readMetadata(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(len, 0);
            len.flip();
            long headerLen = len.getLong();
            if (headerLen <= 0 || headerLen > ch.size() - 8) throw new IOException(file + ": not a safetensors file");
            ByteBuffer h = ByteBuffer.allocate((int) headerLen);
            ch.read(h, 8);
            JsonObject header = new Gson().fromJson(new String(h.array(), StandardCharsets.UTF_8), JsonObject.class);
            Map<String, String> meta = new LinkedHashMap<>();
            if (header.has("__metadata__")) {
                for (var e : header.getAsJsonObject("__metadata__").entrySet()) meta.put(e.getKey(), e.getValue().getAsString());
            }
            return meta;
        }
    }

    /** Writes tensors as F32 atomically: temporary file, fsync, rename. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        JsonObject header = new JsonObject();
        if (metadata != null && !metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            header.add("__metadata__", meta);
        }
        long offset = 0;
        for (var e : tensors.entrySet()) {
            JsonObject t = new JsonObject();
            t.addProperty("dtype", "F32");
            var shape = new com.google.gson.JsonArray();
            for (int s : e.getValue().shape()) shape.add(s);
            t.add("shape", shape);
            var offs = new com.google.gson.JsonArray();
            offs.add(offset);
            offset += 4L * e.getValue().size();
            offs.add(offset);
            t.add("data_offsets", offs);
            header.add(e.getKey(), t);
        }
        byte[] json = new Gson().toJson(header).getBytes(StandardCharsets.UTF_8);
        int pad = (8 - json.length % 8) % 8; // keep data 8-byte aligned, padded with spaces as the format allows
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
        makeWorldReadable(tmp);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer head = ByteBuffer.allocate(8 + json.length + pad).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(json.length + pad).put(json);
            for (int i = 0; i < pad; i++) head.put((byte) ' ');
            head.flip();
            while (head.hasRemaining()) ch.write(head);
            ByteBuffer chunk = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (Tensor t : tensors.values()) {
                for (float f : t.data) {
                    if (!chunk.hasRemaining()) {
                        chunk.flip();
                        while (chunk.hasRemaining()) ch.write(chunk);
                        chunk.clear();
                    }
                    chunk.putFloat(f);
                }
            }
            chunk.flip();
            while (chunk.hasRemaining()) ch.write(chunk);
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** createTempFile makes 0600 files; a checkpoint or fixture should read like any other file (0644). */
    static void makeWorldReadable(Path p) {
        try {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: keep the default permissions
        }
    }

    public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        write(file, tensors, Map.of());
    }
}
