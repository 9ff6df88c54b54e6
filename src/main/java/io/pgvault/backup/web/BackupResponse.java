package io.pgvault.backup.web;

import io.pgvault.backup.BackupCopy;
import io.pgvault.backup.BackupFile;
import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupSpec;
import io.pgvault.backup.BackupStatus;
import io.pgvault.backup.BackupView;
import io.pgvault.backup.DumpFormat;
import io.pgvault.backup.RecordedRetention;
import io.pgvault.backup.ServerConfig;
import io.pgvault.backup.VerificationLevel;
import io.pgvault.backup.VerificationStatus;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** A catalog entry as the API shows it. */
record BackupResponse(UUID id, String cluster, BackupKind kind, DumpFormat format, String database,
        BackupStatus status, Long sizeBytes, String sha256, List<FileEntry> files, String serverVersion,
        String toolVersion, Instant queuedAt, Instant startedAt, Instant finishedAt, String startLsn, String stopLsn,
        Integer timeline, String firstWal, String lastWal, Verification verification, String label, boolean pinned,
        String error, UUID jobId, UUID scheduleId, String sizeAnomaly, Double drillSeconds, BackupSpec options,
        List<String> warnings, ServerConfig serverConfig,
        @Schema(description = "the retention policy and time zone of the schedule that took this backup, as they "
                + "were then; retention applies them until the backup is released to the cluster's policy "
                + "(absent: the cluster's policy governs it)") RecordedRetention retention,
        @Schema(description = "the repository (GET /api/v1/repositories) that holds the backup's files")
        String repository,
        @Schema(description = "its copies in other repositories, each with its status (COPIED: every file read back "
                + "there with the catalog's SHA-256)") List<BackupCopy> copies) {

    /** One stored file. */
    record FileEntry(String path, long sizeBytes, String sha256,
            @Schema(description = "in an encrypted repository: the id of the key that encrypted the file")
            String keyId) {
    }

    /** The latest verification. */
    record Verification(VerificationStatus status, VerificationLevel level, Instant verifiedAt, String detail) {
    }

    static BackupResponse of(BackupView b) {
        return new BackupResponse(b.id(), b.cluster(), b.kind(), b.format(), b.database(), b.status(), b.sizeBytes(),
                b.sha256(), b.files().stream().map(BackupResponse::file).toList(), b.serverVersion(), b.toolVersion(),
                b.queuedAt(), b.startedAt(), b.finishedAt(), b.startLsn(), b.stopLsn(), b.timeline(), b.firstWal(),
                b.lastWal(), new Verification(b.verificationStatus(), b.verificationLevel(), b.verifiedAt(),
                        b.verificationDetail()),
                b.label(), b.pinned(), b.error(), b.jobId(), b.scheduleId(), b.sizeAnomaly(), b.drillSeconds(), b.spec(),
                b.warnings().isEmpty() ? null : b.warnings(), b.serverConfig(), b.retention(), b.repository(), b.copies());
    }

    private static FileEntry file(BackupFile f) {
        return new FileEntry(f.path(), f.sizeBytes(), f.sha256(), f.keyId());
    }
}
