package io.pgvault.schedule.web;

import io.pgvault.api.Representations;
import io.pgvault.job.web.Accepted;
import io.pgvault.job.web.JobResponse;
import io.pgvault.schedule.BackupsOfDeletedSchedule;
import io.pgvault.schedule.ScheduleDeletion;
import io.pgvault.schedule.ScheduleService;
import io.pgvault.schedule.ScheduleView;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.util.List;
import java.util.Set;
import java.util.UUID;
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
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

@Tag(name = "Schedules", description = "Backups on a cron, with retention and verification")
@RestController
@RequestMapping("/api/v1/schedules")
class ScheduleController {

    private final ScheduleService schedules;
    private final Representations representations;

    ScheduleController(ScheduleService schedules, Representations representations) {
        this.schedules = schedules;
        this.representations = representations;
    }

    @ApiResponse(responseCode = "200", description = "The schedules")
    @Operation(operationId = "listSchedules", summary = "List schedules", description = "Optionally of one cluster.")
    @PreAuthorize("hasRole('VIEWER')")
    @GetMapping
    List<ScheduleView> list(@RequestParam(required = false) String cluster) {
        return schedules.list(cluster);
    }

    @ApiResponse(responseCode = "201", description = "Created; Location is the schedule",
            headers = @Header(name = "Location", description = "the new schedule",
                    schema = @Schema(type = "string", format = "uri-reference")))
    @ApiResponse(responseCode = "400", description = "The cron, time zone, cluster, backup request, retention or "
            + "verification policy is invalid")
    @Operation(operationId = "createSchedule",
            summary = "Create a schedule", description = "Checks the cron, the time zone and the backup request "
            + "as a backup would (the database must exist); fires once per due time across all pgvault instances.")
    @io.swagger.v3.oas.annotations.parameters.RequestBody(
            description = "The schedule: cron, time zone, backup request, retention, verification")
    @PreAuthorize("hasRole('ADMIN')")
    @PostMapping
    ResponseEntity<ScheduleView> create(@RequestBody ScheduleRequest request) {
        ScheduleView view = schedules.create(request.toSpec());
        return ResponseEntity.created(URI.create("/api/v1/schedules/" + view.id())).body(view);
    }

    @ApiResponse(responseCode = "200", description = "The schedule")
    @Operation(operationId = "getSchedule",
            summary = "Show a schedule", description = "With the next and last run and the last run's outcome.")
    @PreAuthorize("hasRole('VIEWER')")
    @GetMapping("/{id}")
    ScheduleView get(@PathVariable UUID id) {
        return schedules.get(id);
    }

    @ApiResponse(responseCode = "200", description = "The schedule as it is now")
    @ApiResponse(responseCode = "400", description = "A field is missing or invalid, or the body moves the schedule to "
            + "another cluster")
    @Operation(operationId = "replaceSchedule", summary = "Replace a schedule's definition", description = "PUT needs the whole definition: every "
            + "field, null to clear one; a field left out is refused (400 naming it) rather than silently reset. "
            + "To change some fields only, use PATCH.")
    @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, description = "The whole new "
            + "definition", content = @Content(schema = @Schema(implementation = ScheduleRequest.class)))
    @PreAuthorize("hasRole('ADMIN')")
    @PutMapping(path = "/{id}", consumes = MediaType.APPLICATION_JSON_VALUE)
    ScheduleView replace(@PathVariable UUID id, @RequestBody JsonNode body) {
        return schedules.update(id, representations.complete(body, ScheduleRequest.class, "schedule", Set.of())
                .toSpec());
    }

    @ApiResponse(responseCode = "200", description = "The schedule as it is now")
    @ApiResponse(responseCode = "400", description = "The patched definition is invalid; nothing changed")
    @Operation(operationId = "patchSchedule", summary = "Change some of a schedule's definition", description = "A JSON Merge Patch (RFC 7396) "
            + "of the definition: only the fields named change, null clears one, objects (backup, retention, "
            + "verification) merge field by field; lists such as copyTo are replaced whole.")
    @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, description = "The fields to change",
            content = {
            @Content(mediaType = Representations.MERGE_PATCH, schema = @Schema(implementation = ScheduleRequest.class),
                    examples = @ExampleObject(name = "disable", summary = "Pause a schedule",
                            value = "{\"enabled\": false}")),
            @Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
                    schema = @Schema(implementation = ScheduleRequest.class))})
    @PreAuthorize("hasRole('ADMIN')")
    @PatchMapping(path = "/{id}", consumes = {Representations.MERGE_PATCH, MediaType.APPLICATION_JSON_VALUE})
    ScheduleView patch(@PathVariable UUID id, @RequestBody JsonNode patch) {
        return schedules.update(id, current -> representations.patch(ScheduleRequest.of(current), patch,
                ScheduleRequest.class).toSpec());
    }

    @ApiResponse(responseCode = "200", description = "What the deletion did to the schedule and its backups")
    @Operation(operationId = "deleteSchedule",
            summary = "Delete a schedule", description = "Its backups stay in the catalog. backups=keep (the "
            + "default): they keep the retention policy they were taken under; backups=release: the cluster's policy "
            + "decides about them from the next retention run on; backups=expire: they expire now (pinned ones and "
            + "those a job is using stay). The answer says which backups that touched. A schedule already deleted "
            + "can be deleted again with release or expire while its backups remember it.")
    @PreAuthorize("hasRole('ADMIN')")
    @DeleteMapping("/{id}")
    ScheduleDeletion delete(@PathVariable UUID id,
            @Parameter(description = "keep, release or expire", schema = @Schema(allowableValues = {"keep", "release",
                    "expire"}, defaultValue = "keep")) @RequestParam(required = false) String backups) {
        return schedules.delete(id, BackupsOfDeletedSchedule.of(backups));
    }

    @ApiResponse(responseCode = "202", description = "A BACKUP job, QUEUED")
    @ApiResponse(responseCode = "400", description = "The schedule's backup is refused as a backup request would "
            + "be (the database was dropped, an option no longer fits the server)")
    @ApiResponse(responseCode = "409", description = "A BASE backup needs a replication connection the cluster does "
            + "not allow")
    @Operation(operationId = "runSchedule",
            summary = "Run a schedule's backup now", description = "The next scheduled time does not move.")
    @PreAuthorize("hasRole('OPERATOR')")
    @PostMapping("/{id}/runs")
    ResponseEntity<JobResponse> run(@PathVariable UUID id) {
        return Accepted.job(schedules.runNow(id));
    }
}
