package io.pgvault.audit;

import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.UUID;

/**
 * An entry of the audit trail: who ({@code actor}, the token's name, and its {@code role}) did what
 * ({@code action}, the endpoint; {@code path}, the request) to which cluster or backup, when, with which
 * answer ({@code status}; {@code outcome} SUCCEEDED, FAILED or DENIED) and, for work that runs as a job, the job.
 */
@Schema(description = "One entry of the audit trail: who (actor, role) did what (action, path) to which "
        + "cluster or backup, when, with which answer (status; outcome SUCCEEDED, FAILED or "
        + "DENIED) and, for work that runs as a job, the job")
public record AuditEntry(
        UUID id,
        @Schema(description = "when the request was answered")
        Instant at,
        @Schema(description = "the name of the token that made the request")
        String actor,
        @Schema(description = "the token role")
        String role,
        @Schema(description = "the endpoint, e.g. POST /api/v1/clusters/{name}/backups")
        String action,
        @Schema(description = "the request path")
        String path,
        String cluster,
        UUID backupId,
        @Schema(description = "the job the request started")
        UUID jobId,
        @Schema(description = "the HTTP status answered")
        int status,
        @Schema(description = "SUCCEEDED, FAILED or DENIED")
        String outcome,
        @Schema(description = "the client address")
        String remoteAddress) {

    static AuditEntry of(AuditEvent e) {
        return new AuditEntry(e.getId(), e.getAt(), e.getActor(), e.getRole(), e.getAction(), e.getPath(),
                e.getCluster(), e.getBackupId(), e.getJobId(), e.getStatus(), e.getOutcome(), e.getRemoteAddress());
    }
}
