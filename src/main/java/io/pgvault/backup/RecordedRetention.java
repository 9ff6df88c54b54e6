package io.pgvault.backup;

import io.pgvault.cluster.RetentionPolicy;
import io.swagger.v3.oas.annotations.media.Schema;

/**
 * The retention policy of the schedule that took a backup, and the time zone of its days, as they were
 * when the backup was taken. Retention applies it to the backup for as long as the backup is not
 * released to the cluster's policy: editing or deleting the schedule never shortens a backup's life.
 */
@Schema(description = "The retention policy and time zone of the schedule that took a backup, as they "
        + "were then")
public record RecordedRetention(RetentionPolicy policy, String timeZone) {
}
