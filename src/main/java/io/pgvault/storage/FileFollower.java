package io.pgvault.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.function.Consumer;

/**
 * Hashes a file another process appends to, while it writes (pg_basebackup's base.tar.zst), so that the
 * digest is ready when the writer ends instead of costing a second read. Only for files written strictly
 * in order: if the file ends up any other size than what was read, the result is dropped and the file is
 * hashed again when the staging area is sealed.
 */
public final class FileFollower {

    private static final long IDLE_NAP_MILLIS = 5;

    private final Path file;
    private final String relativePath;
    private final Consumer<StoredFile> onDone;
    private final MessageDigest digest = Sha256.newDigest();
    private final Thread thread;
    private volatile boolean writerDone;
    private long read;
    private boolean synced;
    private Exception failure;

    private FileFollower(Path file, String relativePath, Consumer<StoredFile> onDone) {
        this.file = file;
        this.relativePath = relativePath;
        this.onDone = onDone;
        this.thread = new Thread(this::follow, "follow-" + relativePath);
        this.thread.setDaemon(true);
    }

    static FileFollower start(Path file, String relativePath, Consumer<StoredFile> onDone) {
        FileFollower follower = new FileFollower(file, relativePath, onDone);
        follower.thread.start();
        return follower;
    }

    private void follow() {
        try {
            FileChannel channel = open();
            if (channel == null) {
                return;
            }
            try (channel) {
                ByteBuffer buffer = ByteBuffer.allocateDirect(1024 * 1024);
                while (true) {
                    // read the flag first: a read that comes after it sees everything the writer wrote
                    boolean done = writerDone;
                    int n = channel.read(buffer);
                    if (n > 0) {
                        buffer.flip();
                        digest.update(buffer);
                        buffer.clear();
                        read += n;
                    } else if (done) {
                        // durable while the tool still streams WAL, rather than after it
                        channel.force(true);
                        synced = true;
                        return;
                    } else {
                        Thread.sleep(IDLE_NAP_MILLIS);
                    }
                }
            }
        } catch (IOException | InterruptedException e) {
            failure = e;
        }
    }

    private FileChannel open() throws IOException, InterruptedException {
        while (true) {
            boolean done = writerDone;
            try {
                return FileChannel.open(file, StandardOpenOption.READ);
            } catch (NoSuchFileException e) {
                if (done) {
                    return null;
                }
                Thread.sleep(IDLE_NAP_MILLIS);
            }
        }
    }

    /**
     * Says the writer has closed the file (pg_basebackup prints its end point after closing its archives):
     * the follower reads the rest and syncs it in the background.
     */
    public void writerClosed() {
        writerDone = true;
    }

    /**
     * Called once the writer has ended: reads the rest, and when the file is exactly what was read makes it
     * durable and hands its size and digest to the staging area. Returns whether it did.
     */
    public boolean finish() throws IOException, InterruptedException {
        writerDone = true;
        thread.join();
        if (failure != null || !Files.exists(file) || Files.size(file) != read) {
            return false;
        }
        if (!synced) {
            Fsync.file(file);
        }
        onDone.accept(new StoredFile(relativePath, read, Sha256.hex(digest)));
        return true;
    }

    /** Stops following without a result (the writer failed). */
    public void abandon() throws InterruptedException {
        writerDone = true;
        thread.join();
    }
}
