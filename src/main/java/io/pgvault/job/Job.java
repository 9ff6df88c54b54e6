package io.pgvault.job;

import io.pgvault.api.ConflictException;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** One asynchronous execution. Its state only changes through the methods below. */
@Entity
@Table(name = "job")
public class Job {

    /** Why a job that was running when its server died failed. */
    public static final String INTERRUPTED = "interrupted";

    @Id
    private UUID id;
    @Enumerated(EnumType.STRING)
    private JobType type;
    @Enumerated(EnumType.STRING)
    private JobStatus status;
    private String cluster;
    private UUID backupId;
    private String payload;
    private String phase;
    private long bytesDone;
    private Long bytesTotal;
    private Instant createdAt;
    private Instant startedAt;
    private Instant finishedAt;
    private Instant heartbeatAt;
    private String owner;
    private boolean cancelRequested;
    private String error;
    @Column(name = "log_tail")
    private String logTail;
    private String result;
    private String placement;

    protected Job() {
    }

    Job(JobType type, String cluster, UUID backupId, String payload, Instant now) {
        this(type, cluster, backupId, payload, null, now);
    }

    Job(JobType type, String cluster, UUID backupId, String payload, String placement, Instant now) {
        this.placement = placement;
        this.id = UUID.randomUUID();
        this.type = type;
        this.status = JobStatus.QUEUED;
        this.cluster = cluster;
        this.backupId = backupId;
        this.payload = payload;
        this.phase = "queued";
        this.createdAt = now;
    }

    void start(String owner, Instant now) {
        moveTo(JobStatus.RUNNING);
        this.owner = owner;
        this.startedAt = now;
        this.heartbeatAt = now;
        this.phase = "starting";
    }

    void succeed(Instant now) {
        moveTo(JobStatus.SUCCEEDED);
        this.finishedAt = now;
        this.phase = "done";
    }

    void fail(String error, Instant now) {
        moveTo(JobStatus.FAILED);
        this.error = truncate(error, 4000);
        this.finishedAt = now;
        this.phase = "failed";
    }

    void cancel(String reason, Instant now) {
        moveTo(JobStatus.CANCELLED);
        this.error = reason;
        this.finishedAt = now;
        this.phase = "cancelled";
    }

    void requestCancel() {
        if (status.isTerminal()) {
            throw new ConflictException("job " + id + " has already ended (" + status + ")");
        }
        this.cancelRequested = true;
    }

    void recordResult(String result) {
        this.result = result;
    }

    void recordLog(String logTail) {
        this.logTail = logTail;
    }

    private void moveTo(JobStatus next) {
        if (!status.canMoveTo(next)) {
            throw new ConflictException("job " + id + " cannot go from " + status + " to " + next);
        }
        this.status = next;
    }

    static String truncate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max - 3) + "...";
    }

    public UUID getId() { return id; }
    public JobType getType() { return type; }
    public JobStatus getStatus() { return status; }
    public String getCluster() { return cluster; }
    public UUID getBackupId() { return backupId; }
    public String getPayload() { return payload; }
    public String getPhase() { return phase; }
    public long getBytesDone() { return bytesDone; }
    public Long getBytesTotal() { return bytesTotal; }
    public Instant getCreatedAt() { return createdAt; }
    public Instant getStartedAt() { return startedAt; }
    public Instant getFinishedAt() { return finishedAt; }
    public Instant getHeartbeatAt() { return heartbeatAt; }
    public String getOwner() { return owner; }
    public boolean isCancelRequested() { return cancelRequested; }
    public String getError() { return error; }
    public String getLogTail() { return logTail; }
    public String getResult() { return result; }
    /** The host whose instance must run the job; null: any. */
    public String getPlacement() { return placement; }
}
