package io.pgvault.job;

import java.time.Instant;
import java.util.UUID;

/** A read-only snapshot of a job for other features and the web layer. */
public record JobView(UUID id, JobType type, JobStatus status, String cluster, UUID backupId, String phase,
        long bytesDone, Long bytesTotal, Instant createdAt, Instant startedAt, Instant finishedAt, String error, String result,
        String instance, String placement) {

    static JobView of(Job j) {
        return new JobView(j.getId(), j.getType(), j.getStatus(), j.getCluster(), j.getBackupId(), j.getPhase(),
                j.getBytesDone(), j.getBytesTotal(), j.getCreatedAt(), j.getStartedAt(), j.getFinishedAt(),
                j.getError(), j.getResult(), j.getOwner(), j.getPlacement());
    }
}
