package io.pgvault.schedule;

import io.pgvault.backup.BackupSpec;
import io.pgvault.job.JobStatus;
import io.pgvault.cluster.RetentionPolicy;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.UUID;

/**
 * A schedule as the API shows it. {@code lastOutcome} is the last run's job status, or FAILED with
 * {@code lastError} when the run could not even start its backup.
 */
@Schema(description = "A schedule with its next and last run; lastOutcome is the last run's job status, "
        + "or FAILED with lastError when the run could not start its backup")
public record ScheduleView(UUID id, String cluster, String cron, String timeZone, boolean enabled, BackupSpec backup,
        RetentionPolicy retention, VerificationPolicy verification, Instant createdAt, Instant nextRunAt,
        Instant lastRunAt, UUID lastJobId, JobStatus lastOutcome, String lastError, java.util.List<String> copyTo) {
}
