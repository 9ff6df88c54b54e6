package io.pgvault.wal.web;

import io.pgvault.api.ConflictException;
import io.pgvault.api.NotFoundException;
import io.pgvault.cluster.ClusterService;
import io.pgvault.security.CopyTokenCheck;
import io.pgvault.job.web.Accepted;
import io.pgvault.job.web.JobResponse;
import io.pgvault.wal.ArchiveSummary;
import io.pgvault.wal.WalArchiveService;
import io.pgvault.wal.WalCommands;
import io.pgvault.wal.WalStreamer;
import io.pgvault.wal.WalVerifications;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;

@Tag(name = "Wal archive", description = "archive_command and restore_command endpoints, and the archive's state")
@RestController
@RequestMapping("/api/v1/clusters/{name}")
class WalController {

    private final WalArchiveService wal;
    private final ClusterService clusters;
    private final WalVerifications verifications;
    private final WalStreamer streamer;
    private final CopyTokenCheck copyTokens;
    private final java.net.URI publicUrl;

    WalController(WalArchiveService wal, ClusterService clusters, WalVerifications verifications,
            WalStreamer streamer, CopyTokenCheck copyTokens, io.pgvault.PgvaultProperties properties) {
        this.copyTokens = copyTokens;
        this.publicUrl = properties.api() == null ? null : properties.api().publicUrl();
        this.wal = wal;
        this.clusters = clusters;
        this.verifications = verifications;
        this.streamer = streamer;
    }

