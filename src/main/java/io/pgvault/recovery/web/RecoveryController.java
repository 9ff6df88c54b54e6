package io.pgvault.recovery.web;

import io.pgvault.job.web.Accepted;
import io.pgvault.job.web.JobResponse;
import io.pgvault.recovery.RecoveryService;
import io.pgvault.recovery.RecoverySpec;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

@Tag(name = "Recoveries", description = "Point-in-time recovery from a base backup and the WAL archive")
@RestController
class RecoveryController {

    private final RecoveryService recoveries;

    RecoveryController(RecoveryService recoveries) {
        this.recoveries = recoveries;
    }

    @ApiResponse(responseCode = "202", description = "A RECOVERY job, QUEUED; its result will hold the reached LSN, "
            + "time and timeline")
    @ApiResponse(responseCode = "400", description = "The target does not hold exactly one well-formed target, is in "
            + "the future or before the chosen backup's end, or dataDirectory, port, timeline or backupId is not "
            + "allowed")
    @ApiResponse(responseCode = "403", description = "The token's role does not allow recoveries, or "
            + "replaceExisting without ADMIN")
    @ApiResponse(responseCode = "409", description = "No usable BASE backup, a WAL segment the recovery needs is "
            + "missing, dataDirectory is not empty, or the port is in use")
    @Operation(operationId = "recoverCluster", summary = "Recover the cluster to a point in time", description = """
            target holds exactly one of time (ISO-8601 with offset), lsn, xid, name (a restore point), \
            latest: true or immediate: true. pgvault picks the newest BASE backup that ends before the target \
            (or backupId), refuses when the archive misses a segment the recovery needs (naming it), extracts into \
            dataDirectory (empty or new; replaceExisting: true stops the server there and moves the old directory \
            aside), points restore_command at this server and, unless start is false, starts the server and waits \
            until recovery ends. The job's result has the reached LSN, time and timeline. Answers 202 with the job.""")
    @PreAuthorize("hasRole('ADMIN') or hasRole('OPERATOR') and #request?.replaceExisting() != true")
    @PostMapping("/api/v1/clusters/{name}/recoveries")
    ResponseEntity<JobResponse> recover(@PathVariable String name,
            @io.swagger.v3.oas.annotations.parameters.RequestBody(description = "Where to stop (exactly one target) "
                    + "and where the recovered server goes", content = @Content(mediaType = "application/json",
                    schema = @Schema(implementation = RecoverySpec.class), examples = {
                    @ExampleObject(name = "time", summary = "To a point in time",
                            description = "time: ISO-8601 with a UTC offset, in the past",
                            value = RecoveryExamples.TIME),
                    @ExampleObject(name = "lsn", summary = "To a WAL location, stopping just before it",
                            description = "lsn, with inclusive: false",
                            value = RecoveryExamples.LSN),
                    @ExampleObject(name = "xid", summary = "To a transaction, then pause",
                            description = "xid, with action: pause (check, then promote by hand)",
                            value = RecoveryExamples.XID),
                    @ExampleObject(name = "name", summary = "To a restore point",
                            description = "name: made before with pg_create_restore_point()",
                            value = RecoveryExamples.NAME),
                    @ExampleObject(name = "latest", summary = "Replay everything archived",
                            description = "latest: true, then promote (action must be left out)",
                            value = RecoveryExamples.LATEST),
                    @ExampleObject(name = "immediate", summary = "The base backup, consistent, not started",
                            description = "immediate: true, with start: false (only the data directory is written)",
                            value = RecoveryExamples.IMMEDIATE)}))
            @RequestBody RecoverySpec request) {
        return Accepted.job(recoveries.start(name, request));
    }
}
