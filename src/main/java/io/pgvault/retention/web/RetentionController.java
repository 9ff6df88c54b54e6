package io.pgvault.retention.web;

import io.pgvault.job.web.Accepted;
import io.pgvault.retention.RetentionPlan;
import io.pgvault.retention.RetentionService;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.ResponseEntity;
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

    @Operation(summary = "Apply retention", description = "With dryRun=true: what would be kept and expired, entry "
            + "by entry with the reasons, and the WAL that would go; nothing changes. Without it: a RETENTION job. "
            + "Expired entries stay in the catalog as EXPIRED, their files gone.")
    @PostMapping
    ResponseEntity<?> apply(@PathVariable String name, @RequestParam(defaultValue = "false") boolean dryRun) {
        if (dryRun) {
            RetentionPlan plan = retention.plan(name);
            return ResponseEntity.ok(plan);
        }
        return Accepted.job(retention.start(name));
    }
}
