package io.pgvault.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * This host's workspace on local disk (the storage root), apart from the repositories where backups and WAL are
 * stored ({@link BackupStorage}): {@code .staging/{backupId}} while a backup is written, {@code .scratch/} for
 * temporary work, {@code .receive/{cluster}} for WAL spools, and local paths for tools that need one
 * ({@link #materialize}). It exists because tools write and read files, not streams, and because what a crash
 * leaves here has to be swept at start-up; a feature that only stores or reads bytes never needs it.
 */
@Component
public class Workspace {

    private static final String STAGING = ".staging";
    private static final String SCRATCH = ".scratch";
    private static final String RECEIVE = ".receive";
    private static final Logger log = LoggerFactory.getLogger(Workspace.class);

    private final Repositories repositories;
    private final Path root;
    private final Path staging;
    private final Path scratch;
    private final Path receive;

    public Workspace(Repositories repositories) {
        this.repositories = repositories;
        this.root = repositories.workspace();
        this.staging = root.resolve(STAGING);
        this.scratch = root.resolve(SCRATCH);
        this.receive = root.resolve(RECEIVE);
        try {
            Files.createDirectories(staging);
            Files.createDirectories(scratch);
            // backups hold every database's data: nobody but pgvault's own user may even list them
            for (Path dir : List.of(root, staging, scratch)) {
                Files.setPosixFilePermissions(dir, FileTrees.OWNER_ONLY_DIR);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the backup storage under " + root, e);
        }
    }

    /** A fresh, empty, owner-only staging area for a backup (an old one for the same id is removed first). */
    public StagingArea stage(UUID backupId) throws IOException {
        removeStaging(backupId);
        // a backup in the making holds a database's data: owner-only from the start, like the stored ones
        Path dir = Files.createDirectory(staging.resolve(backupId.toString()),
                PosixFilePermissions.asFileAttribute(FileTrees.OWNER_ONLY_DIR));
        return new StagingArea(backupId, dir);
    }

    void removeStaging(UUID backupId) throws IOException {
        FileTrees.delete(staging.resolve(backupId.toString()));
    }

    /** The storage root: the workspace's own repository keeps its backups and WAL here, in place. */
    Path root() {
        return root;
    }

    /** The directory of staging areas. */
    Path stagingRoot() {
        return staging;
    }

    /**
     * A backup location in the workspace's own repository, which keeps its files in place under the root: never
     * the root itself, nor anything outside it or in staging.
     */
    Path inPlace(String location) {
        Path path = root.resolve(location).normalize();
        if (!path.startsWith(root) || path.equals(root) || path.startsWith(staging)) {
            throw new IllegalArgumentException("not a backup location: " + location);
        }
        return path;
    }

    /** The directory of scratch directories, where a WAL push is written whole before it is stored. */
    Path scratchRoot() {
        return scratch;
    }

    /**
     * A new, empty local directory for temporary work such as extracting a base backup to verify it; the
     * caller removes it with {@link FileTrees#delete}, and start-up sweeps leftovers.
     */
    public Path scratch(String purpose) throws IOException {
        return Files.createDirectory(scratch.resolve(purpose + "-" + UUID.randomUUID()),
                PosixFilePermissions.asFileAttribute(FileTrees.OWNER_ONLY_DIR));
    }

    /**
     * Removes staging areas of every backup not in {@code keep}, and every scratch directory, after ending the
     * tools a dead pgvault left writing there; returns how many staging areas went.
     */
    public int sweepStaging(Set<UUID> keep) throws IOException {
        OrphanedTools.end(List.of(staging, scratch, receive));
        int removed = 0;
        try (Stream<Path> children = Files.list(scratch)) {
            for (Path child : children.toList()) {
                FileTrees.delete(child);
            }
        }
        try (Stream<Path> children = Files.list(staging)) {
            for (Path child : children.toList()) {
                if (!keep.contains(parseId(child.getFileName().toString()))) {
                    FileTrees.delete(child);
                    removed++;
                }
            }
        }
        return removed;
    }

    /**
     * Removes the temporary files of WAL pushes that were cut off (by a crash) and not written to since
     * {@code before}, and the incomplete uploads other repositories hold; returns how many went. A push in
     * progress writes its file all the time, so it is left alone.
     */
    public int sweepWalPushes(Instant before) throws IOException {
        int removed = 0;
        // only {cluster}/wal/{timeline}/ holds pushes; a file that goes meanwhile is no error
        try (DirectoryStream<Path> clusters = Files.newDirectoryStream(root, "[a-z]*")) {
            for (Path cluster : clusters) {
                try (DirectoryStream<Path> timelines = Files.newDirectoryStream(cluster.resolve("wal"))) {
                    for (Path timeline : timelines) {
                        try (DirectoryStream<Path> pushes = Files.newDirectoryStream(timeline,
                                WalFiles.PUSH_PREFIX + "*")) {
                            for (Path push : pushes) {
                                if (Files.getLastModifiedTime(push).toInstant().isBefore(before)
                                        && Files.deleteIfExists(push)) {
                                    removed++;
                                }
                            }
                        }
                    }
                } catch (NoSuchFileException | NotDirectoryException e) {
                    // no WAL for this cluster, or gone meanwhile
                }
            }
        }
        for (Repositories.Repository r : repositories.all()) {
            if (!repositories.isWorkspace(r)) {
                try {
                    // an hour at least: another instance's upload in progress is not an orphan
                    removed += r.store().sweepIncomplete(Math.max(3600,
                            java.time.Duration.between(before, Instant.now()).toSeconds()));
                } catch (IOException | RuntimeException e) {
                    log.warn(
                            "Could not sweep the incomplete uploads of repository '{}': {}", r.name(), e.toString());
                }
            }
        }
        return removed;
    }

    /**
     * Where pgvault's own pg_receivewal writes a cluster's WAL (walArchive STREAM) until it is archived: one
     * fixed directory per cluster that outlives restarts, so that a finished but not yet archived segment is
     * never lost (the replication slot has already moved past it).
     */
    public Path walSpool(String cluster) throws IOException {
        return Files.createDirectories(receive.resolve(ObjectKeys.checkedCluster(cluster)),
                PosixFilePermissions.asFileAttribute(FileTrees.OWNER_ONLY_DIR));
    }

    /**
     * Whether the repository is this workspace's own directory: a staging area moves into it in place and
     * {@link #materialize} gives the stored file itself. Any other is uploaded to and downloaded from.
     */
    public boolean storesInPlace(String repository) {
        return repositories.isWorkspace(repositories.forReading(repository));
    }

    /**
     * A local path to a committed backup's file or directory, for tools like pg_restore that need one: in the
     * workspace's own repository the stored file itself, else a copy downloaded (decrypted) into a scratch
     * directory, which closing removes.
     */
    public LocalCopy materialize(String repository, String location, String relativePath) throws IOException {
        Repositories.Repository r = repositories.forReading(repository);
        if (repositories.isWorkspace(r)) {
            return new LocalCopy(inPlace(location).resolve(relativePath).normalize(), null);
        }
        Path dir = scratch("download");
        try {
            String wanted = location + "/" + relativePath;
            List<String> keys = r.store().list(wanted).stream()
                    .filter(k -> k.equals(wanted) || k.startsWith(wanted + "/")).toList();
            if (keys.isEmpty()) {
                throw new NoSuchFileException(relativePath, null, "not in repository '" + r.name() + "' ("
                        + r.store().describe() + ") at " + location);
            }
            for (String key : keys) {
                Path file = dir.resolve(key.substring(location.length() + 1)).normalize();
                if (!file.startsWith(dir)) {
                    throw new NoSuchFileException(key);
                }
                Files.createDirectories(file.getParent(),
                        PosixFilePermissions.asFileAttribute(FileTrees.OWNER_ONLY_DIR));
                try (InputStream in = r.store().get(key);
                        OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW)) {
                    in.transferTo(out);
                }
            }
            return new LocalCopy(dir.resolve(relativePath).normalize(), dir);
        } catch (IOException | RuntimeException e) {
            FileTrees.delete(dir);
            throw e;
        }
    }

    /** A local path to read; {@link #close} removes it if it was downloaded for the caller. */
    public record LocalCopy(Path path, Path temporary) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            if (temporary != null) {
                FileTrees.delete(temporary);
            }
        }
    }

    /** Bytes free in the workspace, where backups are staged before they go to a repository that is not local. */
    public long usableSpace() throws IOException {
        return Files.getFileStore(root).getUsableSpace();
    }

    /** Whether a file can be created and removed right now. */
    public boolean isWritable() {
        try {
            Path probe = Files.createTempFile(staging, "probe", ".tmp");
            Files.delete(probe);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A short description for health and logs: the root directory. */
    public String describe() {
        return root.toString();
    }

    private static UUID parseId(String name) {
        try {
            return UUID.fromString(name);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
