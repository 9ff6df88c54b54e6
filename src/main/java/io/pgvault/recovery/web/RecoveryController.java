package io.pgvault.recovery.web;

import io.pgvault.job.web.Accepted;
import io.pgvault.job.web.JobResponse;
import io.pgvault.recovery.RecoveryService;
import io.pgvault.recovery.RecoverySpec;
import io.pgvault.security.Caller;
import io.pgvault.security.Role;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.ResponseEntity;
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

    @Operation(summary = "Recover the cluster to a point in time", description = """
            target holds exactly one of time (ISO-8601 with offset), lsn, xid, name (a restore point), \
            latest: true or immediate: true. pgvault picks the newest BASE backup that ends before the target \
            (or backupId), refuses when the archive misses a segment the recovery needs (naming it), extracts into \
            dataDirectory (empty or new; replaceExisting: true stops the server there and moves the old directory \
            aside), points restore_command at this server and, unless start is false, starts the server and waits \
            until recovery ends. The job's result has the reached LSN, time and timeline. Answers 202 with the job.""")
    @PostMapping("/api/v1/clusters/{name}/recoveries")
    ResponseEntity<JobResponse> recover(@PathVariable String name, @RequestBody RecoverySpec request) {
        if (request != null && Boolean.TRUE.equals(request.replaceExisting())) {
            Caller.require(Role.ADMIN, "an in-place recovery (replaceExisting)");
        }
        return Accepted.job(recoveries.start(name, request));
    }
}
