package io.pgvault.monitoring.web;

import io.pgvault.api.NotFoundException;
import io.pgvault.monitoring.ClusterStatus;
import io.pgvault.monitoring.ClusterStatusService;
import io.pgvault.storage.Repositories;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * What is at risk right now, in one answer: the problems health's {@code clusters} component reports, with their
 * kinds, and the repositories that do not work. The status page leads with it, and a script can ask the same
 * question without parsing health's free-form details.
 */
@Tag(name = "Clusters")
@RestController
class StatusController {

    private final ClusterStatusService statuses;
    private final Repositories repositories;
    private final Clock clock;

    StatusController(ClusterStatusService statuses, Repositories repositories, Clock clock) {
        this.statuses = statuses;
        this.repositories = repositories;
        this.clock = clock;
    }

    @ApiResponse(responseCode = "200", description = "Every cluster with its problems (none: protected), and the "
            + "repositories that are DOWN")
    @Operation(operationId = "getStatus", summary = "What is at risk",
            description = "Per registered cluster the problems that put its data at risk, each with its kind: "
                    + "RPO_BREACHED (no successful backup within the cluster's rpo), BACKUP_FAILED (the last backup "
                    + "job failed), VERIFICATION_FAILED (the newest backup failed verification), WAL_ARCHIVE_LAG (no "
                    + "segment archived for longer than pgvault.clusters.wal-lag), WAL_ARCHIVE_FAILING "
                    + "(archive_command fails on the server), WAL_ARCHIVE_GAP (a gap cuts the recovery window "
                    + "short), WAL_COPY_LAG (the WAL copy to walCopyTo falls behind); and every repository that is "
                    + "DOWN, with why. The same judgement as /actuator/health's clusters and repositories components.")
    @PreAuthorize("hasRole('VIEWER')")
    @GetMapping("/api/v1/status")
    StatusResponse status() {
        List<StatusResponse.ClusterRisks> clusters = new ArrayList<>();
        for (String name : statuses.clusterNames()) {
            ClusterStatus status;
            try {
                status = statuses.status(name);
            } catch (NotFoundException e) {
                continue; // removed since it was listed
            }
            clusters.add(new StatusResponse.ClusterRisks(name, !status.healthy(), status.problems().stream()
                    .map(p -> new StatusResponse.Risk(p.kind().name(), p.detail())).toList()));
        }
        List<StatusResponse.RepositoryDown> down = new ArrayList<>();
        repositories.healthOfAll().forEach((name, health) -> {
            if (!health.up()) {
                down.add(new StatusResponse.RepositoryDown(name, health.detail(), health.checkedAt()));
            }
        });
        boolean atRisk = !down.isEmpty() || clusters.stream().anyMatch(StatusResponse.ClusterRisks::atRisk);
        return new StatusResponse(atRisk, clock.instant(), clusters, down);
    }

    /** The answer of {@code GET /api/v1/status}. */
    @Schema(name = "Status", description = "What is at risk right now: each cluster's problems and the repositories "
            + "that are DOWN")
    record StatusResponse(
            @Schema(description = "true when any cluster has a problem or any repository is DOWN") boolean atRisk,
            @Schema(description = "when this was judged") Instant checkedAt,
            @Schema(description = "every registered cluster, by name") List<ClusterRisks> clusters,
            @Schema(description = "the repositories that are not reachable or not writable (none: all UP)")
            List<RepositoryDown> repositoriesDown) {

        /** One cluster's problems. */
        @Schema(name = "ClusterRisks", description = "A cluster and what puts its data at risk (nothing: protected)")
        record ClusterRisks(String cluster,
                @Schema(description = "true when problems is not empty") boolean atRisk,
                List<Risk> problems) {
        }

        /** One problem. */
        @Schema(name = "Risk", description = "One problem: its kind and the sentence that says what is wrong")
        record Risk(
                @Schema(description = "RPO_BREACHED, BACKUP_FAILED, VERIFICATION_FAILED, WAL_ARCHIVE_LAG, "
                        + "WAL_ARCHIVE_FAILING, WAL_ARCHIVE_GAP or WAL_COPY_LAG (more kinds may come)",
                        example = "WAL_ARCHIVE_GAP") String kind,
                @Schema(description = "what is wrong, and where to look") String detail) {
        }

        /** A repository that does not work. */
        @Schema(name = "RepositoryDown", description = "A repository that is not reachable or not writable")
        record RepositoryDown(String repository,
                @Schema(description = "why it is DOWN") String detail,
                @Schema(description = "when it was last probed") Instant checkedAt) {
        }
    }
}
