package io.pgvault.storage;

import io.pgvault.storage.codec.Compression;
import io.pgvault.storage.crypto.EncryptedObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * The WAL half of {@link RepositoryStorage}: archived WAL files under {@code {cluster}/wal/{timeline}/{name}} in
 * every repository, written in place (a hard link) in the workspace's own and through the {@link ObjectStore}
 * elsewhere ({@link WalWrites}). The {@link Workspace} sweeps the pushes that a dead process left half-written.
 */
final class WalFiles {

    /** The temporary file of a WAL push in progress, in the WAL directory it goes to. */
    static final String PUSH_PREFIX = ".push-";

    private final Repositories repositories;
    private final Path root;
    private final Path scratch;

    WalFiles(Repositories repositories, Path root, Path scratch) {
        this.repositories = repositories;
        this.root = root;
        this.scratch = scratch;
    }

    void copy(String from, String to, String cluster, String timeline, String name) throws IOException {
        Repositories.Repository target = repositories.forReading(to);
        try (InputStream in = open(from, cluster, timeline, name)) {
            target.store().put(walKey(cluster, timeline, name), in);
        }
    }

    /**
     * The pipeline's compression stage comes first, the same for every repository: what is written whole to a
     * local file (and checked, and hashed as stored) is the encoded bytes; encryption, where the repository has
     * it, is its store's, on the way from that file to the backend.
     */
    BackupStorage.WalStored store(String repository, String cluster, String timeline, String name,
            Compression compression, BackupStorage.WalContent original, BackupStorage.WalGate gate) throws IOException {
        BackupStorage.WalContent content = out -> {
            try (java.io.OutputStream encoded = compression.encode(out)) {
                original.writeTo(encoded);
            }
        };
        Repositories.Repository r = repositories.forReading(repository);
        if (!repositories.isWorkspace(r)) {
            return WalWrites.toStore(r.store(), keyId(r), scratch, stored -> walKey(cluster, timeline, stored), name,
                    content, gate);
        }
        return WalWrites.toDirectory(walDirectory(cluster, timeline), PUSH_PREFIX, name, content, gate);
    }

    /** A stored file's stored bytes, decrypted where the repository encrypts, still encoded. */
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
        return root.resolve(ObjectKeys.checkedCluster(cluster)).resolve("wal").resolve(timeline);
    }

    static String keyId(Repositories.Repository r) {
        return r.store() instanceof EncryptedObjectStore encrypted ? encrypted.currentKeyId() : null;
    }
}
