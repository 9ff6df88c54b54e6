package io.pgvault.storage;

import io.pgvault.storage.crypto.EncryptedObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WAL half of {@link RepositoryStorage}: archived WAL files under {@code {cluster}/wal/{timeline}/{name}} in
 * every repository, written in place (a hard link) in the workspace's own and through the {@link ObjectStore}
 * elsewhere ({@link WalWrites}), and the sweep of pushes that a dead process left half-written.
 */
final class WalFiles {

    /** The temporary file of a WAL push in progress, in the WAL directory it goes to. */
    private static final String PUSH_PREFIX = ".push-";
    private static final Logger log = LoggerFactory.getLogger(WalFiles.class);

    private final Repositories repositories;
    private final Path root;
    private final Path scratch;

    WalFiles(Repositories repositories, Path root, Path scratch) {
        this.repositories = repositories;
        this.root = root;
        this.scratch = scratch;
    }

    int sweepPushes(Instant before) throws IOException {
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

    void copy(String from, String to, String cluster, String timeline, String name) throws IOException {
        Repositories.Repository target = repositories.forReading(to);
        try (InputStream in = open(from, cluster, timeline, name)) {
            target.store().put(walKey(cluster, timeline, name), in);
        }
    }

    BackupStorage.WalStored store(String repository, String cluster, String timeline, String name, BackupStorage.WalContent content,
            BackupStorage.WalGate gate) throws IOException {
        Repositories.Repository r = repositories.forReading(repository);
        if (!repositories.isWorkspace(r)) {
            return WalWrites.toStore(r.store(), keyId(r), scratch, stored -> walKey(cluster, timeline, stored), name,
                    content, gate);
        }
        return WalWrites.toDirectory(walDirectory(cluster, timeline), PUSH_PREFIX, name, content, gate);
    }

    InputStream open(String repository, String cluster, String timeline, String name) throws IOException {
        Repositories.Repository r = repositories.forReading(repository);
        if (!repositories.isWorkspace(r)) {
            return r.store().get(walKey(cluster, timeline, name));
        }
        return Files.newInputStream(walDirectory(cluster, timeline).resolve(name));
    }

    boolean has(String repository, String cluster, String timeline, String name) throws IOException {
        Repositories.Repository r = repositories.forReading(repository);
        if (!repositories.isWorkspace(r)) {
            return r.store().stat(walKey(cluster, timeline, name)).isPresent();
        }
        return Files.isRegularFile(walDirectory(cluster, timeline).resolve(name), LinkOption.NOFOLLOW_LINKS);
    }

    void delete(String repository, String cluster, String timeline, String name) throws IOException {
        Repositories.Repository r = repositories.forReading(repository);
        if (!repositories.isWorkspace(r)) {
            r.store().delete(walKey(cluster, timeline, name));
            return;
        }
        Path dir = walDirectory(cluster, timeline);
        if (Files.deleteIfExists(dir.resolve(name))) {
            Fsync.directory(dir);
        }
    }

    private String walKey(String cluster, String timeline, String name) {
        walDirectory(cluster, timeline);
        return cluster + "/wal/" + timeline + "/" + ObjectKeys.check(name);
    }

    private Path walDirectory(String cluster, String timeline) {
        if (!timeline.matches("^[0-9A-F]{8}$")) {
            throw new IllegalArgumentException("not a WAL timeline: " + timeline);
        }
        return root.resolve(RepositoryStorage.checkedCluster(cluster)).resolve("wal").resolve(timeline);
    }

    static String keyId(Repositories.Repository r) {
        return r.store() instanceof EncryptedObjectStore encrypted ? encrypted.currentKeyId() : null;
    }
}
