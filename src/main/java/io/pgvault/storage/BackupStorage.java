package io.pgvault.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Set;
import java.util.UUID;

/**
 * Where backups and WAL live: in named repositories ({@link Repositories}), with this host's workspace
 * (staging areas, scratch directories, WAL spools) on local disk. Writing goes through a {@link StagingArea}
 * that becomes visible, whole, only through {@link #commit}; nothing half-written ever has a location. A
 * backup's files are found by its repository's name and its location, {@code {cluster}/{kind}/{backupId}}.
 */
public interface BackupStorage {

    /** A fresh, empty staging area for a backup (an old one for the same id is removed first). */
    StagingArea stage(UUID backupId) throws IOException;

    /**
     * A staging area for a backup that {@link #commit} stores at {@code {cluster}/{kind}/{backupId}} in
     * {@code repository}: for a repository that uploads, {@link StagingArea#create} streams there directly, and
     * commit completes those uploads (discard aborts them).
     */
    StagingArea stage(UUID backupId, String repository, String cluster, String kind) throws IOException;

    /**
     * Stores a sealed staging area at {@code {cluster}/{kind}/{backupId}} in the repository, durably, and removes
     * it; returns the location. The workspace's own repository takes the directory by an atomic move; any
     * other gets every file uploaded (multipart, on S3) before this returns.
     */
    Committed commit(StagingArea area, String repository, String cluster, String kind) throws IOException;

    /**
     * A committed backup: its location and, in an encrypted repository, each file's stored (encrypted) size and
     * SHA-256 by its path and the id of the key that encrypted it; empty where files are stored as they are.
     */
    record Committed(String location, java.util.Map<String, ObjectStore.StoredObject> encrypted, String keyId) {
    }

    /**
     * Copies a committed file at {@code location} to {@code toLocation} in another repository (decrypted from the
     * one, encrypted for the other where they say so); the copy is visible only once complete.
     */
    void copy(String from, String location, String to, String toLocation, String relativePath) throws IOException;

    /** The stored size of a committed file, or empty when it is not in the repository. */
    java.util.Optional<Long> storedSize(String repository, String location, String relativePath) throws IOException;

    /** Copies an archived WAL file's stored (compressed) bytes to another repository. */
    void copyWal(String from, String to, String cluster, String timeline, String name) throws IOException;

    /** A committed file's stored bytes as they are, encrypted or not, for checksums that need no key. */
    InputStream openStored(String repository, String location, String relativePath) throws IOException;

    /**
     * Removes everything of a backup that never succeeded: its staging area and, if a crash came
     * between commit and the catalog update, its committed directory.
     */
    void discard(UUID backupId, String repository, String cluster, String kind) throws IOException;

    /**
     * A new, empty local directory for temporary work such as extracting a base backup to verify it; the
     * caller removes it with {@link io.pgvault.storage.FileTrees#delete}, and start-up sweeps leftovers.
     */
    Path scratch(String purpose) throws IOException;

    /** Removes staging areas of every backup not in {@code keep}, and every scratch directory; returns how many staging areas went. */
    int sweepStaging(Set<UUID> keep) throws IOException;

    /**
     * Removes the temporary files of WAL pushes that were cut off (by a crash) and not written to since
     * {@code before}; returns how many went. A push in progress writes its file all the time, so it is left alone.
     */
    int sweepWalPushes(java.time.Instant before) throws IOException;

    /**
     * Where pgvault's own pg_receivewal writes a cluster's WAL (walArchive STREAM) until it is archived: one
     * fixed directory per cluster that outlives restarts, so that a finished but not yet archived segment is
     * never lost (the replication slot has already moved past it).
     */
    Path walSpool(String cluster) throws IOException;

    InputStream open(String repository, String location, String relativePath) throws IOException;

    /**
     * A local path to a committed backup's file or directory, for tools like pg_restore that need one: in the
     * workspace's own repository the stored file itself, else a copy downloaded into a scratch directory, which
     * closing removes.
     */
    LocalCopy local(String repository, String location, String relativePath) throws IOException;

    /** A local path to read; {@link #close} removes it if it was downloaded for the caller. */
    record LocalCopy(Path path, Path temporary) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            if (temporary != null) {
                FileTrees.delete(temporary);
            }
        }
    }

    void delete(String repository, String location) throws IOException;

    /** Bytes free in the workspace, where backups are staged before they go to a repository that is not local. */
    long workspaceSpace() throws IOException;

    /** Whether committing to this repository copies the staged files (instead of moving them in place). */
    boolean uploads(String repository);

    /**
     * Stores a WAL file at {@code {cluster}/wal/{timeline}/{name}} durably (fsync before returning): the bytes
     * {@code content} writes, as they are (codecs are the caller's). If a file of that name is there already, it
     * is kept, this push's bytes go, and {@code created} is false: whether the two are the same WAL is for the
     * caller to judge. Safe under concurrent pushes of one name. The file is put in place only once
     * {@code content} returned: content that refuses itself by throwing (a WAL file that fails its check)
     * leaves nothing, not even a temporary file.
     */
    WalStored storeWal(String repository, String cluster, String timeline, String name, WalContent content) throws IOException;

    /** Writes a WAL file's stored bytes; closing {@code out} is allowed (storage closes it after anyway). */
    @FunctionalInterface
    interface WalContent {
        void writeTo(java.io.OutputStream out) throws IOException;
    }

    /** Opens an archived WAL file; {@link java.nio.file.NoSuchFileException} when there is none. */
    InputStream openWal(String repository, String cluster, String timeline, String name) throws IOException;

    /** Whether an archived WAL file is in storage (a push checks this before it records the file). */
    boolean hasWal(String repository, String cluster, String timeline, String name) throws IOException;

    /** Removes an archived WAL file (retention); a missing one is not an error. */
    void deleteWal(String repository, String cluster, String timeline, String name) throws IOException;

    /**
     * The outcome of storing a WAL file: the bytes this push wrote (size, SHA-256), and whether they were put in
     * place (false: a file of that name was there already and is kept).
     */
    record WalStored(StoredFile file, boolean created, String keyId) {
        public WalStored(StoredFile file, boolean created) {
            this(file, created, null);
        }
    }

    /** A WAL file of that name exists with other content; the stored one is kept. */
    final class WalConflict extends io.pgvault.api.ConflictException {
        public WalConflict(String name, String storedSha256, String pushedSha256) {
            super("WAL file " + name + " is already archived with different content (stored SHA-256 " + storedSha256
                    + ", pushed " + pushedSha256 + "); the stored file is kept");
        }
    }

    /** Bytes free in the workspace's own repository (the storage root). */
    long usableSpace() throws IOException;

    /** Whether a file can be created and removed right now. */
    boolean isWritable();

    /** A short description for health and logs, e.g. the root directory. */
    String describe();
}
