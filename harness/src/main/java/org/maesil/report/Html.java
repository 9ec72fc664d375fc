package org.maesil.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/** HTML escaping and the atomic writing of a report folder. */
public final class Html {
    private Html() {}

    /** Escapes &amp;, &lt;, &gt;, quotes for text and attribute values. */
    public static String escape(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * Writes {@code index.html} and extra files into a fresh temporary folder beside outDir and
     * then renames it to outDir, replacing an earlier report there: a reader never sees half a
     * report, and a failure leaves none behind.
     */
    public static void writeReportFolder(Path outDir, String indexHtml, Map<String, byte[]> extraFiles) throws IOException {
        Path target = outDir.toAbsolutePath().normalize();
        Path parent = target.getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, "." + target.getFileName() + ".tmp-");
        try { // temporary folders are private (rwx------); a report is for reading
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: keep the defaults
        }
        try {
            Files.writeString(tmp.resolve("index.html"), indexHtml, StandardCharsets.UTF_8);
            for (var e : extraFiles.entrySet()) {
                Path f = tmp.resolve(e.getKey()).normalize();
                if (!f.startsWith(tmp)) throw new IOException("report file name leaves the report folder: " + e.getKey());
                Files.createDirectories(f.getParent());
                Files.write(f, e.getValue());
            }
            Path old = null;
            if (Files.exists(target)) {
                old = Files.createTempDirectory(parent, "." + target.getFileName() + ".old-");
                Files.delete(old);
                Files.move(target, old);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target);
            }
            if (old != null) deleteTree(old);
        } catch (IOException | RuntimeException e) {
            if (Files.exists(tmp)) deleteTree(tmp);
            throw e;
        }
    }

    static void deleteTree(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
