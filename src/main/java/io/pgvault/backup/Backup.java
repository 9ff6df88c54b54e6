package io.pgvault.backup;

import io.pgvault.api.ConflictException;
import jakarta.persistence.CollectionTable;
import jakarta.persistence.Column;
import jakarta.persistence.ElementCollection;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.OrderBy;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** One backup in the catalog. It points at stored files only once they are whole and durable. */
@Entity
@Table(name = "backup")
class Backup {

    @Id
    private UUID id;
    private String cluster;
    @Enumerated(EnumType.STRING)
    private BackupKind kind;
    @Enumerated(EnumType.STRING)
    private DumpFormat format;
    @Column(name = "database_name")
    private String database;
    private String options;
    @Enumerated(EnumType.STRING)
    private BackupStatus status;
    private Instant queuedAt;
    private Instant startedAt;
    private Instant finishedAt;
    private String location;
    /** The repository the backup is stored in (pgvault.repositories.<name>). */
    private String repository;
    private Long sizeBytes;
    private String sha256;
    private String serverVersion;
    private String toolVersion;
    private String startLsn;
    private String stopLsn;
    private Integer timeline;
    private String firstWal;
    private String lastWal;
    @Enumerated(EnumType.STRING)
    private VerificationStatus verificationStatus;
    @Enumerated(EnumType.STRING)
    private VerificationLevel verificationLevel;
    private Instant verifiedAt;
    private String verificationDetail;
    private String error;
    private String label;
    private boolean pinned;
    private UUID jobId;
    private UUID scheduleId;
    private Instant scheduledFor;
    private String sizeAnomaly;
    private Double drillSeconds;
    private String serverConfig;
    private String warnings;
    private String retentionPolicy;
    private String retentionTimeZone;
    @Enumerated(EnumType.STRING)
    private BackupType backupType;
    private UUID referenceId;
    private Long dataSizeBytes;
    @ElementCollection(fetch = FetchType.LAZY)
    @CollectionTable(name = "backup_table_rows", joinColumns = @JoinColumn(name = "backup_id"))
    private List<TableRows> tableRows = new ArrayList<>();
    @ElementCollection(fetch = FetchType.EAGER)
    @CollectionTable(name = "backup_file", joinColumns = @JoinColumn(name = "backup_id"))
    @OrderBy("path")
    private List<BackupFile> files = new ArrayList<>();

    protected Backup() {
    }

    Backup(UUID id, String cluster, BackupSpec spec, String options, UUID scheduleId, String repository,
            Instant now) {
        this.id = id;
        this.repository = repository;
        this.scheduleId = scheduleId;
        this.cluster = cluster;
        this.kind = spec.kind();
        this.format = spec.format();
        this.database = spec.database();
        this.options = options;
        this.label = spec.label();
        this.status = BackupStatus.QUEUED;
        this.queuedAt = now;
        this.verificationStatus = VerificationStatus.UNVERIFIED;
    }

    void assignJob(UUID jobId) {
        this.jobId = jobId;
    }

    void start(String serverVersion, String toolVersion, Instant now) {
        moveTo(BackupStatus.RUNNING);
        this.serverVersion = serverVersion;
        this.toolVersion = toolVersion;
        this.startedAt = now;
    }

    void succeed(String location, List<BackupFile> files, String sha256, Instant now) {
        moveTo(BackupStatus.SUCCEEDED);
        this.location = location;
        this.files.clear();
        this.files.addAll(files);
        this.sizeBytes = files.stream().mapToLong(BackupFile::sizeBytes).sum();
        this.sha256 = sha256;
        this.finishedAt = now;
    }

    /**
     * A block-store backup: its type as taken, its reference, what it restores, and what it added to the repository
     * ({@code addedBytes}: its new blocks as stored), which with its manifest is its size.
     */
    void recordBlocks(BackupType type, UUID reference, long dataSize, long addedBytes) {
        this.backupType = type;
        this.referenceId = reference;
        this.dataSizeBytes = dataSize;
        this.sizeBytes = (sizeBytes == null ? 0 : sizeBytes) + addedBytes;
    }

    void recordWal(String startLsn, String stopLsn, Integer timeline, String firstWal, String lastWal) {
        this.startLsn = startLsn;
        this.stopLsn = stopLsn;
        this.timeline = timeline;
        this.firstWal = firstWal;
        this.lastWal = lastWal;
    }

