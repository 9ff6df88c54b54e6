package io.pgvault.cluster.web;

import io.pgvault.api.InvalidRequestException;
import io.pgvault.api.Representations;
import io.pgvault.cluster.ClusterCheck;
import io.pgvault.cluster.ClusterService;
import io.pgvault.cluster.ClusterSettings;
import io.pgvault.cluster.ClusterView;
import io.pgvault.cluster.WalArchiveMode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import java.net.URI;
import java.util.List;
import java.util.Set;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

@Tag(name = "Clusters", description = "PostgreSQL servers that pgvault protects")
@RestController
@RequestMapping("/api/v1/clusters")
class ClusterController {

    private final ClusterService clusters;
    private final Representations representations;
    private final ClusterCheck check;

    ClusterController(ClusterService clusters, Representations representations, ClusterCheck check) {
        this.clusters = clusters;
        this.representations = representations;
        this.check = check;
    }

    @ApiResponse(responseCode = "201", description = "Registered; Location is the cluster",
            headers = @Header(name = "Location", description = "the new cluster",
                    schema = @Schema(type = "string", format = "uri-reference")))
    @ApiResponse(responseCode = "400", description = "A field is invalid, or pgvault cannot connect to the server or "
            + "finds no client tools of at least its major version")
    @ApiResponse(responseCode = "409", description = "A cluster of that name is already registered")
    @Operation(operationId = "registerCluster",
            summary = "Register a cluster", description = "Connects, reads the server version and picks "
            + "client tools of at least that major version; refuses when it cannot.")
    @io.swagger.v3.oas.annotations.parameters.RequestBody(
            description = "The cluster's name and how to connect; password is write-only")
    @PreAuthorize("hasRole('ADMIN')")
    @PostMapping
    ResponseEntity<ClusterResponse> register(@Valid @RequestBody ClusterRequest request) {
        if (request.name() == null) {
            throw new InvalidRequestException("name", "name is required");
        }
        ClusterView view = clusters.register(request.name(), settings(request));
        return ResponseEntity.created(URI.create("/api/v1/clusters/" + view.name())).body(response(view));
    }

    @ApiResponse(responseCode = "200", description = "Every registered cluster, by name")
    @Operation(operationId = "listClusters", summary = "List clusters")
    @PreAuthorize("hasRole('VIEWER')")
    @GetMapping
    List<ClusterResponse> list() {
        return clusters.list().stream().map(this::response).toList();
    }

    @ApiResponse(responseCode = "200", description = "The cluster")
    @Operation(operationId = "getCluster",
            summary = "Show a cluster", description = "Includes live reachability and the last backup.")
    @PreAuthorize("hasRole('VIEWER')")
    @GetMapping("/{name}")
    ClusterResponse get(@PathVariable String name) {
        return response(clusters.get(name));
    }

