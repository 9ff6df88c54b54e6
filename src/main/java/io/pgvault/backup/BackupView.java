package io.pgvault.backup;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** A read-only snapshot of a catalog entry, for other features and the web layer. */
public record BackupView(UUID id, String cluster, BackupKind kind, DumpFormat format, String database,
        BackupSpec spec, BackupStatus status, Instant queuedAt, Instant startedAt, Instant finishedAt,
        String location, Long sizeBytes, String sha256, List<BackupFile> files, String serverVersion,
        String toolVersion, String startLsn, String stopLsn, Integer timeline, String firstWal, String lastWal,
        VerificationStatus verificationStatus, VerificationLevel verificationLevel, Instant verifiedAt,
        String verificationDetail, String error, String label, boolean pinned, UUID jobId, UUID scheduleId,
        Instant scheduledFor,
        String sizeAnomaly, Double drillSeconds, ServerConfig serverConfig, List<String> warnings,
        RecordedRetention retention, String repository, List<BackupCopy> copies, BackupType type, UUID reference,
        Long dataSizeBytes) {

    /** The same backup as read from its copy in another repository (at the copy's location there). */
    public BackupView in(BackupCopy copy) {
        return in(copy.repository(), copy.location() == null ? location : copy.location(),
                copy.manifest() == null ? files : List.of(copy.manifest()));
    }

    private BackupView in(String otherRepository, String otherLocation, List<BackupFile> otherFiles) {
        return new BackupView(id, cluster, kind, format, database, spec, status, queuedAt, startedAt, finishedAt,
                otherLocation, sizeBytes, sha256, otherFiles, serverVersion, toolVersion, startLsn, stopLsn, timeline, firstWal,
                lastWal, verificationStatus, verificationLevel, verifiedAt, verificationDetail, error, label, pinned,
                jobId, scheduleId, scheduledFor, sizeAnomaly, drillSeconds, serverConfig, warnings, retention, otherRepository,
                copies, type, reference, dataSizeBytes);
    }

    /** The stored name of a single-file backup's file, of the directory of a DIRECTORY dump, or a BASE backup's base tar. */
    public String mainFile() {
        if (kind == BackupKind.BASE && format == DumpFormat.BLOCKS) {
            return DumpFormat.BLOCKS.fileName(false);
        }
        if (kind == BackupKind.BASE) {
            return "base.tar" + (spec.compressionMethod() == null ? "" : spec.compressionMethod().suffix());
        }
        return kind == BackupKind.DUMP_ALL ? (spec.compressed() ? "dumpall.sql.gz" : "dumpall.sql")
                : format.fileName(spec.compressed());
    }
}
