package io.pgvault.schedule;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A cluster's backups on a cron, with what follows them; its timer lives in the job engine. */
@Entity
@Table(name = "schedule")
class Schedule {

    @Id
    private UUID id;
    private String cluster;
    private String cron;
    private String timeZone;
    private boolean enabled;
    private String backupSpec;
    private String retention;
    private String verification;
    private Instant createdAt;
    private Instant updatedAt;
    private Instant nextRunAt;
    private Instant lastRunAt;
    private UUID lastJobId;
    private String lastError;
    /** Repositories each backup is copied to, comma-separated; null: none. */
    private String copyTo;

    protected Schedule() {
    }

    Schedule(UUID id, String cluster, Instant now) {
        this.id = id;
        this.cluster = cluster;
        this.createdAt = now;
    }

    void define(String cron, String timeZone, boolean enabled, String backupSpec, String retention, String verification,
            java.util.List<String> copyTo, Instant nextRunAt, Instant now) {
        this.copyTo = copyTo == null || copyTo.isEmpty() ? null : String.join(",", copyTo);
        this.cron = cron;
        this.timeZone = timeZone;
        this.enabled = enabled;
        this.backupSpec = backupSpec;
        this.retention = retention;
        this.verification = verification;
        this.nextRunAt = nextRunAt;
        this.updatedAt = now;
    }

    void ran(Instant at, UUID jobId, String error, Instant next) {
        this.lastRunAt = at;
        this.lastJobId = jobId;
        this.lastError = error;
        this.nextRunAt = next;
    }

    UUID getId() { return id; }

    String getCluster() { return cluster; }

    String getCron() { return cron; }

    String getTimeZone() { return timeZone; }

    boolean isEnabled() { return enabled; }

    String getBackupSpec() { return backupSpec; }

    String getRetention() { return retention; }

    String getVerification() { return verification; }

    Instant getCreatedAt() { return createdAt; }

    Instant getNextRunAt() { return nextRunAt; }

    Instant getLastRunAt() { return lastRunAt; }

    UUID getLastJobId() { return lastJobId; }

    String getLastError() { return lastError; }

    java.util.List<String> getCopyTo() { return copyTo == null ? java.util.List.of() : java.util.List.of(copyTo.split(",")); }
}
