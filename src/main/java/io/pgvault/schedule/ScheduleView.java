package io.pgvault.schedule;

import io.pgvault.backup.BackupSpec;
import io.pgvault.backup.BackupSpecSchema;
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
public record ScheduleView(
        UUID id,
        String cluster,
        @Schema(description = "Spring six-field cron: second minute hour day-of-month month day-of-week")
        String cron,
        @Schema(description = "the zone the cron is read in")
        String timeZone,
        boolean enabled,
        @Schema(description = "the backup request each run makes", implementation = BackupSpecSchema.class)
        BackupSpec backup,
        RetentionPolicy retention,
        VerificationPolicy verification,
        Instant createdAt,
        @Schema(description = "when it fires next")
        Instant nextRunAt,
        Instant lastRunAt,
        @Schema(description = "the job of the last run")
        UUID lastJobId,
        @Schema(description = "the last run job status, or FAILED when it could not start")
        JobStatus lastOutcome,
        @Schema(description = "why the last run could not start its backup")
        String lastError,
        @Schema(description = "repositories each backup is copied to once it succeeded")
        java.util.List<String> copyTo) {
}
