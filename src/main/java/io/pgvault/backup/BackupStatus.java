package io.pgvault.backup;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/** A backup's life, with the transitions allowed between states. */
public enum BackupStatus {
    QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED,
    /** Removed by retention: the files are gone, the entry stays for history and size trends. */
    EXPIRED,
    DELETED;

    private static final Map<BackupStatus, Set<BackupStatus>> ALLOWED = Map.of(
            QUEUED, EnumSet.of(RUNNING, FAILED, CANCELLED),
            RUNNING, EnumSet.of(SUCCEEDED, FAILED, CANCELLED),
            SUCCEEDED, EnumSet.of(EXPIRED, DELETED),
            EXPIRED, EnumSet.of(DELETED),
            FAILED, EnumSet.of(DELETED),
            CANCELLED, EnumSet.of(DELETED),
            DELETED, EnumSet.noneOf(BackupStatus.class));

    public boolean canMoveTo(BackupStatus next) {
        return ALLOWED.get(this).contains(next);
    }
}
