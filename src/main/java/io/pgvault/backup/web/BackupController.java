package io.pgvault.backup.web;

import io.pgvault.api.PageResponse;
import io.pgvault.api.Paging;
import io.pgvault.backup.BackupContent;
import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupService;
import io.pgvault.backup.BackupStatus;
import io.pgvault.backup.VerificationStatus;
import io.pgvault.job.web.Accepted;
import io.pgvault.job.web.JobResponse;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.validation.Valid;
import java.io.IOException;
import java.util.UUID;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
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

    BackupController(BackupService backups) {
        this.backups = backups;
    }

    @Operation(summary = "Start a backup", description = "DUMP (pg_dump of one database), DUMP_ALL (pg_dumpall). "
            + "Answers 202 with the job; the backup's id is the job's backupId.")
    @PostMapping("/clusters/{name}/backups")
    ResponseEntity<JobResponse> start(@PathVariable String name, @RequestBody BackupRequest request) {
        return Accepted.job(backups.start(name, request.toSpec()));
    }

    @Operation(summary = "The backup catalog, newest first")
    @GetMapping("/backups")
    PageResponse<BackupResponse> list(@RequestParam(required = false) String cluster,
            @RequestParam(required = false) BackupKind kind, @RequestParam(required = false) BackupStatus status,
            @RequestParam(required = false) VerificationStatus verification,
            @RequestParam(defaultValue = "0") int page, @RequestParam(defaultValue = "20") int size) {
        return PageResponse.of(backups.list(cluster, kind, status, verification,
                Paging.newestFirst(page, size, "queuedAt")), BackupResponse::of);
    }

    @Operation(summary = "Show a backup: files, sizes, checksums, versions, verification")
    @GetMapping("/backups/{id}")
    BackupResponse get(@PathVariable UUID id) {
        return BackupResponse.of(backups.get(id));
    }

    @Operation(summary = "Download a backup", description = "A single file as is; several files as a tar stream.")
    @GetMapping("/backups/{id}/content")
    void content(@PathVariable UUID id, HttpServletResponse response) throws IOException {
        BackupContent content = backups.content(id);
        response.setHeader(HttpHeaders.CONTENT_DISPOSITION,
                ContentDisposition.attachment().filename(content.fileName()).build().toString());
        response.setContentType(content.isSingleFile() ? MediaType.APPLICATION_OCTET_STREAM_VALUE
                : "application/x-tar");
        if (content.length() >= 0) {
            response.setContentLengthLong(content.length());
        }
        // written on the request's own thread (see WalController#fetch)
        content.writeTo(response.getOutputStream());
    }

    @Operation(summary = "Delete a backup", description = "Removes its files and marks the entry DELETED. "
            + "Refused for pinned backups, unfinished ones, and a cluster's only BASE backup unless force=true.")
    @DeleteMapping("/backups/{id}")
    BackupResponse delete(@PathVariable UUID id, @RequestParam(defaultValue = "false") boolean force) {
        return BackupResponse.of(backups.delete(id, force));
    }

    @Operation(summary = "Pin a backup so that nothing deletes it")
    @PutMapping("/backups/{id}/pin")
    BackupResponse pin(@PathVariable UUID id) {
        return BackupResponse.of(backups.pin(id, true));
    }

    @Operation(summary = "Unpin a backup")
    @DeleteMapping("/backups/{id}/pin")
    BackupResponse unpin(@PathVariable UUID id) {
        return BackupResponse.of(backups.pin(id, false));
    }

    @Operation(summary = "Verify a backup again", description = "CHECKSUM re-reads every file and compares "
            + "SHA-256; LIST also lists the archive with pg_restore (or checks a PLAIN dump's structure).")
    @PostMapping("/backups/{id}/verifications")
    ResponseEntity<JobResponse> verify(@PathVariable UUID id, @Valid @RequestBody VerificationRequest request) {
        return Accepted.job(backups.verify(id, request.level(), request.drillCluster()));
    }
}
