package io.pgvault.job.web;

import io.pgvault.job.JobStatus;
import io.pgvault.job.JobType;
import io.pgvault.job.JobView;
import java.time.Instant;
import java.util.UUID;

/** A job as the API shows it. */
public record JobResponse(UUID id, JobType type, JobStatus status, String cluster, UUID backupId, String phase,
        long bytesDone, Long bytesTotal, Instant createdAt, Instant startedAt, Instant finishedAt, String error) {

    public static JobResponse of(JobView j) {
        return new JobResponse(j.id(), j.type(), j.status(), j.cluster(), j.backupId(), j.phase(), j.bytesDone(),
                j.bytesTotal(), j.createdAt(), j.startedAt(), j.finishedAt(), j.error());
    }
}
