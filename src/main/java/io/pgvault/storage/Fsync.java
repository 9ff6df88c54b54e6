package io.pgvault.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** fsync for files and directories (Linux allows both through a read-only descriptor). */
public final class Fsync {

    private Fsync() {
    }

    public static void file(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    public static void directory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some filesystems refuse fsync on a directory; the files themselves are already synced.
            if (!e.getMessage().contains("Is a directory")) {
                throw e;
            }
        }
    }
}
