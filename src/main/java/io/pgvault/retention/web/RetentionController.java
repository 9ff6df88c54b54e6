package io.pgvault.retention.web;

import io.pgvault.job.web.Accepted;
import io.pgvault.job.web.JobResponse;
import io.pgvault.retention.RetentionPlan;
import io.pgvault.retention.RetentionService;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@Tag(name = "Retention", description = "What a cluster keeps, and the expiry of the rest")
@RestController
@RequestMapping("/api/v1/clusters/{name}/retention")
class RetentionController {

    private final RetentionService retention;

    RetentionController(RetentionService retention) {
        this.retention = retention;
    }

    @ApiResponse(responseCode = "200", description = "dryRun=true: the plan, nothing changed", content = @Content(
            mediaType = "application/json", schema = @Schema(implementation = RetentionPlan.class)))
    @ApiResponse(responseCode = "202", description = "A RETENTION job, QUEUED", content = @Content(
            mediaType = "application/json", schema = @Schema(implementation = JobResponse.class)))
    @Operation(operationId = "applyRetention",
            summary = "Apply retention", description = "With dryRun=true: what would be kept and expired, entry "
            + "by entry with the reasons, and the WAL that would go; nothing changes. Without it: a RETENTION job. "
            + "Expired entries stay in the catalog as EXPIRED, their files gone.")
    @PreAuthorize("hasRole('ADMIN')")
    @PostMapping
    ResponseEntity<?> apply(@PathVariable String name, @Parameter(description = "true: only show what would be "
            + "kept and expired") @RequestParam(defaultValue = "false") boolean dryRun) {
        if (dryRun) {
            RetentionPlan plan = retention.plan(name);
            return ResponseEntity.ok(plan);
        }
        return Accepted.job(retention.start(name));
    }
}
