package io.pgvault.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/** Removing, and closing to others, a directory tree that pgvault itself made (staging areas, scratch extractions). */
public final class FileTrees {

    /** rwx------: what pgvault's own directories are. */
    public static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
    /** rw-------: what pgvault's own files are. */
    public static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");

    private FileTrees() {
    }

    /**
     * Makes whatever is under {@code tree} (a tool writes with its umask) owner-only: files 0600, directories
     * 0700. Symbolic links are left as they are, never followed.
     */
    public static void ownerOnly(Path tree) throws IOException {
        try (Stream<Path> paths = Files.walk(tree)) {
            for (Path p : paths.toList()) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.setPosixFilePermissions(p, OWNER_ONLY_DIR);
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.setPosixFilePermissions(p, OWNER_ONLY_FILE);
                }
            }
        }
    }

    /** Deletes {@code dir} and everything under it; symbolic links are removed, never followed. */
    public static void delete(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            List<Path> paths = walk.sorted(Comparator.reverseOrder()).toList();
            for (Path p : paths) {
                Files.deleteIfExists(p);
            }
        }
    }
}
