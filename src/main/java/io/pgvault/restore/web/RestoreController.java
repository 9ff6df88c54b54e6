package io.pgvault.restore.web;

import io.pgvault.job.web.Accepted;
import io.pgvault.job.web.JobResponse;
import io.pgvault.restore.RestoreService;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

@Tag(name = "Restores", description = "Restore backups into databases or new data directories")
@RestController
class RestoreController {

    private final RestoreService restores;

    RestoreController(RestoreService restores) {
        this.restores = restores;
    }

    @ApiResponse(responseCode = "202", description = "A RESTORE job (a RECOVERY job for a BASE backup), QUEUED")
    @ApiResponse(responseCode = "400", description = "A field does not fit the backup's kind (dataDirectory for a "
            + "dump, targetDatabase for BASE), schemaOnly with dataOnly, no targetDatabase, a table the backup does "
            + "not hold (with close matches), or jobs with tables")
    @ApiResponse(responseCode = "403", description = "The token's role does not allow this restore: ADMIN restores "
            + "DUMP_ALL backups and into existing databases (without createDatabase, or with overwrite or clean)")
    @ApiResponse(responseCode = "409", description = "The backup is not SUCCEEDED, the target is its own source "
            + "database without overwrite, the database exists with createDatabase, dataDirectory is not empty, or "
            + "the tables need objects (types, domains, functions, schemas) that the target lacks and the backup "
            + "does not hold (each is named)")
    @Operation(operationId = "restoreBackup",
            summary = "Restore a backup", description = "pg_restore (archive formats) or psql (PLAIN, DUMP_ALL) "
            + "into a target cluster and database. Restoring over the backup's own source database needs "
            + "\"overwrite\": true. A BASE backup is extracted into dataDirectory and started on port, consistent "
            + "as of its end (a recovery to immediate). Answers 202 with the job.")
    @PreAuthorize("hasRole('ADMIN') or hasRole('OPERATOR') and @restoreService.toNewTarget(#id, #request?.toSpec())")
    @PostMapping("/api/v1/backups/{id}/restores")
    ResponseEntity<JobResponse> restore(@PathVariable UUID id,
            @io.swagger.v3.oas.annotations.parameters.RequestBody(
                    description = "Where to restore to, and pg_restore's options")
            @RequestBody RestoreRequest request) {
        return Accepted.job(restores.start(id, request.toSpec(), request.toBaseTarget()));
    }
}
