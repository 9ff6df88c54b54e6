package io.pgvault.job;

import java.util.UUID;

/** Published when a job reaches a terminal state. */
public record JobFinished(UUID jobId, JobType type, JobStatus status, String cluster, UUID backupId) {
}
