package io.pgvault.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Set;
import java.util.UUID;

/**
 * Where backups live. Writing goes through a {@link StagingArea} that becomes visible, whole, only
 * through {@link #commit}; nothing half-written ever has a location.
 */
public interface BackupStorage {

    /** A fresh, empty staging area for a backup (an old one for the same id is removed first). */
    StagingArea stage(UUID backupId) throws IOException;

    /** Moves a sealed staging area to {@code {cluster}/{kind}/{backupId}} durably; returns its location. */
    String commit(StagingArea area, String cluster, String kind) throws IOException;

    /**
     * Removes everything of a backup that never succeeded: its staging area and, if a crash came
     * between commit and the catalog update, its committed directory.
     */
    void discard(UUID backupId, String cluster, String kind) throws IOException;

    /** Removes staging areas of every backup not in {@code keep}; returns how many went. */
    int sweepStaging(Set<UUID> keep) throws IOException;

    InputStream open(String location, String relativePath) throws IOException;

    /** A local path to read a committed backup from (tools like pg_restore need one). */
    Path localPath(String location) throws IOException;

    void delete(String location) throws IOException;

    /** Bytes free for new backups. */
    long usableSpace() throws IOException;

    /** Whether a file can be created and removed right now. */
    boolean isWritable();

    /** A short description for health and logs, e.g. the root directory. */
    String describe();
}
