package io.pgvault.audit.web;

import io.pgvault.api.PageResponse;
import io.pgvault.audit.AuditEntry;
import io.pgvault.audit.AuditTrail;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@Tag(name = "Audit", description = "Who did what to which cluster or backup, when, and how it ended (ADMIN only)")
@RestController
class AuditController {

    private final AuditTrail trail;

    AuditController(AuditTrail trail) {
        this.trail = trail;
    }

    @ApiResponse(responseCode = "200", description = "One page of entries, newest first")
    @Operation(operationId = "listAuditEntries",
            summary = "The audit trail, newest first", description = "Every request that changes something "
            + "(WAL pushes excepted), every backup download and archive-config read, and every refused request. "
            + "Filter by cluster and by actor (a token's name).")
    @PreAuthorize("hasRole('ADMIN')")
    @GetMapping("/api/v1/audit")
    PageResponse<AuditEntry> list(@RequestParam(required = false) String cluster,
            @RequestParam(required = false) String actor, @RequestParam(defaultValue = "0") int page,
            @RequestParam(defaultValue = "50") int size) {
        return trail.list(cluster, actor, page, size);
    }
}
