package io.pgvault.job.web;

import io.pgvault.job.JobView;
import java.net.URI;
import org.springframework.http.ResponseEntity;

/** The answer to a request that started long work: 202, the job, and where to watch it. */
public final class Accepted {

    private Accepted() {
    }

    public static ResponseEntity<JobResponse> job(JobView job) {
        return ResponseEntity.accepted().location(URI.create("/api/v1/jobs/" + job.id())).body(JobResponse.of(job));
    }
}
