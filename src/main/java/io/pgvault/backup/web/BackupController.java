package io.pgvault.backup.web;

import io.pgvault.api.PageResponse;
import io.pgvault.api.Paging;
import io.pgvault.backup.BackupCatalog;
import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupLifecycle;
import io.pgvault.backup.BackupService;
import io.pgvault.backup.BackupVerifications;
import io.pgvault.backup.BackupStatus;
import io.pgvault.backup.VerificationStatus;
import io.pgvault.job.web.Accepted;
import io.pgvault.job.web.JobResponse;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@Tag(name = "Backups", description = "Start backups and read the catalog")
@RestController
@RequestMapping("/api/v1")
class BackupController {

    private final BackupService backups;
    private final BackupCatalog catalog;
    private final BackupLifecycle lifecycle;
    private final BackupVerifications verifications;

    BackupController(BackupService backups, BackupCatalog catalog, BackupLifecycle lifecycle,
            BackupVerifications verifications) {
        this.backups = backups;
        this.catalog = catalog;
        this.lifecycle = lifecycle;
        this.verifications = verifications;
    }

    @ApiResponse(responseCode = "202", description = "A BACKUP job, QUEUED; the backup's id is the job's backupId")
    @ApiResponse(responseCode = "400", description = "The request does not fit the kind (no database for DUMP, an "
            + "option of another kind, a compression the tools or server cannot do...)")
    @ApiResponse(responseCode = "409", description = "A BASE backup needs a replication connection the cluster does "
            + "not allow")
    @Operation(operationId = "startBackup", summary = "Start a backup", description = """
            DUMP: pg_dump of one database (format CUSTOM, DIRECTORY, TAR or PLAIN). DUMP_ALL: pg_dumpall of the \
            whole cluster (globalsOnly: roles and tablespaces only). BASE: a physical backup of the whole cluster \
            with pg_basebackup, the base of point-in-time recoveries (with the WAL archive). The backup goes to the \
            cluster's repository, is verified as its schedule or the server's settings say, and is kept until \
            retention expires it. Answers 202 with the job; the backup's id is the job's backupId.""")
    @PreAuthorize("hasRole('OPERATOR')")
    @PostMapping("/clusters/{name}/backups")
    ResponseEntity<JobResponse> start(@PathVariable String name,
            @io.swagger.v3.oas.annotations.parameters.RequestBody(description = "What to back up and how; only kind "
                    + "is always required") @RequestBody BackupRequest request) {
        return Accepted.job(backups.start(name, request.toSpec()));
    }

    @ApiResponse(responseCode = "200", description = "One page of backups, newest first")
    @Operation(operationId = "listBackups", summary = "The backup catalog, newest first", description = "Filter by "
            + "cluster, kind, status and verification status; page from 0, size from 1 to 500.")
    @PreAuthorize("hasRole('VIEWER')")
    @GetMapping("/backups")
    PageResponse<BackupResponse> list(@RequestParam(required = false) String cluster,
            @RequestParam(required = false) BackupKind kind, @RequestParam(required = false) BackupStatus status,
            @RequestParam(required = false) VerificationStatus verification,
            @RequestParam(defaultValue = "0") int page, @RequestParam(defaultValue = "20") int size) {
        return PageResponse.of(catalog.list(cluster, kind, status, verification,
                Paging.newestFirst(page, size, "queuedAt")), BackupResponse::of);
    }

    @ApiResponse(responseCode = "200", description = "The catalog entry")
    @Operation(operationId = "getBackup", summary = "Show a backup: files, sizes, checksums, versions, verification")
    @PreAuthorize("hasRole('VIEWER')")
    @GetMapping("/backups/{id}")
    BackupResponse get(@PathVariable UUID id) {
        return BackupResponse.of(catalog.get(id));
    }

    @ApiResponse(responseCode = "200", description = "The entry, now DELETED (it stays in the catalog)")
    @ApiResponse(responseCode = "409", description = "The backup is pinned, unfinished, in use by a job, or the "
            + "cluster's only BASE backup (without force=true)")
    @Operation(operationId = "deleteBackup",
            summary = "Delete a backup", description = "Removes its files and marks the entry DELETED. "
            + "Refused for pinned backups, unfinished ones, and a cluster's only BASE backup unless force=true.")
    @PreAuthorize("hasRole('ADMIN')")
    @DeleteMapping("/backups/{id}")
    BackupResponse delete(@PathVariable UUID id, @Parameter(description = "also delete the cluster's only BASE "
            + "backup") @RequestParam(defaultValue = "false") boolean force) {
        return BackupResponse.of(lifecycle.delete(id, force));
    }

    @ApiResponse(responseCode = "200", description = "The entry, pinned")
    @Operation(operationId = "pinBackup", summary = "Pin a backup so that nothing deletes it", description = "Neither "
            + "retention nor DELETE removes a pinned backup. Pinning a pinned backup changes nothing.")
    @PreAuthorize("hasRole('OPERATOR')")
    @PutMapping("/backups/{id}/pin")
    BackupResponse pin(@PathVariable UUID id) {
        return BackupResponse.of(lifecycle.pin(id, true));
    }

    @ApiResponse(responseCode = "200", description = "The entry, unpinned")
    @Operation(operationId = "unpinBackup", summary = "Unpin a backup")
    @PreAuthorize("hasRole('OPERATOR')")
    @DeleteMapping("/backups/{id}/pin")
    BackupResponse unpin(@PathVariable UUID id) {
        return BackupResponse.of(lifecycle.pin(id, false));
    }

    @ApiResponse(responseCode = "202", description = "A VERIFICATION job, QUEUED")
    @ApiResponse(responseCode = "400", description = "The level does not fit the backup (a RESTORE drill of a "
            + "DUMP_ALL or data-only dump), or drillCluster is not allowed")
    @ApiResponse(responseCode = "409", description = "Only a SUCCEEDED backup can be verified")
    @Operation(operationId = "verifyBackup", summary = "Verify a backup again", description = "CHECKSUM re-reads "
            + "every file and compares SHA-256; LIST also lists the archive with pg_restore (or checks a PLAIN dump's "
            + "structure, or runs pg_verifybackup on a BASE backup); RESTORE restores it into a scratch database or "
            + "server and runs the cluster's sanity queries (a drill, which measures the RTO).")
    @PreAuthorize("hasRole('OPERATOR')")
    @PostMapping("/backups/{id}/verifications")
    ResponseEntity<JobResponse> verify(@PathVariable UUID id,
            @io.swagger.v3.oas.annotations.parameters.RequestBody(description = "The verification level") @Valid
            @RequestBody VerificationRequest request) {
        return Accepted.job(verifications.verify(id, request.level(), request.drillCluster()));
    }
}