    @ApiResponse(responseCode = "200", description = "The cluster as it is now")
    @ApiResponse(responseCode = "400", description = "A field is missing or invalid, the body renames the cluster, or "
            + "pgvault cannot connect with the new settings")
    @Operation(operationId = "replaceCluster", summary = "Replace a cluster's settings", description = "PUT needs the whole representation: "
            + "every field of the registration except name and password, null to clear one; a field left out is "
            + "refused (400 naming it) rather than silently reset. A missing password keeps the stored one; an "
            + "empty one removes it. To change some fields only, use PATCH.")
    @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, description = "The whole registration; "
            + "name may be left out or must be the path's, password is write-only",
            content = @Content(schema = @Schema(implementation = ClusterRequest.class)))
    @PreAuthorize("hasRole('ADMIN')")
    @PutMapping(path = "/{name}", consumes = MediaType.APPLICATION_JSON_VALUE)
    ClusterResponse replace(@PathVariable String name, @RequestBody JsonNode body) {
        ClusterRequest request = representations.complete(body, ClusterRequest.class, "cluster",
                Set.of("name", "password"));
        notRenamed(name, request.name());
        return response(clusters.update(name, settings(request)));
    }

    @ApiResponse(responseCode = "200", description = "The cluster as it is now")
    @ApiResponse(responseCode = "400", description = "The patched registration is invalid, or pgvault cannot connect "
            + "with it; nothing changed")
    @Operation(operationId = "patchCluster", summary = "Change some of a cluster's settings", description = "A JSON Merge Patch (RFC 7396) of "
            + "the registration: only the fields named change, null clears one (a null password removes the "
            + "stored one), objects such as retention merge field by field. The result is checked like a "
            + "registration.")
    @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, description = "The fields to change",
            content = {
            @Content(mediaType = Representations.MERGE_PATCH, schema = @Schema(implementation = ClusterRequest.class),
                    examples = @ExampleObject(name = "rpo", summary = "Set the RPO, keep the rest",
                            value = "{\"rpo\": \"PT6H\"}")),
            @Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
                    schema = @Schema(implementation = ClusterRequest.class))})
    @PreAuthorize("hasRole('ADMIN')")
    @PatchMapping(path = "/{name}", consumes = {Representations.MERGE_PATCH, MediaType.APPLICATION_JSON_VALUE})
    ClusterResponse patch(@PathVariable String name, @RequestBody JsonNode patch) {
        if (patch.has("name") && !patch.get("name").isNull()) {
            notRenamed(name, patch.get("name").asString());
        }
        boolean removePassword = patch.has("password") && patch.get("password").isNull();
        return response(clusters.update(name, current -> {
            ClusterSettings s = settings(representations.patch(ClusterRequest.of(current), patch,
                    ClusterRequest.class));
            return removePassword ? new ClusterSettings(s.host(), s.port(), s.username(), "",
                    s.maintenanceDatabase(), s.sslMode(), s.walArchive(), s.rpo(), s.retention(),
                    s.sanityQueries(), s.timeZone(), s.repository(), s.walCopyTo(), s.dataHost()) : s;
        }));
    }

    private static void notRenamed(String name, String requested) {
        if (requested != null && !requested.equals(name)) {
            throw new InvalidRequestException("name", "a cluster cannot be renamed");
        }
    }

    @ApiResponse(responseCode = "204", description = "Removed")
    @ApiResponse(responseCode = "409", description = "It still has backups, archived WAL, schedules or unfinished "
            + "jobs, or streams its WAL into pgvault")
    @Operation(operationId = "deleteCluster",
            summary = "Remove a cluster", description = "Refused while it has backups or unfinished jobs.")
    @PreAuthorize("hasRole('ADMIN')")
    @DeleteMapping("/{name}")
    ResponseEntity<Void> delete(@PathVariable String name) {
        clusters.delete(name);
        return ResponseEntity.noContent().build();
    }

    @ApiResponse(responseCode = "200", description = "Every check with its verdict; ok is true when all passed (a "
            + "failed check is still a 200)")
    @Operation(operationId = "checkCluster", summary = "Check a cluster", description = """
            Asks the live server, one item per thing that can be wrong: connection, server-version, tools \
            (pg_dump, pg_restore, pg_basebackup versions), wal-level, archive-mode, archive-command (pgvault's push \
            for this cluster or not; archive_library), archiver (pg_stat_archiver: a failure newer than the last \
            success fails), archiving (all archive items), privileges and replication. Each failing item's detail \
            and fix say what to change and whether a reload or a restart applies it.""")
    @PreAuthorize("hasRole('OPERATOR')")
    @PostMapping("/{name}/check")
    CheckResponse check(@PathVariable String name) {
        List<CheckResponse.Item> items = check.run(name).stream()
                .map(c -> new CheckResponse.Item(c.name(), c.ok(), c.detail(), c.setting(), c.value(), c.fix()))
                .toList();
        return new CheckResponse(name, items.stream().allMatch(CheckResponse.Item::ok), items);
    }

    private static ClusterSettings settings(ClusterRequest r) {
        return new ClusterSettings(r.host(), r.port(), r.username(), r.password(),
                r.maintenanceDatabase() == null ? "postgres" : r.maintenanceDatabase(),
                r.sslMode() == null ? "prefer" : r.sslMode(),
                r.walArchive() == null ? WalArchiveMode.NONE : r.walArchive(), r.rpo(), r.retention(),
                r.sanityQueries(), r.timeZone(), r.repository(), r.walCopyTo(),
                r.dataHost() == null || r.dataHost().isBlank() ? null : r.dataHost());
    }

    private ClusterResponse response(ClusterView v) {
        ClusterService.LastBackup last = clusters.lastBackup(v.name());
        ClusterService.MeasuredRto rto = clusters.measuredRto(v.name());
        return new ClusterResponse(v.name(), v.host(), v.port(), v.username(), v.maintenanceDatabase(), v.sslMode(),
                v.walArchive(), v.rpo(), v.passwordSet(), v.serverVersion(), v.toolVersion(), v.toolDirectory(),
                clusters.reachable(v.name()),
                last == null ? null : new ClusterResponse.LastBackup(last.id(), last.kind(), last.finishedAt(),
                        last.sizeBytes()),
                v.createdAt(), v.updatedAt(), v.retention(), v.sanityQueries(), rto == null ? null
                        : new ClusterResponse.MeasuredRto(rto.seconds(), rto.backupId(), rto.drilledAt(), rto.passed()),
                v.walSegmentSize(), v.systemIdentifier() == null ? null : Long.toUnsignedString(v.systemIdentifier()),
                v.timeZone(), v.repository(), v.walCopyTo(), v.dataHost());
    }
}
