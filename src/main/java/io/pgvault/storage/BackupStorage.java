package io.pgvault.storage;

import java.io.IOException;
import io.pgvault.storage.codec.Codec;
import io.pgvault.storage.codec.Compression;
import java.io.InputStream;
import java.util.UUID;

/**
 * The store: where backups and WAL live, in named repositories ({@link Repositories}), read and written as
 * streams. This host's local work (staging areas, scratch directories, WAL spools, sweeps, local paths for
 * tools) is the {@link Workspace}'s. Writing a backup goes through a {@link StagingArea} that becomes visible,
 * whole, only through {@link #commit}; nothing half-written ever has a location. A backup's files are found by
 * its repository's name and its location, {@code {cluster}/{kind}/{backupId}}.
 */
public interface BackupStorage {

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

    /** A committed file's original bytes (decrypted where the repository encrypts). */
    InputStream open(String repository, String location, String relativePath) throws IOException;

    /** Removes everything stored at a backup's location; a missing one is no error. */
    void delete(String repository, String location) throws IOException;

    /**
     * Stores a WAL file in {@code {cluster}/wal/{timeline}/} durably (fsync before returning): the bytes
     * {@code content} writes, encoded with {@code compression} on their way (and encrypted after that where the
     * repository says so: the pipeline of every stored file). Once they are written (and the caller has
     * seen them whole), {@code gate} decides whether they go into the repository at all: false stores nothing.
     * They are stored under {@code name} if no object has that name, created in one step (a hard link; S3:
     * {@code If-None-Match: *}), else under a name of their own, {@code name.<random>}: storage never replaces
     * an archived file and never judges content; which stored file is the archived one is for the caller (the
     * catalog) to decide. Safe under concurrent pushes of one name. Content that refuses itself by throwing (a
     * WAL file that fails its check) leaves nothing, not even a temporary file.
     */
    WalStored storeWal(String repository, String cluster, String timeline, String name, Compression compression,
            WalContent content, WalGate gate) throws IOException;

    /** Decides, once a push's bytes are written, whether they are stored; may refuse the push by throwing. */
    @FunctionalInterface
    interface WalGate {
        boolean proceed() throws IOException;
    }

    /** Writes a WAL file's original bytes; closing {@code out} is allowed (storage closes it after anyway). */
    @FunctionalInterface
    interface WalContent {
        void writeTo(java.io.OutputStream out) throws IOException;
    }

    /**
     * Opens a stored WAL file's original bytes by its stored name (the archived file's name, or the name of its
     * own a push stored it under), decoded with {@code codec}, the one the catalog recorded for it;
     * {@link java.nio.file.NoSuchFileException} when there is none. A damaged file fails the read that reaches
     * the damage (zstd checks its frames, encryption authenticates).
     */
    InputStream openWal(String repository, String cluster, String timeline, String storedName, Codec codec)
            throws IOException;

    /** Whether a stored WAL file is in storage (a push checks this before it records the file). */
    boolean hasWal(String repository, String cluster, String timeline, String storedName) throws IOException;

    /** Removes a stored WAL file (retention, a push that lost); a missing one is not an error. */
    void deleteWal(String repository, String cluster, String timeline, String storedName) throws IOException;

    /**
     * The outcome of storing a WAL file: the bytes this push stored (size, SHA-256, after compression and before
     * encryption) and the name they are stored under, null when the gate kept them out.
     */
    record WalStored(StoredFile file, String storedName, String keyId) {

        /** Whether this push's bytes went into the repository. */
        public boolean created() {
            return storedName != null;
        }
    }
}
