package io.pgvault.schedule;

import io.pgvault.backup.BackupKind;
import io.pgvault.cluster.RetentionPolicy;
import java.util.UUID;

/**
 * A live schedule as retention sees it: its policy now ({@code null}: none), the zone of its days, and the
 * kind and database it backs up now. Its backups of another kind or database keep the policy recorded
 * when they were taken.
 */
public record ScheduleRetention(UUID id, RetentionPolicy policy, String timeZone, BackupKind kind, String database) {
}
