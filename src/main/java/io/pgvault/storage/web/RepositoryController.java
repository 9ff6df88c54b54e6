package io.pgvault.storage.web;

import io.pgvault.storage.Repositories;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Instant;
import java.util.List;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

@Tag(name = "Repositories", description = "Where backups and WAL are kept, and whether each place works")
@RestController
@RequestMapping("/api/v1/repositories")
class RepositoryController {

    private final Repositories repositories;

    RepositoryController(Repositories repositories) {
        this.repositories = repositories;
    }

    @ApiResponse(responseCode = "200", description = "Every configured repository with its health")
    @Operation(operationId = "listRepositories",
            summary = "List repositories", description = "Each configured repository (pgvault.repositories) "
            + "with its health: reachable, writable, and free space where the backend knows it, as last probed in "
            + "the background (pgvault.storage.probe.*): the answer never waits on a repository. Never shows a "
            + "credential.")
    @PreAuthorize("hasRole('VIEWER')")
    @GetMapping
    List<RepositoryResponse> list() {
        return repositories.all().stream().map(r -> {
            Repositories.Health h = repositories.health(r);
            return new RepositoryResponse(r.name(), r.type(), r.isDefault(), r.store().describe(), r.compression(),
                    r.encryption(), new RepositoryResponse.HealthResponse(h.status(), h.reachable(),
                            h.writable(), h.freeBytes(), h.detail(), h.checkedAt()));
        }).toList();
    }

    /** A repository as the API shows it. */
    @Schema(name = "Repository", description = "A configured repository (pgvault.repositories.<name>) and its health; "
            + "never a credential")
    record RepositoryResponse(String name, @Schema(description = "local or s3") String type,
            @Schema(description = "whether clusters without a repository of their own use it")
            boolean defaultRepository,
            @Schema(description = "a directory or an s3:// bucket and prefix") String location,
            @Schema(description = "the codec new files are compressed with: zstd (default), lz4 or none")
            String compression,
            @Schema(description = "how new files are encrypted: none or aes-256-gcm") String encryption,
            HealthResponse health) {

        /** Whether the repository works, as last probed. */
        @Schema(name = "RepositoryHealth", description = "Whether the repository works, as last probed in the "
                + "background (every pgvault.storage.probe.interval, each probe bounded by pgvault.storage.probe.timeout)")
        record HealthResponse(
                @Schema(description = "UP, DOWN, or UNKNOWN while the first probe has not answered") String status,
                boolean reachable,
                boolean writable,
                @Schema(description = "free bytes, where the backend knows it") Long freeBytes,
                @Schema(description = "why it is DOWN (with the setting to fix where one is at fault)") String detail,
                @Schema(description = "when it was last probed (null: not yet)")
                Instant checkedAt) {
        }
    }
}
