package io.pgvault.storage;

import io.pgvault.job.DaemonThreads;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.UUID;
import io.pgvault.storage.codec.Codec;
import io.pgvault.storage.codec.Compression;
import io.pgvault.storage.crypto.EncryptedObjectStore;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.stream.Stream;
import org.springframework.stereotype.Component;

/**
 * Keeps backups and WAL in repositories; the layout is the same in every one:
 * {@code {cluster}/{kind}/{backupId}/{file}} and {@code {cluster}/wal/{timeline}/{name}}. The work in progress
 * (staging, scratch) is the {@link Workspace}'s.
 *
 * <p>The workspace's own repository (a local one at the storage root, as before repositories existed) is
 * written in place: a staging area becomes a backup by an atomic move, a WAL push by a hard link, both
 * fsynced. Any other repository goes through its {@link ObjectStore}: each file is uploaded whole (an object
 * is visible only once complete, see {@link ObjectStore#put}), and only then does the caller record it.
 */
@Component
public class RepositoryStorage implements BackupStorage {

    private final Repositories repositories;
    private final Workspace workspace;
    private final WalFiles wal;
    private final ScheduledExecutorService retries =
            Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("pgvault-discard-retry"));
    /** Uploads that tools stream into while they run, by backup, until commit completes or discard aborts them. */
    private final Map<UUID, Map<String, StreamedUpload>> streaming = new ConcurrentHashMap<>();
    private final ExecutorService uploadThreads = Executors.newCachedThreadPool(DaemonThreads.named("pgvault-upload"));
    /** The key current when each backup's streamed uploads began, to record only a key that all its files took. */
    private final Map<UUID, String> stagedKeys = new ConcurrentHashMap<>();

    public RepositoryStorage(Repositories repositories, Workspace workspace) {
        this.repositories = repositories;
        this.workspace = workspace;
        this.wal = new WalFiles(repositories, workspace.root(), workspace.scratchRoot());
    }

    @Override
    public StagingArea stage(UUID backupId, String repository, String cluster, String kind) throws IOException {
        StagingArea plain = workspace.stage(backupId);
        Repositories.Repository target = repositories.forReading(repository);
        if (repositories.isWorkspace(target)) {
            return plain;
        }
        String location = ObjectKeys.checkedCluster(cluster) + "/" + kind + "/" + backupId;
        Map<String, StreamedUpload> mine = new ConcurrentHashMap<>();
        streaming.put(backupId, mine);
        String keyId = WalFiles.keyId(target);
        if (keyId != null) {
            stagedKeys.put(backupId, keyId);
        }
        return new StagingArea(backupId, plain.directory(), relativePath -> {
            StreamedUpload upload = new StreamedUpload(target.store(), location + "/" + relativePath, uploadThreads);
            mine.put(relativePath, upload);
            return upload.writer();
        });
    }

    @Override
    public Committed commit(StagingArea area, String repository, String cluster, String kind) throws IOException {
        String location = ObjectKeys.checkedCluster(cluster) + "/" + kind + "/" + area.backupId();
        Repositories.Repository target = repositories.forReading(repository);
        if (repositories.isWorkspace(target)) {
            Path dir = resolve(location);
            Files.createDirectories(dir.getParent(), PosixFilePermissions.asFileAttribute(FileTrees.OWNER_ONLY_DIR));
            FileTrees.ownerOnly(area.directory());
            // a manifest refers to blocks whose names may not be durable yet: they are before it is
            io.pgvault.storage.local.LocalObjectStore.syncPendingNames();
            Files.move(area.directory(), dir, StandardCopyOption.ATOMIC_MOVE);
            Fsync.directory(dir.getParent());
            Fsync.directory(workspace.stagingRoot());
            return new Committed(location, java.util.Map.of(), null);
        }
        java.util.Map<String, ObjectStore.StoredObject> encrypted = new java.util.TreeMap<>();
        String keyBefore = stagedKeys.containsKey(area.backupId()) ? stagedKeys.remove(area.backupId())
                : WalFiles.keyId(target);
        Map<String, StreamedUpload> streamed = streaming.remove(area.backupId());
        if (streamed != null) {
            try {
                for (var upload : streamed.entrySet()) {
                    ObjectStore.StoredObject stored = upload.getValue().complete();
                    if (target.store() instanceof EncryptedObjectStore) {
                        encrypted.put(upload.getKey(), stored);
                    }
                }
            } catch (IOException | RuntimeException e) {
                streamed.values().forEach(StreamedUpload::abandon);
                throw e;
            }
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(area.directory())) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path file : files) {
            String key = location + "/" + area.directory().relativize(file);
            try (InputStream in = Files.newInputStream(file)) {
                ObjectStore.StoredObject stored = target.store().put(key, in);
                if (target.store() instanceof EncryptedObjectStore) {
                    encrypted.put(area.directory().relativize(file).toString(), stored);
                }
            }
        }
        FileTrees.delete(area.directory());
        String keyId = WalFiles.keyId(target);
        // a rotation while the files were written: each took the key current when it began (its first line says
        // which), so none is recorded; a count of objects per key then says "not recorded", never a wrong key
        return new Committed(location, encrypted, java.util.Objects.equals(keyBefore, keyId) ? keyId : null);
    }

    /**
     * Removes the staging area at once, and what was uploaded of the backup: if the repository cannot be reached
     * now (the network went in the middle of the upload), that is tried again in the background, after 1, 2, 4
     * ... 64 s, and the failure is thrown for the caller to note.
     */
    @Override
    public void discard(UUID backupId, String repository, String cluster, String kind) throws IOException {
        Map<String, StreamedUpload> streamed = streaming.remove(backupId);
        stagedKeys.remove(backupId);
        if (streamed != null) {
            streamed.values().forEach(StreamedUpload::abandon);
        }
        workspace.removeStaging(backupId);
        String location = ObjectKeys.checkedCluster(cluster) + "/" + kind + "/" + backupId;
        try {
            delete(repository, location);
        } catch (IOException | RuntimeException e) {
            BackgroundRetry.schedule(retries, () -> delete(repository, location), "Could not remove the objects of a "
                    + "failed backup at " + location + " in repository '" + repository + "'; remove them by hand");
            throw e;
        }
    }

    @jakarta.annotation.PreDestroy
    void stopRetries() {
        retries.shutdownNow();
        uploadThreads.shutdownNow();
    }

    @Override
    public InputStream open(String repository, String location, String relativePath) throws IOException {
        Repositories.Repository r = repositories.forReading(repository);
        if (repositories.isWorkspace(r)) {
            Path file = resolve(location).resolve(relativePath).normalize();
            if (!file.startsWith(resolve(location))) {
                throw new NoSuchFileException(relativePath);
            }
            return Files.newInputStream(file);
        }
        return r.store().get(location + "/" + relativePath);
    }

    @Override
    public void copy(String from, String location, String to, String toLocation, String relativePath)
            throws IOException {
        Repositories.Repository target = repositories.forReading(to);
        try (InputStream in = open(from, location, relativePath)) {
            target.store().put(toLocation + "/" + relativePath, in);
        }
    }

    @Override
    public java.util.Optional<Long> storedSize(String repository, String location, String relativePath)
            throws IOException {
        Repositories.Repository r = repositories.forReading(repository);
        if (repositories.isWorkspace(r)) {
            Path file = resolve(location).resolve(relativePath).normalize();
            return Files.isRegularFile(file) ? java.util.Optional.of(Files.size(file)) : java.util.Optional.empty();
        }
        return r.store().stat(location + "/" + relativePath).map(ObjectStore.ObjectInfo::size);
    }

    @Override
    public InputStream openStored(String repository, String location, String relativePath) throws IOException {
        Repositories.Repository r = repositories.forReading(repository);
        if (r.store() instanceof EncryptedObjectStore encrypted) {
            return encrypted.raw().get(location + "/" + relativePath);
        }
        return open(repository, location, relativePath);
    }

    @Override
    public void delete(String repository, String location) throws IOException {
        Repositories.Repository r = repositories.forReading(repository);
        if (repositories.isWorkspace(r)) {
            Path dir = resolve(location);
            FileTrees.delete(dir);
            if (Files.exists(dir.getParent())) {
                Fsync.directory(dir.getParent());
            }
            return;
        }
        for (String key : r.store().list(location + "/")) {
            r.store().delete(key);
        }
    }

    @Override
    public void copyWal(String from, String to, String cluster, String timeline, String name) throws IOException {
        wal.copy(from, to, cluster, timeline, name);
    }

    @Override
    public WalStored storeWal(String repository, String cluster, String timeline, String name,
            Compression compression, WalContent content, WalGate gate) throws IOException {
        return wal.store(repository, cluster, timeline, name, compression, content, gate);
    }

    @Override
    public InputStream openWal(String repository, String cluster, String timeline, String name, Codec codec)
            throws IOException {
        return codec.decode(wal.open(repository, cluster, timeline, name));
    }

    @Override
    public boolean hasWal(String repository, String cluster, String timeline, String name) throws IOException {
        return wal.has(repository, cluster, timeline, name);
    }

    @Override
    public void deleteWal(String repository, String cluster, String timeline, String name) throws IOException {
        wal.delete(repository, cluster, timeline, name);
    }

    private Path resolve(String location) {
        return workspace.inPlace(location);
    }
}
