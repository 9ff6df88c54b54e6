package io.pgvault.backup;

import io.pgvault.cluster.RetentionPolicy;

/**
 * The retention policy of the schedule that took a backup, and the time zone of its days, as they were
 * when the backup was taken. Retention applies it to the backup for as long as the backup is not
 * released to the cluster's policy: editing or deleting the schedule never shortens a backup's life.
 */
public record RecordedRetention(RetentionPolicy policy, String timeZone) {
}
