package io.pgvault.job;

import jakarta.persistence.EntityManager;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/** The engine's transactional steps: start, progress, finish and sweep, each in its own transaction. */
@Component
class JobLifecycle {

    private static final Logger log = LoggerFactory.getLogger(JobLifecycle.class);

    enum StartOutcome { STARTED, BUSY, GONE }

    private final JobRepository jobs;
    private final JobHandlers handlers;
    private final EntityManager entityManager;
    private final ApplicationEventPublisher events;
    private final Clock clock;

    JobLifecycle(JobRepository jobs, JobHandlers handlers, EntityManager entityManager,
            ApplicationEventPublisher events, Clock clock) {
        this.jobs = jobs;
        this.handlers = handlers;
        this.entityManager = entityManager;
        this.events = events;
        this.clock = clock;
    }

    @Transactional
    StartOutcome tryStart(UUID id, String owner, int perClusterLimit) {
        Optional<Job> found = jobs.lockById(id);
        if (found.isEmpty() || found.get().getStatus() != JobStatus.QUEUED) {
            return StartOutcome.GONE;
        }
        Job job = found.get();
        if (perClusterLimit > 0) {
            // The cluster row is the lock that serialises starts across pgvault instances.
            entityManager.createNativeQuery("select name from cluster where name = ?1 for update")
                    .setParameter(1, job.getCluster()).getResultList();
            if (jobs.countRunning(job.getCluster(), job.getType()) >= perClusterLimit) {
                return StartOutcome.BUSY;
            }
        }
        job.start(owner, clock.instant());
        return StartOutcome.STARTED;
    }

    @Transactional(readOnly = true)
    Optional<Job> find(UUID id) {
        return jobs.findById(id);
    }

    @Transactional
    void recordProgress(JobContext context) {
        jobs.recordProgress(context.jobId(), context.currentPhase(), context.currentBytesDone(),
                context.currentBytesTotal(), context.logText(), clock.instant());
    }

    @Transactional(readOnly = true)
    boolean isCancelRequested(UUID id) {
        return jobs.isCancelRequested(id);
    }

    @Transactional
    void finish(JobContext context, JobStatus outcome, String error) {
        recordProgress(context);
        Job job = jobs.lockById(context.jobId()).orElseThrow();
        if (job.getStatus() != JobStatus.RUNNING) {
            log.warn("Job {} ended as {} but the catalog already says {}", job.getId(), outcome, job.getStatus());
            return;
        }
        switch (outcome) {
            case SUCCEEDED -> job.succeed(clock.instant());
            case CANCELLED -> job.cancel(error, clock.instant());
            default -> job.fail(error, clock.instant());
        }
        job.recordLog(context.logText());
        job.recordResult(context.result());
        publish(job);
    }

    /** Fails jobs whose runner is gone (server killed) and lets their handler remove what they left. */
    @Transactional
    int failInterrupted(List<Job> candidates) {
        int count = 0;
        for (Job candidate : candidates) {
            Job job = jobs.lockById(candidate.getId()).orElse(null);
            if (job == null || job.getStatus() != JobStatus.RUNNING) {
                continue;
            }
            job.fail(Job.INTERRUPTED, clock.instant());
            handlers.abandon(job, Job.INTERRUPTED);
            publish(job);
            log.warn("Job {} ({}) was running when its server stopped: marked FAILED ({})",
                    job.getId(), job.getType(), Job.INTERRUPTED);
            count++;
        }
        return count;
    }

    @Transactional(readOnly = true)
    List<Job> runningOwnedBy(String owner) {
        return jobs.findByStatusAndOwner(JobStatus.RUNNING, owner);
    }

    /** The queued jobs placed on this host, oldest first. */
    @Transactional(readOnly = true)
    List<Job> queuedPlacedOn(String host) {
        return jobs.findByStatusAndPlacementOrderByCreatedAt(JobStatus.QUEUED, host);
    }

    @Transactional(readOnly = true)
    List<Job> queuedPlacedBefore(java.time.Instant before) {
        return jobs.findByStatusAndPlacementIsNotNullAndCreatedAtBefore(JobStatus.QUEUED, before);
    }

    /** Fails a queued job that no instance can take (its host has none alive). */
    @Transactional
    void failUnplaceable(java.util.UUID id, String reason) {
        Job job = jobs.lockById(id).orElse(null);
        if (job == null || job.getStatus() != JobStatus.QUEUED) {
            return;
        }
        job.fail(reason, clock.instant());
        handlers.abandon(job, reason);
        publish(job);
        log.warn("Job {} ({}) failed before it started: {}", job.getId(), job.getType(), reason);
    }

    List<Job> runningWithHeartbeatBefore(java.time.Instant before) {
        return jobs.findByStatusAndHeartbeatAtBefore(JobStatus.RUNNING, before);
    }

    void publish(Job job) {
        events.publishEvent(new JobFinished(job.getId(), job.getType(), job.getStatus(), job.getCluster(),
                job.getBackupId()));
    }
}
