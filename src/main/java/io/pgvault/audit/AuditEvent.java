package io.pgvault.audit;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** One request that changed something, handed out data or credentials, or was refused. */
@Entity
@Table(name = "audit_event")
class AuditEvent {

    @Id
    private UUID id;
    private Instant at;
    private String actor;
    private String role;
    private String action;
    private String method;
    private String path;
    private String cluster;
    private UUID backupId;
    private UUID jobId;
    private int status;
    private String outcome;
    private String remoteAddress;

    protected AuditEvent() {
    }

    AuditEvent(Instant at, String actor, String role, String action, String method, String path, String cluster,
            UUID backupId, UUID jobId, int status, String remoteAddress) {
        this.id = UUID.randomUUID();
        this.at = at;
        this.actor = actor;
        this.role = role;
        this.action = action;
        this.method = method;
        this.path = path;
        this.cluster = cluster;
        this.backupId = backupId;
        this.jobId = jobId;
        this.status = status;
        this.outcome = status == 401 || status == 403 ? "DENIED" : status < 400 ? "SUCCEEDED" : "FAILED";
        this.remoteAddress = remoteAddress;
    }

    UUID getId() { return id; }

    Instant getAt() { return at; }

    String getActor() { return actor; }

    String getRole() { return role; }

    String getAction() { return action; }

    String getMethod() { return method; }

    String getPath() { return path; }

    String getCluster() { return cluster; }

    UUID getBackupId() { return backupId; }

    UUID getJobId() { return jobId; }

    int getStatus() { return status; }

    String getOutcome() { return outcome; }

    String getRemoteAddress() { return remoteAddress; }
}
