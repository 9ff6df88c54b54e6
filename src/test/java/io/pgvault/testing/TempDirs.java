package io.pgvault.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Temporary directories (and files) of a test JVM that are removed when it exits, with whatever the server's OS
 * user made inside them ({@link PgBinaries#deleteTree}): the suite leaves no repositories, catalogs or data
 * directories behind in the machine's temp directory. Best effort: what cannot be removed stays.
 */
public final class TempDirs {

    private static final Set<Path> MADE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> MADE.forEach(TempDirs::remove),
                "pgvault-temp-dirs-removal"));
    }

    private TempDirs() {
    }

    /** A new directory in the temp directory, removed at exit. */
    public static Path create(String prefix) {
        try {
            return removeAtExit(Files.createTempDirectory(prefix));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes {@code path} (a directory tree or a file, made now or later) at exit; returns it. */
    public static Path removeAtExit(Path path) {
        MADE.add(path);
        return path;
    }

    private static void remove(Path path) {
        try {
            PgBinaries.deleteTree(path);
        } catch (RuntimeException e) {
            // best effort at exit
        }
    }
}
