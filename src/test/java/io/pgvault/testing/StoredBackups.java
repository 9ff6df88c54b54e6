package io.pgvault.testing;

import io.pgvault.backup.BackupCatalog;
import io.pgvault.backup.BackupView;
import io.pgvault.storage.BackupStorage;
import io.pgvault.storage.ObjectStore;
import io.pgvault.storage.Repositories;
import io.pgvault.storage.codec.Codec;
import io.pgvault.storage.crypto.EncryptedObjectStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The stored files of backups and of the WAL archive, for tests: read, looked for, damaged and removed through
 * the application's own store, found by a backup's id (or a cluster and a WAL file's name) and a file name as
 * the catalog records them. Tests never build a path or an object key: how a repository lays out its files
 * (and whether it is a directory or a bucket, encrypted or not) is the store's business and this class's only.
 */
public final class StoredBackups {

    private final BackupCatalog backups;
    private final BackupStorage store;
    private final Repositories repositories;
    private final JdbcTemplate catalog;
    /** The repository of the copies this looks at; null: each backup's own. */
    private final String copies;

    public StoredBackups(ApplicationContext context) {
        this(context.getBean(BackupCatalog.class), context.getBean(BackupStorage.class),
                context.getBean(Repositories.class), context.getBean(JdbcTemplate.class), null);
    }

    private StoredBackups(BackupCatalog backups, BackupStorage store, Repositories repositories, JdbcTemplate catalog,
            String copies) {
        this.backups = backups;
        this.store = store;
        this.repositories = repositories;
        this.catalog = catalog;
        this.copies = copies;
    }

    /** The same, for the backups' copies in another repository (as the catalog records them) instead. */
    public StoredBackups copiesIn(String repository) {
        return new StoredBackups(backups, store, repositories, catalog, repository);
    }

    /** A backup file's original bytes, as a restore reads them (decrypted). */
    public byte[] read(String backupId, String file) throws IOException {
        BackupView b = backup(backupId);
        try (InputStream in = store.open(b.repository(), b.location(), file)) {
            return in.readAllBytes();
        }
    }

    /** A backup file's bytes as its repository holds them (encrypted where it encrypts). */
    public byte[] stored(String backupId, String file) throws IOException {
        BackupView b = backup(backupId);
        try (InputStream in = store.openStored(b.repository(), b.location(), file)) {
            return in.readAllBytes();
        }
    }

    /** Whether the backup's repository holds this file of it. */
    public boolean exists(String backupId, String file) throws IOException {
        BackupView b = backup(backupId);
        return b.location() != null && store.storedSize(b.repository(), b.location(), file).isPresent();
    }

    /**
     * Whether anything of a backup is stored in its repository, committed or not: where a backup that never
     * succeeded (and so has no recorded location) would have been committed, or where it was.
     */
    public boolean anythingStored(String backupId) throws IOException {
        BackupView b = backup(backupId);
        String location = b.location() != null ? b.location() : b.cluster() + "/" + b.kind() + "/" + b.id();
        return !raw(b.repository()).list(location + "/").isEmpty();
    }

    /** The names of a backup's stored files (directory-format dumps: the files below the directory too). */
    public List<String> files(String backupId) throws IOException {
        BackupView b = backup(backupId);
        return raw(b.repository()).list(b.location() + "/").stream()
                .map(key -> key.substring(b.location().length() + 1)).toList();
    }

    /** Replaces a backup file's stored bytes behind pgvault's back, as a disk or an operator might. */
    public void replaceStored(String backupId, String file, byte[] bytes) throws IOException {
        BackupView b = backup(backupId);
        raw(b.repository()).put(b.location() + "/" + file, new ByteArrayInputStream(bytes));
    }

    /** Flips the bits of one byte in the middle of a backup file's stored bytes. */
    public void damage(String backupId, String file) throws IOException {
        replaceStored(backupId, file, flipped(stored(backupId, file)));
    }

    /** Removes a backup file from its repository behind pgvault's back. */
    public void delete(String backupId, String file) throws IOException {
        BackupView b = backup(backupId);
        raw(b.repository()).delete(b.location() + "/" + file);
    }

    /**
     * An archived WAL file's bytes as the store's compression stage left them (decrypted where the repository
     * encrypts, not decompressed): the stored file the catalog recorded for the name.
     */
    public byte[] encodedWal(String cluster, String walFile) throws IOException {
        RecordedWal wal = recordedWal(cluster, walFile);
        try (InputStream in = store.openWal(wal.repository(), cluster, timeline(walFile), wal.storedName(),
                Codec.NONE)) {
            return in.readAllBytes();
        }
    }

    /** The size of an archived WAL file's stored bytes, as its repository holds them. */
    public long storedWalSize(String cluster, String walFile) throws IOException {
        RecordedWal wal = recordedWal(cluster, walFile);
        return raw(wal.repository()).stat(walKey(cluster, walFile, wal.storedName())).orElseThrow().size();
    }

    /** Flips the bits of one byte in the middle of an archived WAL file's stored bytes. */
    public void damageWal(String cluster, String walFile) throws IOException {
        RecordedWal wal = recordedWal(cluster, walFile);
        ObjectStore raw = raw(wal.repository());
        String key = walKey(cluster, walFile, wal.storedName());
        byte[] bytes;
        try (InputStream in = raw.get(key)) {
            bytes = in.readAllBytes();
        }
        raw.put(key, new ByteArrayInputStream(flipped(bytes)));
    }

    /**
     * Stores a WAL file's bytes as they are, with no catalog row, in the repository: as an upgrade from before
     * codecs finds them, or a push cut off between storing and recording leaves them.
     */
    public void putWalUnrecorded(String repository, String cluster, String walFile, byte[] bytes) throws IOException {
        raw(repository).put(walKey(cluster, walFile, walFile), new ByteArrayInputStream(bytes));
    }

    /**
     * Removes everything of a cluster (its backups and its WAL archive) from a repository behind pgvault's back, as
     * a lost disk would; the catalog still lists it all.
     */
    public void loseCluster(String repository, String cluster) throws IOException {
        ObjectStore raw = raw(repository);
        for (String key : raw.list(cluster + "/")) {
            raw.delete(key);
        }
    }

    /** Removes an archived WAL file's stored bytes, leaving its catalog row, as a lost disk or a careless hand would. */
    public void deleteWal(String cluster, String walFile) throws IOException {
        RecordedWal wal = recordedWal(cluster, walFile);
        raw(wal.repository()).delete(walKey(cluster, walFile, wal.storedName()));
    }

    /**
     * The names of every file stored in a cluster's WAL archive in the repository, of every timeline, recorded or
     * not (stored names of their own too, and in the workspace's own repository the temporary files of pushes).
     */
    public List<String> walNames(String repository, String cluster) throws IOException {
        return raw(repository).list(cluster + "/wal/").stream().map(k -> k.substring(k.lastIndexOf('/') + 1))
                .toList();
    }

    /** Whether the repository holds a stored WAL file of that name (recorded or not). */
    public boolean hasWal(String repository, String cluster, String walFile) throws IOException {
        return store.hasWal(repository, cluster, timeline(walFile), walFile);
    }

    private BackupView backup(String backupId) {
        BackupView b = backups.get(UUID.fromString(backupId));
        if (copies == null) {
            return b;
        }
        return b.in(b.copies().stream().filter(c -> c.repository().equals(copies)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("backup " + backupId + " has no copy in " + copies)));
    }

    /** How many blocks a repository's block store holds (objects named as blocks, whoever refers to them). */
    public int blockCount(String repository) throws IOException {
        return (int) raw(repository).list(io.pgvault.blocks.BlockStore.PREFIX).stream()
                .filter(k -> k.substring(k.lastIndexOf('/') + 1).matches("[0-9a-f]{64}")).count();
    }

    /** The block names a block-store backup's manifest refers to (in this view's repository: its own, or a copy's). */
    public java.util.Set<String> blocks(String backupId) throws IOException {
        BackupView b = backup(backupId);
        try (InputStream in = store.open(b.repository(), b.location(), io.pgvault.blocks.BlockManifest.FILE)) {
            return io.pgvault.blocks.BlockManifest.readFrom(in).blocks();
        }
    }

    /** The paths of the entries (files, directories, links) a block-store backup's manifest holds. */
    public java.util.Set<String> entryPaths(String backupId) throws IOException {
        BackupView b = backup(backupId);
        try (InputStream in = store.open(b.repository(), b.location(), io.pgvault.blocks.BlockManifest.FILE)) {
            return io.pgvault.blocks.BlockManifest.readFrom(in).entries().stream()
                    .map(io.pgvault.blocks.BlockManifest.Entry::path)
                    .collect(java.util.stream.Collectors.toSet());
        }
    }

    /**
     * Flips a byte in the stored bytes of the first block of the largest file of a block-store backup (in this
     * view's repository), as a disk might; returns the block's name.
     */
    public String damageBlock(String backupId) throws IOException {
        BackupView b = backup(backupId);
        io.pgvault.blocks.BlockManifest manifest;
        try (InputStream in = store.open(b.repository(), b.location(), io.pgvault.blocks.BlockManifest.FILE)) {
            manifest = io.pgvault.blocks.BlockManifest.readFrom(in);
        }
        String name = manifest.entries().stream().filter(e -> !e.blocks().isEmpty())
                .max(java.util.Comparator.comparingLong(io.pgvault.blocks.BlockManifest.Entry::size))
                .orElseThrow().blocks().get(0);
        String key = io.pgvault.blocks.BlockStore.objectKey(name);
        byte[] bytes;
        try (InputStream in = raw(b.repository()).get(key)) {
            bytes = in.readAllBytes();
        }
        raw(b.repository()).put(key, new ByteArrayInputStream(flipped(bytes)));
        return name;
    }

    private record RecordedWal(String repository, String storedName) {
    }

    private RecordedWal recordedWal(String cluster, String walFile) {
        Map<String, Object> row = catalog.queryForMap(
                "SELECT repository, stored_name FROM wal_file WHERE cluster = ? AND name = ?", cluster, walFile);
        // rows from before repositories and stored names: the default place and the file's own name
        return new RecordedWal(row.get("repository") == null ? "local" : (String) row.get("repository"),
                row.get("stored_name") == null ? walFile : (String) row.get("stored_name"));
    }

    /** The stored bytes of a repository, as they are (the backend under an encrypting store). */
    private ObjectStore raw(String repository) {
        ObjectStore store = repositories.forReading(repository).store();
        return store instanceof EncryptedObjectStore encrypted ? encrypted.raw() : store;
    }

    private static String walKey(String cluster, String walFile, String storedName) {
        return cluster + "/wal/" + timeline(walFile) + "/" + storedName;
    }

    /** A WAL file's timeline: the first eight hex digits of every kind of WAL file's name. */
    private static String timeline(String walFile) {
        return walFile.substring(0, 8);
    }

    private static byte[] flipped(byte[] bytes) {
        byte[] damaged = bytes.clone();
        damaged[damaged.length / 2] ^= 0x5a;
        return damaged;
    }
}
