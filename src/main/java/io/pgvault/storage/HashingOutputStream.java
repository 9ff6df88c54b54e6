package io.pgvault.storage;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * Writes to a file while computing its SHA-256 and size in the same pass; closing fsyncs the file
 * and reports it as a {@link StoredFile}. Or, built on a stream, to that stream (an upload), which closing closes.
 */
public final class HashingOutputStream extends OutputStream {

    private final FileChannel channel;
    private final OutputStream sink;
    private final String path;
    private final MessageDigest digest = Sha256.newDigest();
    private final LongConsumer progress;
    private final Consumer<StoredFile> onClose;
    private long size;
    private boolean closed;
    private String sha256;

    public HashingOutputStream(FileChannel channel, String path, LongConsumer progress, Consumer<StoredFile> onClose) {
        this.channel = channel;
        this.sink = null;
        this.path = path;
        this.progress = progress;
        this.onClose = onClose;
    }

    public HashingOutputStream(OutputStream sink, String path, LongConsumer progress, Consumer<StoredFile> onClose) {
        this.channel = null;
        this.sink = sink;
        this.path = path;
        this.progress = progress;
        this.onClose = onClose;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        digest.update(bytes, offset, length);
        if (sink != null) {
            sink.write(bytes, offset, length);
        } else {
            ByteBuffer buffer = ByteBuffer.wrap(bytes, offset, length);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        }
        size += length;
        progress.accept(size);
    }

    public long size() {
        return size;
    }

    /** The hex SHA-256 of everything written; valid once closed. */
    public String sha256() {
        if (!closed) {
            throw new IllegalStateException("the file is still open");
        }
        return sha256;
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (sink != null) {
            sink.close();
        } else {
            try (channel) {
                channel.force(true);
            }
        }
        sha256 = Sha256.hex(digest);
        onClose.accept(new StoredFile(path, size, sha256));
    }
}
