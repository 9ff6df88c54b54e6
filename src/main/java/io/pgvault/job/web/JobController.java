package io.pgvault.job.web;

import io.pgvault.api.PageResponse;
import io.pgvault.api.Paging;
import io.pgvault.job.JobService;
import io.pgvault.job.JobStatus;
import io.pgvault.job.JobType;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.pgvault.api.InvalidRequestException;
import java.time.Duration;
import java.util.UUID;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@Tag(name = "Jobs", description = "Asynchronous work: backups, restores, verifications")
@RestController
@RequestMapping("/api/v1/jobs")
class JobController {

    private final JobService jobs;

    JobController(JobService jobs) {
        this.jobs = jobs;
    }

    @Operation(summary = "List jobs, newest first")
    @GetMapping
    PageResponse<JobResponse> list(@RequestParam(required = false) String cluster,
            @RequestParam(required = false) JobType type, @RequestParam(required = false) JobStatus status,
            @RequestParam(defaultValue = "0") int page, @RequestParam(defaultValue = "20") int size) {
        return PageResponse.of(jobs.list(cluster, type, status, Paging.newestFirst(page, size, "createdAt")),
                JobResponse::of);
    }

    @Operation(summary = "Show a job: state, phase, bytes written, times, error",
            description = "With waitSeconds (1-600) the answer comes when the job has ended, or after that "
                    + "many seconds with the job as it is then: a script can wait without polling.")
    @GetMapping("/{id}")
    JobResponse get(@PathVariable UUID id, @RequestParam(defaultValue = "0") int waitSeconds)
            throws InterruptedException {
        if (waitSeconds < 0 || waitSeconds > 600) {
            throw new InvalidRequestException("waitSeconds", "waitSeconds must be from 0 to 600");
        }
        return JobResponse.of(waitSeconds == 0 ? jobs.get(id) : jobs.await(id, Duration.ofSeconds(waitSeconds)));
    }

    @Operation(summary = "The job's log: the tools' stderr, newest 64 KiB")
    @GetMapping(value = "/{id}/log", produces = MediaType.TEXT_PLAIN_VALUE)
    String log(@PathVariable UUID id) {
        return jobs.log(id);
    }

    @Operation(summary = "Cancel a job", description = "A queued job is cancelled at once; a running one has its "
            + "tool's process tree ended, its partial files removed, and ends CANCELLED.")
    @PostMapping("/{id}/cancel")
    JobResponse cancel(@PathVariable UUID id) {
        return JobResponse.of(jobs.cancel(id));
    }
}
