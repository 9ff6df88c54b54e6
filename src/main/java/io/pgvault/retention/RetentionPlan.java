package io.pgvault.retention;

import io.pgvault.backup.BackupKind;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** What retention keeps and removes for one cluster, entry by entry with the reasons, and the WAL that goes. */
public record RetentionPlan(String cluster, Instant evaluatedAt, List<Decision> backups, WalRemoval wal,
        int keep, int expire) {

    /** One backup: {@code keep} or not, and why (every rule that keeps it, or the one sentence why it goes). */
    public record Decision(UUID backupId, BackupKind kind, String database, Instant finishedAt, UUID scheduleId,
            String group, boolean keep, List<String> reasons) {
    }

    /**
     * Archived WAL before {@code firstKept} on timelines up to {@code timeline}: the oldest retained BASE
     * backup's first segment. Null when no BASE backup is retained (then no WAL is removed).
     */
    public record WalRemoval(String firstKept, long timeline, UUID anchorBackupId, long files) {
    }
}
