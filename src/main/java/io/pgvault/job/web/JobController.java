package io.pgvault.job.web;

import io.pgvault.api.InvalidRequestException;
import io.pgvault.api.PageResponse;
import io.pgvault.api.Paging;
import io.pgvault.job.JobService;
import io.pgvault.job.JobStatus;
import io.pgvault.job.JobType;
import io.pgvault.job.JobView;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.springframework.http.MediaType;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;

@Tag(name = "Jobs", description = "Asynchronous work: backups, restores, verifications")
@RestController
@RequestMapping("/api/v1/jobs")
class JobController {

    private static final int SAFETY_SECONDS = 30;

    private final JobService jobs;

    JobController(JobService jobs) {
        this.jobs = jobs;
    }

    @ApiResponse(responseCode = "200", description = "One page of jobs, newest first")
    @Operation(operationId = "listJobs", summary = "List jobs, newest first", description = "Filter by cluster, type "
            + "and status; page from 0, size from 1 to 500.")
    @PreAuthorize("hasRole('VIEWER')")
    @GetMapping
    PageResponse<JobResponse> list(@RequestParam(required = false) String cluster,
            @RequestParam(required = false) JobType type, @RequestParam(required = false) JobStatus status,
            @RequestParam(defaultValue = "0") int page, @RequestParam(defaultValue = "20") int size) {
        return PageResponse.of(jobs.list(cluster, type, status, Paging.newestFirst(page, size, "createdAt")),
                JobResponse::of);
    }

    @ApiResponse(responseCode = "200", description = "The job, ended or as it is when waitSeconds ran out")
    @ApiResponse(responseCode = "503", description = "pgvault.jobs.max-waiters requests wait already, or the server "
            + "is stopping; ask again after Retry-After seconds")
    @Operation(operationId = "getJob", summary = "Show a job: state, phase, bytes written, times, error",
            description = "With waitSeconds (1-600) the answer comes when the job has ended, or after that "
                    + "many seconds with the job as it is then: a script can wait without polling. A waiting "
                    + "request holds no server thread; when pgvault.jobs.max-waiters requests wait already, "
                    + "the answer is 503 with Retry-After.")
    @PreAuthorize("hasRole('VIEWER')")
    @GetMapping("/{id}")
    DeferredResult<JobResponse> get(@PathVariable UUID id, @Parameter(description = "seconds to wait for the job "
            + "to end, 0 (default: answer at once) to 600") @RequestParam(defaultValue = "0") int waitSeconds) {
        if (waitSeconds < 0 || waitSeconds > 600) {
            throw new InvalidRequestException("waitSeconds", "waitSeconds must be from 0 to 600");
        }
        // the container's own timeout is only a safety net: the wait answers at its deadline itself
        DeferredResult<JobResponse> answer = new DeferredResult<>(
                TimeUnit.SECONDS.toMillis(waitSeconds + SAFETY_SECONDS));
        if (waitSeconds == 0) {
            answer.setResult(JobResponse.of(jobs.get(id)));
            return answer;
        }
        CompletableFuture<JobView> job = jobs.await(id, Duration.ofSeconds(waitSeconds));
        job.whenComplete((view, failure) -> {
            if (failure == null) {
                answer.setResult(JobResponse.of(view));
            } else {
                answer.setErrorResult(failure);
            }
        });
        // answered, timed out or broken off: the wait gives up its place either way
        answer.onCompletion(() -> job.cancel(false));
        return answer;
    }

    @ApiResponse(responseCode = "200", description = "The log as plain text (empty when the tools wrote nothing)")
    @Operation(operationId = "getJobLog", summary = "The job's log: the tools' stderr, newest 64 KiB")
    @PreAuthorize("hasRole('VIEWER')")
    @GetMapping(value = "/{id}/log", produces = MediaType.TEXT_PLAIN_VALUE)
    String log(@PathVariable UUID id) {
        return jobs.log(id);
    }

    @ApiResponse(responseCode = "200", description = "The job after the cancel request (a running one ends CANCELLED "
            + "once its process tree has ended)")
    @ApiResponse(responseCode = "409", description = "The job has already ended")
    @Operation(operationId = "cancelJob",
            summary = "Cancel a job", description = "A queued job is cancelled at once; a running one has its "
            + "tool's process tree ended, its partial files removed, and ends CANCELLED.")
    @PreAuthorize("hasRole('OPERATOR')")
    @PostMapping("/{id}/cancel")
    JobResponse cancel(@PathVariable UUID id) {
        return JobResponse.of(jobs.cancel(id));
    }
}
