package io.pgvault.schedule.web;

import io.pgvault.job.web.Accepted;
import io.pgvault.job.web.JobResponse;
import io.pgvault.schedule.BackupsOfDeletedSchedule;
import io.pgvault.schedule.ScheduleDeletion;
import io.pgvault.schedule.ScheduleService;
import io.pgvault.schedule.ScheduleView;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.util.List;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@Tag(name = "Schedules", description = "Backups on a cron, with retention and verification")
@RestController
@RequestMapping("/api/v1/schedules")
class ScheduleController {

    private final ScheduleService schedules;

    ScheduleController(ScheduleService schedules) {
        this.schedules = schedules;
    }

    @Operation(summary = "List schedules", description = "Optionally of one cluster.")
    @GetMapping
    List<ScheduleView> list(@RequestParam(required = false) String cluster) {
        return schedules.list(cluster);
    }

    @Operation(summary = "Create a schedule", description = "Checks the cron, the time zone and the backup request "
            + "as a backup would (the database must exist); fires once per due time across all pgvault instances.")
    @PostMapping
    ResponseEntity<ScheduleView> create(@RequestBody ScheduleRequest request) {
        ScheduleView view = schedules.create(request.toSpec());
        return ResponseEntity.created(URI.create("/api/v1/schedules/" + view.id())).body(view);
    }

    @Operation(summary = "Show a schedule", description = "With the next and last run and the last run's outcome.")
    @GetMapping("/{id}")
    ScheduleView get(@PathVariable UUID id) {
        return schedules.get(id);
    }

    @Operation(summary = "Replace a schedule's definition")
    @PutMapping("/{id}")
    ScheduleView update(@PathVariable UUID id, @RequestBody ScheduleRequest request) {
        return schedules.update(id, request.toSpec());
    }

    @Operation(summary = "Delete a schedule", description = "Its backups stay in the catalog. backups=keep (the "
            + "default): they keep the retention policy they were taken under; backups=release: the cluster's policy "
            + "decides about them from the next retention run on; backups=expire: they expire now (pinned ones and "
            + "those a job is using stay). The answer says which backups that touched. A schedule already deleted "
            + "can be deleted again with release or expire while its backups remember it.")
    @DeleteMapping("/{id}")
    ScheduleDeletion delete(@PathVariable UUID id,
            @Parameter(description = "keep, release or expire", schema = @Schema(allowableValues = {"keep", "release",
                    "expire"}, defaultValue = "keep")) @RequestParam(required = false) String backups) {
        return schedules.delete(id, BackupsOfDeletedSchedule.of(backups));
    }

    @Operation(summary = "Run a schedule's backup now", description = "The next scheduled time does not move.")
    @PostMapping("/{id}/runs")
    ResponseEntity<JobResponse> run(@PathVariable UUID id) {
        return Accepted.job(schedules.runNow(id));
    }
}
