package org.maesil.harness.compare;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.maesil.train.SuperpatchSource;

/**
 * Training superpatches kept in one file on disk (raw little-endian float32, superpatch after
 * superpatch), so a grid can train on more data than fits in memory and every run of the grid
 * reads the same prepared data. Written once through {@link Writer} (temporary file, then
 * rename: a file with this name is always complete); read by index with positional reads.
 */
public final class SuperpatchFile implements SuperpatchSource {
    private final Path file;
    private final int edge;
    private final int count;
    private final String description;
    private final FileChannel channel;
    private final ByteBuffer buffer;

    private SuperpatchFile(Path file, int edge, String description) throws IOException {
        this.file = file;
        this.edge = edge;
        this.description = description;
        this.channel = FileChannel.open(file, StandardOpenOption.READ);
        long bytes = 4L * edge * edge * edge;
        if (channel.size() == 0 || channel.size() % bytes != 0) {
            channel.close();
            throw new IOException(file + ": " + channel.size() + " bytes is not a whole number of " + edge + "^3 float32 superpatches");
        }
        this.count = (int) (channel.size() / bytes);
        this.buffer = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Opens a complete file written by {@link Writer}. */
    public static SuperpatchFile open(Path file, int edge, String description) throws IOException {
        return new SuperpatchFile(file, edge, description);
    }

    @Override public int size() { return count; }
    @Override public int edge() { return edge; }
    @Override public String describe() { return description; }

    @Override
    public synchronized void read(int index, float[] dst, int offset) {
        if (index < 0 || index >= count) throw new IndexOutOfBoundsException("superpatch " + index + " of " + count);
        buffer.clear();
        long pos = (long) index * buffer.capacity();
        try {
            while (buffer.hasRemaining()) {
                int n = channel.read(buffer, pos + buffer.position());
                if (n < 0) throw new IOException(file + ": ends early");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        buffer.flip();
        FloatBuffer fb = buffer.asFloatBuffer();
        fb.get(dst, offset, edge * edge * edge);
    }

    public void close() throws IOException {
        channel.close();
    }

    /** Appends superpatches to a temporary file; {@link #commit()} renames it into place. */
    public static final class Writer implements AutoCloseable {
        private final Path target;
        private final Path tmp;
        private final FileChannel channel;
        private final ByteBuffer buffer;
        private int count;
        private boolean committed;

        public Writer(Path target, int edge) throws IOException {
            this.target = target;
            Files.createDirectories(target.toAbsolutePath().getParent());
            this.tmp = Files.createTempFile(target.toAbsolutePath().getParent(), target.getFileName().toString(), ".tmp");
            this.channel = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            this.buffer = ByteBuffer.allocate(4 * edge * edge * edge).order(ByteOrder.LITTLE_ENDIAN);
        }

        public void append(float[] superpatch) throws IOException {
            if (superpatch.length * 4 != buffer.capacity()) throw new IllegalArgumentException("superpatch has " + superpatch.length + " voxels");
            buffer.clear();
            buffer.asFloatBuffer().put(superpatch);
            buffer.limit(buffer.capacity());
            while (buffer.hasRemaining()) channel.write(buffer);
            count++;
        }

        public int count() { return count; }

        public void commit() throws IOException {
            channel.force(true);
            channel.close();
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            committed = true;
        }

        @Override
        public void close() throws IOException {
            if (!committed) {
                channel.close();
                Files.deleteIfExists(tmp);
            }
        }
    }
}
