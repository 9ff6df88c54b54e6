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
public record JobResponse(
        UUID id,
        JobType type,
        JobStatus status,
        String cluster,
        @Schema(description = "the backup it takes, restores, verifies or copies")
        UUID backupId,
        @Schema(description = "what it is doing now, in words, e.g. verifying checksums")
        String phase,
        @Schema(description = "bytes written so far")
        long bytesDone,
        @Schema(description = "bytes to write, where known")
        Long bytesTotal,
        Instant createdAt,
        Instant startedAt,
        Instant finishedAt,
        @Schema(description = "why it failed or was cancelled")
        String error,
        @Schema(types = "object", description = "what the job reached, e.g. a recovery's end point (JSON)")
        @JsonRawValue String result,
        @Schema(description = "the pgvault instance that runs or ran it (GET /instances)") String instance,
        @Schema(description = "the host whose instance must run it (the cluster's dataHost), for work that writes "
                + "local directories; null: any instance") String placement) {

    public static JobResponse of(JobView j) {
        return new JobResponse(j.id(), j.type(), j.status(), j.cluster(), j.backupId(), j.phase(), j.bytesDone(),
                j.bytesTotal(), j.createdAt(), j.startedAt(), j.finishedAt(), j.error(), j.result(), j.instance(),
                j.placement());
    }
}
