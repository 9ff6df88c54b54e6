package io.pgvault.backup.web;

import io.pgvault.backup.BackupCopy;
import io.pgvault.backup.BackupFile;
import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupSpec;
import io.pgvault.backup.BackupSpecSchema;
import io.pgvault.backup.BackupStatus;
import io.pgvault.backup.BackupType;
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
@Schema(description = "A backup in the catalog: what was backed up, its files with sizes and SHA-256, the versions "
        + "used, its verification, and where it is stored")
record BackupResponse(UUID id, String cluster, BackupKind kind, DumpFormat format, String database,
        BackupStatus status,
        @Schema(description = "total size of the files in bytes, as the tool wrote them") Long sizeBytes,
        @Schema(description = "SHA-256 (hex) of the single file, or of the sorted file list of a multi-file backup")
        String sha256, List<FileEntry> files,
        @Schema(description = "the server's version when it was taken") String serverVersion,
        @Schema(description = "the version of the tool that took it") String toolVersion, Instant queuedAt,
        Instant startedAt, Instant finishedAt,
        @Schema(description = "BASE only: the WAL location where it starts", example = "0/2000028") String startLsn,
        @Schema(description = "BASE only: the WAL location where it ends (consistent from here)") String stopLsn,
        @Schema(description = "BASE only: the timeline it was taken on") Integer timeline,
        @Schema(description = "BASE only: the first WAL segment it needs") String firstWal,
        @Schema(description = "BASE only: the last WAL segment it needs") String lastWal, Verification verification,
        String label,
        @Schema(description = "a pinned backup is never deleted or expired") boolean pinned,
        @Schema(description = "why it failed") String error,
        @Schema(description = "the job that took it") UUID jobId,
        @Schema(description = "the schedule that took it, if one did") UUID scheduleId,
        @Schema(description = "the due time (by the schedule's cron) of the scheduled run that took it; queuedAt "
                + "says when it was queued. Absent for a backup started by hand, or with a schedule's run-now")
        Instant scheduledFor,
        @Schema(description = "set when its size differs much from the previous backups of the same kind")
        String sizeAnomaly,
        @Schema(description = "seconds the newest restore drill of it took") Double drillSeconds,
        @Schema(description = "the options it was taken with", implementation = BackupSpecSchema.class)
        BackupSpec options,
        @Schema(description = "things to know about it that are no failure") List<String> warnings,
        @Schema(description = "BASE only: where the server kept its configuration, and the files captured")
        ServerConfig serverConfig,
        @Schema(description = "the retention policy and time zone of the schedule that took this backup, as they "
                + "were then; retention applies them until the backup is released to the cluster's policy "
                + "(absent: the cluster's policy governs it)") RecordedRetention retention,
        @Schema(description = "the repository (GET /api/v1/repositories) that holds the backup's files")
        String repository,
        @Schema(description = "its copies in other repositories, each with its status (COPIED: every file read back "
                + "there with the catalog's SHA-256)") List<BackupCopy> copies,
        @Schema(description = "BASE in format BLOCKS: FULL, DIFF or INCR as taken (a FULL when no reference was "
                + "usable)") BackupType type,
        @Schema(description = "BASE in format BLOCKS: the backup this one builds on (DIFF, INCR)") UUID reference,
        @Schema(description = "BASE in format BLOCKS: bytes a restore writes (sizeBytes is what this backup added "
                + "to the repository: its new blocks and its manifest, as stored)") Long dataSizeBytes) {

    /** One stored file. */
    @Schema(name = "BackupFile", description = "One file of a backup: its size and SHA-256 as the tool wrote it "
            + "(what a download or restore gives back), and in an encrypted repository also those of the stored, "
            + "encrypted bytes (what a CHECKSUM verification re-reads without the key)")
    record FileEntry(@Schema(description = "its path relative to the backup") String path,
            @Schema(description = "size in bytes of the file as the tool wrote it (the plaintext)") long sizeBytes,
            @Schema(description = "SHA-256 (hex) of the file as the tool wrote it (the plaintext)") String sha256,
            @Schema(description = "in an encrypted repository: size in bytes of the stored (encrypted) object")
            Long storedSizeBytes,
            @Schema(description = "in an encrypted repository: SHA-256 (hex) of the stored (encrypted) object")
            String storedSha256,
            @Schema(description = "in an encrypted repository: the id of the key that encrypted the file")
            String keyId) {
    }

    /** The latest verification. */
    @Schema(name = "BackupVerification", description = "The backup's latest verification; UNVERIFIED before any")
    record Verification(VerificationStatus status, VerificationLevel level, Instant verifiedAt,
            @Schema(description = "what was checked, or what failed") String detail) {
    }

    static BackupResponse of(BackupView b) {
        return new BackupResponse(b.id(), b.cluster(), b.kind(), b.format(), b.database(), b.status(), b.sizeBytes(),
                b.sha256(), b.files().stream().map(BackupResponse::file).toList(), b.serverVersion(), b.toolVersion(),
                b.queuedAt(), b.startedAt(), b.finishedAt(), b.startLsn(), b.stopLsn(), b.timeline(), b.firstWal(),
                b.lastWal(), new Verification(b.verificationStatus(), b.verificationLevel(), b.verifiedAt(),
                        b.verificationDetail()),
                b.label(), b.pinned(), b.error(), b.jobId(), b.scheduleId(), b.scheduledFor(), b.sizeAnomaly(), b.drillSeconds(), b.spec(),
                b.warnings().isEmpty() ? null : b.warnings(), b.serverConfig(), b.retention(), b.repository(), b.copies(),
                b.type(), b.reference(), b.dataSizeBytes());
    }

    private static FileEntry file(BackupFile f) {
        return new FileEntry(f.path(), f.sizeBytes(), f.sha256(), f.storedSizeBytes(), f.storedSha256(), f.keyId());
    }
}
