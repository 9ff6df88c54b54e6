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

    /** Copies a stored WAL file's stored (compressed) bytes to the same stored name in another repository. */
    void copyWal(String from, String to, String cluster, String timeline, String storedName) throws IOException;

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
     * Stores a WAL file in {@code {cluster}/wal/{timeline}/} durably (fsync before returning): the bytes
     * {@code content} writes, as they are (codecs are the caller's). Once they are written (and the caller has
     * seen them whole), {@code gate} decides whether they go into the repository at all: false stores nothing.
     * They are stored under {@code name} if no object has that name, created in one step (a hard link; S3:
     * {@code If-None-Match: *}), else under a name of their own, {@code name.<random>}: storage never replaces
     * an archived file and never judges content; which stored file is the archived one is for the caller (the
     * catalog) to decide. Safe under concurrent pushes of one name. Content that refuses itself by throwing (a
     * WAL file that fails its check) leaves nothing, not even a temporary file.
     */
    WalStored storeWal(String repository, String cluster, String timeline, String name, WalContent content,
            WalGate gate) throws IOException;

    /** Decides, once a push's bytes are written, whether they are stored; may refuse the push by throwing. */
    @FunctionalInterface
    interface WalGate {
        boolean proceed() throws IOException;
    }

    /** Writes a WAL file's stored bytes; closing {@code out} is allowed (storage closes it after anyway). */
    @FunctionalInterface
    interface WalContent {
        void writeTo(java.io.OutputStream out) throws IOException;
    }

    /**
     * Opens a stored WAL file by its stored name (the archived file's name, or the name of its own a push
     * stored it under); {@link java.nio.file.NoSuchFileException} when there is none.
     */
    InputStream openWal(String repository, String cluster, String timeline, String storedName) throws IOException;

    /** Whether a stored WAL file is in storage (a push checks this before it records the file). */
    boolean hasWal(String repository, String cluster, String timeline, String storedName) throws IOException;

    /** Removes a stored WAL file (retention, a push that lost); a missing one is not an error. */
    void deleteWal(String repository, String cluster, String timeline, String storedName) throws IOException;

    /**
     * The outcome of storing a WAL file: the bytes this push wrote (size, SHA-256) and the name they are stored
     * under, null when the gate kept them out.
     */
    record WalStored(StoredFile file, String storedName, String keyId) {

        /** Whether this push's bytes went into the repository. */
        public boolean created() {
            return storedName != null;
        }
    }

    /** Bytes free in the workspace's own repository (the storage root). */
    long usableSpace() throws IOException;

    /** Whether a file can be created and removed right now. */
    boolean isWritable();

    /** A short description for health and logs, e.g. the root directory. */
    String describe();
}
