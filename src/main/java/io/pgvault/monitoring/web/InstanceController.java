package io.pgvault.monitoring.web;

import io.pgvault.cluster.ClusterService;
import io.pgvault.cluster.ClusterView;
import io.pgvault.job.Instances;
import io.pgvault.job.JobService;
import io.pgvault.job.JobView;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

@Tag(name = "Instances")
@RestController
class InstanceController {

    private final Instances instances;
    private final JobService jobs;
    private final ClusterService clusters;

    InstanceController(Instances instances, JobService jobs, ClusterService clusters) {
        this.instances = instances;
        this.jobs = jobs;
        this.clusters = clusters;
    }

    @Schema(description = "A pgvault instance on this catalog", example = """
            {"name": "pgvault-a", "host": "db1.example.com", "version": "0.1.0", "startedAt": "2026-12-01T08:00:00Z",
             "lastHeartbeat": "2026-12-03T02:40:01Z", "alive": true, "self": true,
             "runningJobs": [{"id": "5d0c4a8e-2f4b-4f0e-9a43-0b1c2d3e4f50", "type": "BACKUP", "cluster": "shop"}],
             "placedFor": ["shop"]}""")
    record InstanceResponse(String name,
            @Schema(description = "the host it runs on (pgvault.instance.host)") String host, String version,
            Instant startedAt,
            @Schema(description = "its newest heartbeat (every pgvault.jobs.heartbeat-interval)") Instant lastHeartbeat,
            @Schema(description = "whether that heartbeat is newer than pgvault.jobs.stale-after; the running jobs of "
                    + "an instance that is not alive are failed as interrupted by a living one") boolean alive,
            @Schema(description = "the instance that answered this request") boolean self,
            List<RunningJob> runningJobs,
            @Schema(description = "clusters whose dataHost is this instance's host: their recoveries, BASE restores, "
                    + "BASE drills and extractions run on an instance of this host") List<String> placedFor) {
    }

    @Schema(description = "A job an instance runs")
    record RunningJob(UUID id, String type, String cluster, String phase) {
    }

    @ApiResponse(responseCode = "200", description = "Every instance the catalog knows, alive ones first")
    @Operation(operationId = "listInstances", summary = "The pgvault instances that share this catalog",
            description = "Each with its host, version, last heartbeat, whether it is alive, the jobs it runs and "
                    + "the clusters whose local work is placed on its host. An instance that stops removes itself; "
                    + "one that died stays, not alive, until a week after its last heartbeat.")
    @PreAuthorize("hasRole('VIEWER')")
    @GetMapping("/api/v1/instances")
    List<InstanceResponse> list() {
        Map<String, List<JobView>> running = jobs.runningByInstance();
        List<ClusterView> all = clusters.list();
        return instances.list().stream().map(i -> new InstanceResponse(i.name(), i.host(), i.version(), i.startedAt(),
                i.heartbeatAt(), i.alive(), i.name().equals(instances.name()),
                running.getOrDefault(i.name(), List.of()).stream()
                        .map(j -> new RunningJob(j.id(), j.type().name(), j.cluster(), j.phase())).toList(),
                all.stream().filter(c -> i.host().equals(c.dataHost())).map(ClusterView::name).toList())).toList();
    }
}
