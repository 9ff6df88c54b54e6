package io.pgvault.storage.web;

import io.pgvault.storage.Repositories;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Instant;
import java.util.List;
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

    @Operation(summary = "List repositories", description = "Each configured repository (pgvault.repositories) "
            + "with its health: reachable, writable, and free space where the backend knows it (probed at most "
            + "every 15 s). Never shows a credential.")
    @GetMapping
    List<RepositoryResponse> list() {
        return repositories.all().stream().map(r -> {
            Repositories.Health h = repositories.health(r);
            return new RepositoryResponse(r.name(), r.type(), r.isDefault(), r.store().describe(), r.compression(),
                    r.encryption(), new RepositoryResponse.HealthResponse(h.up() ? "UP" : "DOWN", h.reachable(),
                            h.writable(), h.freeBytes(), h.detail(), h.checkedAt()));
        }).toList();
    }

    /** A repository as the API shows it. */
    record RepositoryResponse(String name, String type, boolean defaultRepository, String location, String compression,
            String encryption, HealthResponse health) {

        record HealthResponse(String status, boolean reachable, boolean writable, Long freeBytes, String detail,
                Instant checkedAt) {
        }
    }
}
