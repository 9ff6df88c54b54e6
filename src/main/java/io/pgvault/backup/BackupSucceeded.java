package io.pgvault.backup;

import java.util.UUID;

/** Published once a backup's files are durable and the catalog says SUCCEEDED. */
public record BackupSucceeded(UUID backupId, String cluster, BackupKind kind, UUID scheduleId) {
}
