package io.pgvault.storage.local;

import io.pgvault.PgvaultProperties;
import io.pgvault.storage.BackupStorage;
import io.pgvault.storage.FileTrees;
import io.pgvault.storage.Fsync;
import io.pgvault.storage.HashingOutputStream;
import io.pgvault.storage.StagingArea;
import io.pgvault.storage.StoredFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.DirectoryStream;
import java.nio.file.NotDirectoryException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.springframework.stereotype.Component;

/** Keeps backups under {@code pgvault.storage.local.root}: {@code {cluster}/{kind}/{backupId}/...}. */
@Component
class LocalBackupStorage implements BackupStorage {

    private static final String STAGING = ".staging";
    private static final String SCRATCH = ".scratch";
    private static final String RECEIVE = ".receive";
    /** The temporary file of a WAL push in progress, in the WAL directory it goes to. */
    private static final String PUSH_PREFIX = ".push-";
    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = FileTrees.OWNER_ONLY_DIR;
    private static final Set<PosixFilePermission> OWNER_ONLY_FILE = FileTrees.OWNER_ONLY_FILE;
    private final Path root;
    private final Path staging;
    private final Path scratch;
    private final Path receive;

    LocalBackupStorage(PgvaultProperties properties) {
        this.root = properties.storageRoot();
        this.staging = root.resolve(STAGING);
        this.scratch = root.resolve(SCRATCH);
        this.receive = root.resolve(RECEIVE);
        try {
            Files.createDirectories(staging);
            Files.createDirectories(scratch);
            // backups hold every database's data: nobody but pgvault's own user may even list them
            for (Path dir : List.of(root, staging, scratch)) {
                Files.setPosixFilePermissions(dir, OWNER_ONLY_DIR);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the backup storage under " + root, e);
        }
    }

    @Override
    public StagingArea stage(UUID backupId) throws IOException {
        deleteTree(staging.resolve(backupId.toString()));
        // a backup in the making holds a database's data: owner-only from the start, like the stored ones
        Path dir = Files.createDirectory(staging.resolve(backupId.toString()),
                PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
        return new StagingArea(backupId, dir);
    }

    @Override
    public String commit(StagingArea area, String cluster, String kind) throws IOException {
        String location = cluster + "/" + kind + "/" + area.backupId();
        Path target = resolve(location);
        Files.createDirectories(target.getParent(), PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
        FileTrees.ownerOnly(area.directory());
        Files.move(area.directory(), target, StandardCopyOption.ATOMIC_MOVE);
        Fsync.directory(target.getParent());
        Fsync.directory(staging);
        return location;
    }

    @Override
    public void discard(UUID backupId, String cluster, String kind) throws IOException {
        deleteTree(staging.resolve(backupId.toString()));
        delete(cluster + "/" + kind + "/" + backupId);
    }

    @Override
    public Path scratch(String purpose) throws IOException {
        return Files.createDirectory(scratch.resolve(purpose + "-" + UUID.randomUUID()),
                PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
    }

    @Override
    public int sweepStaging(Set<UUID> keep) throws IOException {
        OrphanedTools.end(List.of(staging, scratch, receive));
        int removed = 0;
        try (Stream<Path> children = Files.list(scratch)) {
            for (Path child : children.toList()) {
                deleteTree(child);
            }
        }
        try (Stream<Path> children = Files.list(staging)) {
            for (Path child : children.toList()) {
                if (!keep.contains(parseId(child.getFileName().toString()))) {
                    deleteTree(child);
                    removed++;
                }
            }
        }
        return removed;
    }

    @Override
    public int sweepWalPushes(java.time.Instant before) throws IOException {
        int removed = 0;
        // only {cluster}/wal/{timeline}/ holds pushes; a file that goes meanwhile is no error
        try (DirectoryStream<Path> clusters = Files.newDirectoryStream(root, "[a-z]*")) {
            for (Path cluster : clusters) {
                try (DirectoryStream<Path> timelines = Files.newDirectoryStream(cluster.resolve("wal"))) {
                    for (Path timeline : timelines) {
                        try (DirectoryStream<Path> pushes = Files.newDirectoryStream(timeline, PUSH_PREFIX + "*")) {
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
        return removed;
    }

    @Override
    public Path walSpool(String cluster) throws IOException {
        return Files.createDirectories(receive.resolve(checkedCluster(cluster)),
                PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
    }

    @Override
    public InputStream open(String location, String relativePath) throws IOException {
        Path file = resolve(location).resolve(relativePath).normalize();
        if (!file.startsWith(resolve(location))) {
            throw new NoSuchFileException(relativePath);
        }
        return Files.newInputStream(file);
    }

    @Override
    public Path localPath(String location) {
        return resolve(location);
    }

    @Override
    public void delete(String location) throws IOException {
        Path dir = resolve(location);
        deleteTree(dir);
        if (Files.exists(dir.getParent())) {
            Fsync.directory(dir.getParent());
        }
    }

    @Override
    public WalStored storeWal(String cluster, String timeline, String name, WalContent content) throws IOException {
        Path dir = walDirectory(cluster, timeline);
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
        Path temp = dir.resolve(PUSH_PREFIX + UUID.randomUUID());
        try {
            StoredFile pushed;
            try (HashingOutputStream out = new HashingOutputStream(
                    FileChannel.open(temp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                            PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE)), name, n -> { },
                    f -> { })) {
                content.writeTo(out);
                out.close();
                pushed = new StoredFile(name, out.size(), out.sha256());
            }
            try {
                // link() fails atomically if the name exists: the first complete push wins
                Files.createLink(dir.resolve(name), temp);
                Fsync.directory(dir);
                return new WalStored(pushed, true);
            } catch (FileAlreadyExistsException e) {
                return new WalStored(pushed, false);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    @Override
    public InputStream openWal(String cluster, String timeline, String name) throws IOException {
        return Files.newInputStream(walDirectory(cluster, timeline).resolve(name));
    }

    @Override
    public boolean hasWal(String cluster, String timeline, String name) {
        return Files.isRegularFile(walDirectory(cluster, timeline).resolve(name), LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public void deleteWal(String cluster, String timeline, String name) throws IOException {
        Path dir = walDirectory(cluster, timeline);
        if (Files.deleteIfExists(dir.resolve(name))) {
            Fsync.directory(dir);
        }
    }

    private Path walDirectory(String cluster, String timeline) {
        if (!timeline.matches("^[0-9A-F]{8}$")) {
            throw new IllegalArgumentException("not a WAL timeline: " + timeline);
        }
        return root.resolve(checkedCluster(cluster)).resolve("wal").resolve(timeline);
    }

    /** A cluster name as a path element: only what cluster names may hold, so nothing can traverse. */
    private static String checkedCluster(String cluster) {
        if (!cluster.matches("^[a-z][a-z0-9-]{0,62}$")) {
            throw new IllegalArgumentException("not a cluster name: " + cluster);
        }
        return cluster;
    }

    @Override
    public long usableSpace() throws IOException {
        return Files.getFileStore(root).getUsableSpace();
    }

    @Override
    public boolean isWritable() {
        try {
            Path probe = Files.createTempFile(staging, "probe", ".tmp");
            Files.delete(probe);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public String describe() {
        return root.toString();
    }

    private Path resolve(String location) {
        Path path = root.resolve(location).normalize();
        if (!path.startsWith(root) || path.equals(root) || path.startsWith(staging)) {
            throw new IllegalArgumentException("not a backup location: " + location);
        }
        return path;
    }

    private static UUID parseId(String name) {
        try {
            return UUID.fromString(name);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static void deleteTree(Path dir) throws IOException {
        FileTrees.delete(dir);
    }
}