    void fail(String error, Instant now) {
        moveTo(BackupStatus.FAILED);
        this.error = error == null ? null : error.substring(0, Math.min(error.length(), 4000));
        this.finishedAt = now;
    }

    void cancel(String reason, Instant now) {
        moveTo(BackupStatus.CANCELLED);
        this.error = reason;
        this.finishedAt = now;
    }

    void markDeleted(Instant now) {
        if (pinned) {
            throw new ConflictException("backup " + id + " is pinned; unpin it before deleting");
        }
        moveTo(BackupStatus.DELETED);
        this.location = null;
        this.finishedAt = finishedAt == null ? now : finishedAt;
    }

    void expire(String reason) {
        if (pinned) {
            throw new ConflictException("backup " + id + " is pinned; retention never expires it");
        }
        moveTo(BackupStatus.EXPIRED);
        this.location = null;
        this.error = reason;
    }

    void verified(VerificationStatus result, VerificationLevel level, String detail, Instant now) {
        this.verificationStatus = result;
        this.verificationLevel = level;
        this.verificationDetail = detail == null ? null : detail.substring(0, Math.min(detail.length(), 4000));
        this.verifiedAt = now;
    }

    void pin(boolean pinned) {
        this.pinned = pinned;
    }

    private void moveTo(BackupStatus next) {
        if (!status.canMoveTo(next)) {
            throw new ConflictException("backup " + id + " cannot go from " + status + " to " + next);
        }
        this.status = next;
    }

    UUID getId() { return id; }
    String getCluster() { return cluster; }
    BackupKind getKind() { return kind; }
    DumpFormat getFormat() { return format; }
    String getDatabase() { return database; }
    String getOptions() { return options; }
    BackupStatus getStatus() { return status; }
    Instant getQueuedAt() { return queuedAt; }
    Instant getStartedAt() { return startedAt; }
    Instant getFinishedAt() { return finishedAt; }
    String getLocation() { return location; }
    String getRepository() { return repository == null ? "local" : repository; }
    Long getSizeBytes() { return sizeBytes; }
    BackupType getBackupType() { return backupType; }
    UUID getReferenceId() { return referenceId; }
    Long getDataSizeBytes() { return dataSizeBytes; }
    String getSha256() { return sha256; }
    String getServerVersion() { return serverVersion; }
    String getToolVersion() { return toolVersion; }
    String getStartLsn() { return startLsn; }
    String getStopLsn() { return stopLsn; }
    Integer getTimeline() { return timeline; }
    String getFirstWal() { return firstWal; }
    String getLastWal() { return lastWal; }
    VerificationStatus getVerificationStatus() { return verificationStatus; }
    VerificationLevel getVerificationLevel() { return verificationLevel; }
    Instant getVerifiedAt() { return verifiedAt; }
    String getVerificationDetail() { return verificationDetail; }
    String getError() { return error; }
    String getLabel() { return label; }
    boolean isPinned() { return pinned; }
    UUID getJobId() { return jobId; }

    UUID getScheduleId() { return scheduleId; }

    Instant getScheduledFor() { return scheduledFor; }

    /** The due time of the schedule's run that queued it. */
    void scheduledFor(Instant due) {
        this.scheduledFor = due;
    }

    /** The schedule's policy when the backup was taken (JSON), null when the cluster's policy governs it. */
    String getRetentionPolicy() { return retentionPolicy; }

    String getRetentionTimeZone() { return retentionTimeZone; }

    void retainUnder(String policy, String timeZone) {
        this.retentionPolicy = policy;
        this.retentionTimeZone = policy == null ? null : timeZone;
    }

    String getSizeAnomaly() { return sizeAnomaly; }

    Double getDrillSeconds() { return drillSeconds; }

    /** What the backup captured of the server's configuration (JSON) and what it warns about (one per line). */
    void recordServerConfig(String serverConfig, List<String> warnings) {
        this.serverConfig = serverConfig;
        this.warnings = warnings.isEmpty() ? null : String.join("\n", warnings);
    }

    String getServerConfig() { return serverConfig; }

    List<String> getWarnings() { return warnings == null ? List.of() : List.of(warnings.split("\n")); }

    void recordTableRows(List<TableRows> rows) {
        this.tableRows.clear();
        this.tableRows.addAll(rows);
    }

    void drilled(double seconds) {
        this.drillSeconds = seconds;
    }

    void flagSize(String anomaly) {
        this.sizeAnomaly = anomaly;
    }
    List<BackupFile> getFiles() { return files; }
}
