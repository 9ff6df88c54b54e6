package io.pgvault.copy.web;

import io.pgvault.backup.BackupContent;
import io.pgvault.backup.BackupCatalog;
import io.pgvault.copy.BackupSources;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.UUID;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * A backup's download: read from the first good source among the backup's own repository and its COPIED copies.
 * It lives with the copies (not with the catalog's other backup endpoints) because choosing a source is theirs:
 * the catalog does not depend on copies.
 */
@Tag(name = "Backups")
@RestController
@RequestMapping("/api/v1")
class BackupDownloadController {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(BackupDownloadController.class);

    private final BackupCatalog backups;
    private final BackupSources sources;

    BackupDownloadController(BackupCatalog backups, BackupSources sources) {
        this.backups = backups;
        this.sources = sources;
    }

    @ApiResponse(responseCode = "200", description = "The backup's bytes, decompressed and decrypted as they were "
            + "written by the tool", headers = {@Header(name = "Content-Disposition", description = "attachment; "
                    + "filename=<cluster>-<kind>-<id>-<file> for one file, <cluster>-<kind>-<id>.tar for several",
                    schema = @Schema(type = "string")), @Header(name = "X-Pgvault-Repository", description = "the "
                    + "repository the bytes come from: the backup's own, or one that holds a COPIED copy when its own "
                    + "files are missing or damaged", schema = @Schema(type = "string"))},
            content = {
                    @Content(mediaType = "application/octet-stream", schema = @Schema(type = "string",
                            format = "binary")),
                    @Content(mediaType = "application/x-tar", schema = @Schema(type = "string", format = "binary"))})
    @ApiResponse(responseCode = "409", description = "The backup has no content (not SUCCEEDED), or neither its own "
            + "repository nor any COPIED copy reads back whole (each one's fault is named)")
    @Operation(operationId = "downloadBackup", summary = "Download a backup", description = "A single file as is "
            + "(application/octet-stream); several files (DIRECTORY format, BASE) as a tar stream (application/x-tar); a "
            + "BASE backup in the block store (format BLOCKS) as the tar of its data directory, written from its "
            + "manifest and blocks, which tar -x unpacks into a data directory (pg_wal and backup_manifest inside). "
            + "Read from the first of the backup's own repository and its COPIED copies that reads back whole with "
            + "the catalog's SHA-256 (checked before the first byte is sent); X-Pgvault-Repository names it.")
    @PreAuthorize("hasRole('OPERATOR')")
    @GetMapping("/backups/{id}/content")
    void content(@PathVariable UUID id, HttpServletResponse response) throws IOException {
        BackupContent content = backups.content(id).from(backup -> sources.readable(backup,
                line -> log.warn("Download of backup {}: {}", id, line), io.pgvault.job.Cancellation.none()));
        response.setHeader("X-Pgvault-Repository", content.repository());
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
}
