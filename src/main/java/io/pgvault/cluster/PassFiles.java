package io.pgvault.cluster;

import io.pgvault.PgvaultProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The tools' temporary PGPASSFILEs, in pgvault's own private directory ({@code pgvault.tools.pass-file-directory},
 * 0700, owned by pgvault's user, never a link) rather than in the shared /tmp. A session removes its file when
 * it ends, but a killed pgvault (SIGKILL, OOM) cannot: its files are swept when pgvault starts. Several
 * pgvault processes may share the directory (instances on one host, test servers), so a file is named after
 * the process that wrote it and only files whose process is gone are swept: a pid that no longer runs, one
 * that runs but started after the file was written (reused), or this very process's pid on a file from
 * before it started (a container's pgvault is often pid 1 every time).
 */
@Component
class PassFiles {

    private static final Logger log = LoggerFactory.getLogger(PassFiles.class);
    private static final String SUFFIX = ".pgpass";
    /** A process's start time is only known to about a second; a reused pid comes much later than that. */
    private static final Duration START_TIME_SLACK = Duration.ofSeconds(10);

    private final Path directory;

    PassFiles(PgvaultProperties properties) {
        this.directory = properties.tools().passFileDirectory().toAbsolutePath().normalize();
        try {
            prepare();
            int swept = sweep();
            if (swept > 0) {
                log.warn("Removed {} password file(s) that a killed pgvault left in {}", swept, directory);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the password file directory " + directory
                    + " (pgvault.tools.pass-file-directory): " + e.getMessage(), e);
        }
    }

    /** A new 0600 password file for {@code password}; the caller deletes it when its tools are done. */
    Path write(String password) throws IOException {
        Path file = directory.resolve(ProcessHandle.current().pid() + "-" + UUID.randomUUID() + SUFFIX);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        String escaped = password.replace("\\", "\\\\").replace(":", "\\:");
        Files.writeString(file, "*:*:*:*:" + escaped + "\n", StandardCharsets.UTF_8);
        return file;
    }

    /** The directory exists, is a real directory of this process's user, and is 0700. */
    private void prepare() throws IOException {
        if (Files.isSymbolicLink(directory)) {
            throw new IOException(directory + " is a symbolic link; password files go only into a directory of "
                    + "pgvault's own");
        }
        if (!Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
            // the parent keeps its default mode (others may need to pass through ./data); this one is private
            Files.createDirectories(directory.getParent());
            try {
                Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // another pgvault on this host starting at the same moment made it: checked below like any other
            }
        }
        Object owner = Files.getAttribute(directory, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        Object self = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS) || !owner.equals(self)) {
            throw new IOException(directory + " is not a directory owned by pgvault's user (uid " + self + ")");
        }
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
    }

    /** Removes the password files of processes that are gone; returns how many. */
    private int sweep() throws IOException {
        Instant started = Instant.ofEpochMilli(ManagementFactory.getRuntimeMXBean().getStartTime());
        long self = ProcessHandle.current().pid();
        int removed = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*" + SUFFIX)) {
            for (Path file : files) {
                Instant written = Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toInstant();
                Long pid = writer(file);
                boolean gone;
                if (pid == null || pid == self) {
                    gone = written.isBefore(started);
                } else {
                    Optional<ProcessHandle> process = ProcessHandle.of(pid);
                    gone = process.isEmpty() || process.get().info().startInstant()
                            .map(s -> s.isAfter(written.plus(START_TIME_SLACK))).orElse(false);
                }
                if (gone && Files.deleteIfExists(file)) {
                    removed++;
                }
            }
        }
        return removed;
    }

    private static Long writer(Path file) {
        String name = file.getFileName().toString();
        int dash = name.indexOf('-');
        try {
            return dash > 0 ? Long.parseLong(name.substring(0, dash)) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
