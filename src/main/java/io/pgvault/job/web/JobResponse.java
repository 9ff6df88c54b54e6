package io.pgvault.job.web;

import com.fasterxml.jackson.annotation.JsonRawValue;
import io.pgvault.job.JobStatus;
import io.pgvault.job.JobType;
import io.pgvault.job.JobView;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.UUID;

/** A job as the API shows it. */
@Schema(description = "An asynchronous job: its type, state, phase, progress in bytes, times and error")
public record JobResponse(UUID id, JobType type, JobStatus status, String cluster, UUID backupId, String phase,
        long bytesDone, Long bytesTotal, Instant createdAt, Instant startedAt, Instant finishedAt, String error,
        @Schema(type = "object", description = "what the job reached, e.g. a recovery's end point (JSON)")
        @JsonRawValue String result) {

    public static JobResponse of(JobView j) {
        return new JobResponse(j.id(), j.type(), j.status(), j.cluster(), j.backupId(), j.phase(), j.bytesDone(),
                j.bytesTotal(), j.createdAt(), j.startedAt(), j.finishedAt(), j.error(), j.result());
    }
}
