package io.pgvault.wal;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** The base backups the archive serves, as the recovery window needs them (implemented by the backup catalog). */
public interface BaseBackupCatalog {

    /** The cluster's SUCCEEDED BASE backups, oldest first. */
    List<BaseBackupEnd> baseBackups(String cluster);

    /** Where a base backup ends: from there on, archived WAL carries the cluster forward. */
    record BaseBackupEnd(UUID id, long timeline, String stopLsn, String lastWal, Instant finishedAt) {
    }
}
