package io.pgvault.copy.web;

import io.pgvault.backup.BackupCatalog;
import io.pgvault.backup.BackupCopy;
import io.pgvault.copy.CopyService;
import io.pgvault.job.web.Accepted;
import io.pgvault.job.web.JobResponse;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
@Tag(name = "Backups", description = "Start backups and read the catalog")
@RequestMapping("/api/v1")
class CopyController {

    private final CopyService copies;
    private final BackupCatalog backups;

    CopyController(CopyService copies, BackupCatalog backups) {
        this.copies = copies;
        this.backups = backups;
    }

    /** Where to copy a backup. */
    @Schema(description = "Where to copy a backup", example = "{\"repository\": \"offsite\"}")
    record CopyRequest(@Schema(example = "offsite", description = "a repository of GET /api/v1/repositories, not "
            + "the one that holds the backup") String repository) {
    }

    @ApiResponse(responseCode = "202", description = "A COPY job, QUEUED")
    @ApiResponse(responseCode = "400", description = "No repository of that name, or it is the one that holds the "
            + "backup")
    @ApiResponse(responseCode = "409", description = "The backup is not SUCCEEDED, or is being copied already")
    @Operation(operationId = "copyBackup",
            summary = "Copy a backup to another repository (3-2-1)", description = "A COPY job: every file, and "
            + "for a BASE backup the archived WAL of its range, is copied and read back with the catalog's SHA-256. "
            + "Restores and recoveries use a COPIED copy when the backup's own files are missing or damaged.")
    @PreAuthorize("hasRole('OPERATOR')")
    @PostMapping("/backups/{id}/copies")
    ResponseEntity<JobResponse> copy(@PathVariable UUID id,
            @io.swagger.v3.oas.annotations.parameters.RequestBody(description = "The repository to copy to")
            @RequestBody CopyRequest request) {
        return Accepted.job(copies.start(id, request == null ? null : request.repository()));
    }

    @ApiResponse(responseCode = "200", description = "The backup's copies, one per repository")
    @Operation(operationId = "listBackupCopies", summary = "List a backup's copies, with their status per repository")
    @PreAuthorize("hasRole('VIEWER')")
    @GetMapping("/backups/{id}/copies")
    List<BackupCopy> list(@PathVariable UUID id) {
        return backups.get(id).copies();
    }
}