    @ApiResponse(responseCode = "200", description = "The same content was archived already; nothing changed")
    @ApiResponse(responseCode = "201", description = "Stored and durable")
    @ApiResponse(responseCode = "400", description = "The file name is not a WAL file name")
    @ApiResponse(responseCode = "409", description = "Different content is archived under that name (kept), or the "
            + "segment belongs to another cluster (xlp_sysid)")
    @ApiResponse(responseCode = "413", description = "The body is larger than the file may be (refused on its "
            + "Content-Length before it is read)")
    @ApiResponse(responseCode = "422", description = "The content is not what its name says (size, page header, "
            + "history or backup label)")
    @ApiResponse(responseCode = "503", description = "Retention removed the file while this push recorded it, or a "
            + "catalog lock was not granted: nothing is archived; push again after Retry-After seconds")
    @Operation(operationId = "pushWalFile",
            summary = "Archive a WAL file (archive_command)", description = "Accepts segments, .partial, "
            + ".history and .backup files by their PostgreSQL names. Answers only once the file is durable: 201 "
            + "when stored, 200 when the same content was already archived, 409 when different content was. "
            + "The content is checked and nothing of a refused file is kept: a segment (or .partial) is exactly "
            + "the cluster's wal_segment_size and starts with a long page header that fits its name (xlp_tli, "
            + "xlp_pageaddr) and its cluster (xlp_seg_size; xlp_sysid, else 409); a .history file lists earlier "
            + "timelines and switch points; a .backup file starts with START WAL LOCATION in its own segment. "
            + "422 names what is wrong; 413 for a body larger than the file may be (the segment size, 1 MiB for "
            + "history files, 64 KiB for backup files), refused on its Content-Length before it is read. 503 with "
            + "Retry-After when retention removed the file (WAL before the oldest BASE backup kept) between storing "
            + "and recording this push: nothing is archived, and pushing it again stores it anew.")
    @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, description = "The file's bytes as "
            + "PostgreSQL wrote them (any Content-Type)", content = @Content(mediaType = "application/octet-stream",
                    schema = @Schema(type = "string", format = "binary")))
    @PreAuthorize("hasAnyAuthority('WAL_ARCHIVE', 'ROLE_ADMIN')")
    @PutMapping(value = "/wal/{file}", consumes = MediaType.ALL_VALUE)
    ResponseEntity<WalArchiveService.Pushed> push(@PathVariable String name, @Parameter(description = "a WAL file "
            + "name: a segment, .partial, .history or .backup file", example = "000000010000000000000003")
            @PathVariable String file,
            HttpServletRequest request) throws IOException {
        try (InputStream body = request.getInputStream()) {
            WalArchiveService.Pushed pushed = wal.push(name, file, request.getContentLengthLong(), body);
            return ResponseEntity.status(pushed.created() ? HttpStatus.CREATED : HttpStatus.OK).body(pushed);
        }
    }

    @ApiResponse(responseCode = "200", description = "The file's bytes", content = @Content(
            mediaType = "application/octet-stream", schema = @Schema(type = "string", format = "binary")))
    @ApiResponse(responseCode = "404", description = "The file is not archived (restore_command's normal end of "
            + "WAL)")
    @ApiResponse(responseCode = "409", description = "A recovery's file that was archived when it was planned is gone: "
            + "the recovery must stop rather than end early")
    @Operation(operationId = "fetchWalFile",
            summary = "Fetch a WAL file (restore_command)", description = "The bytes as they were pushed, "
            + "decompressed while they stream out whatever the file is stored with. 404 when it is not archived.")
    @PreAuthorize("hasAnyAuthority('WAL_ARCHIVE', 'WAL_FETCH', 'ROLE_OPERATOR')")
    @GetMapping(value = "/wal/{file}", produces = MediaType.APPLICATION_OCTET_STREAM_VALUE)
    void fetch(@PathVariable String name, @Parameter(description = "a WAL file name", example =
            "000000010000000000000003") @PathVariable String file, HttpServletRequest request,
            HttpServletResponse response) throws IOException {
        // written on the request's own thread: an asynchronous answer raced the filters' header writing under
        // load and could reach the client with its chunk framing in the body
        if (request.getAttribute(CopyTokenCheck.ATTRIBUTE) instanceof CopyTokenCheck.CopyCredential copy
                && !copyTokens.allows(copy.id(), file)) {
            // the same answer whether it is archived or not: for this copy it is not there (restore_command
            // takes anything but 404 as fatal, and PostgreSQL probes for the next timeline's history file)
            throw new NotFoundException("WAL file " + file + " is outside the WAL that recovery job " + copy.jobId()
                    + " reads");
        }
        InputStream found;
        try {
            found = wal.fetch(name, file);
        } catch (NotFoundException e) {
            if (request.getAttribute(CopyTokenCheck.ATTRIBUTE) instanceof CopyTokenCheck.CopyCredential copy
                    && copyTokens.promised(copy.id(), file)) {
                // restore_command takes anything but 404 as fatal: the recovery stops instead of promoting early
                throw new ConflictException("WAL file " + file + " was in the archive when recovery job "
                        + copy.jobId() + " was planned and is gone now; the recovery cannot go on without it");
            }
            throw e;
        }
        try (InputStream in = found) {
            response.setContentType(MediaType.APPLICATION_OCTET_STREAM_VALUE);
            in.transferTo(response.getOutputStream());
        }
    }

    @ApiResponse(responseCode = "202", description = "A VERIFICATION job (without backupId), QUEUED")
    @Operation(operationId = "verifyWalArchive",
            summary = "Verify the archive", description = "A VERIFICATION job (without backupId) re-reads every "
            + "archived file, decompressed, and compares it with the original's size and SHA-256 recorded at push time; a changed, truncated or vanished "
            + "file fails the job and is named in its error and log. Answers 202 with the job.")
    @PreAuthorize("hasRole('OPERATOR')")
    @PostMapping("/wal/verifications")
    ResponseEntity<JobResponse> verify(@PathVariable String name) {
        return Accepted.job(verifications.start(name));
    }

    @ApiResponse(responseCode = "200", description = "The archive's state")
    @Operation(operationId = "getWalArchive", summary = "The archive: per timeline first and last segment, gaps, time "
            + "since the last file")
    @PreAuthorize("hasRole('VIEWER')")
    @GetMapping("/wal")
    ArchiveSummary summary(@PathVariable String name) {
        return wal.summary(name).withStreaming(streamer.status(clusters.get(name)));
    }

    @ApiResponse(responseCode = "200", description = "The settings, the commands and the archive token")
    @Operation(operationId = "getArchiveConfig", summary = "The postgresql.conf lines that archive this cluster's WAL "
            + "into pgvault", description = """
            The archive_mode, archive_command and wal_level lines for this server, and the restore_command for \
            recoveries. Their URLs start with pgvault.api.public-url when it is set, else with the address this \
            request was sent to: ask at the address the database host reaches pgvault at. Both commands send the cluster's archive token (it may push and fetch this cluster's WAL, \
            nothing else) from headerFile, a file to create owner-only (0600, owned by the server's OS user) in \
            the server's data directory with exactly headerFileContent.""")
    @PreAuthorize("hasRole('ADMIN')")
    @GetMapping("/archive-config")
    ArchiveConfig archiveConfig(@PathVariable String name) {
        return config(name, clusters.archiveToken(name));
    }

    @ApiResponse(responseCode = "200", description = "The settings with the new token")
    @Operation(operationId = "rotateArchiveToken",
            summary = "Replace the cluster's archive token", description = "The old token stops working at "
            + "once: write the new headerFileContent into the data directory's header file right after.")
    @PreAuthorize("hasRole('ADMIN')")
    @PostMapping("/archive-token")
    ArchiveConfig rotateArchiveToken(@PathVariable String name) {
        return config(name, clusters.rotateArchiveToken(name));
    }

    private ArchiveConfig config(String name, String token) {
        String base = walUrl(publicUrl, name);
        String archive = WalCommands.archiveCommand(base);
        String restore = WalCommands.restoreCommand(base);
        return new ArchiveConfig("replica", "on", archive, restore, token, WalCommands.HEADER_FILE,
                WalCommands.header(token), List.of(
                        "wal_level = replica",
                        "archive_mode = on",
                        "archive_command = '" + archive.replace("'", "''") + "'",
                        "# for recoveries: restore_command = '" + restore.replace("'", "''") + "'"));
    }

    /**
     * The URL of the cluster's WAL endpoint in archive_command and restore_command. The database host runs them, so
     * it is the address that host reaches pgvault at: {@code pgvault.api.public-url} (a proxy's or load
     * balancer's) when set, else the address the current request came in by.
     */
    static String walUrl(java.net.URI publicUrl, String name) {
        var builder = publicUrl != null ? org.springframework.web.util.UriComponentsBuilder.fromUri(publicUrl)
                : ServletUriComponentsBuilder.fromCurrentContextPath();
        return builder.path("/api/v1/clusters/{name}/wal/").buildAndExpand(name).toUriString();
    }

    /** Settings for postgresql.conf, and the header file (in the data directory) that both commands read. */
    @Schema(description = "Settings for postgresql.conf, and the header file (in the data directory) that both "
            + "commands read; archiveToken may push and fetch this cluster's WAL and nothing else")
    record ArchiveConfig(String walLevel, String archiveMode, String archiveCommand, String restoreCommand,
            String archiveToken,
            @Schema(description = "the header file's name, in the server's data directory (0600, owned by the "
                    + "server's OS user)") String headerFile,
            @Schema(description = "exactly what the header file must hold") String headerFileContent,
            @Schema(description = "the lines to add to postgresql.conf") List<String> lines) {
    }
}
