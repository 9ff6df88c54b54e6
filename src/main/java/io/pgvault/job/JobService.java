package io.pgvault.job;

import io.pgvault.api.ConflictException;
import io.pgvault.api.NotFoundException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.domain.Specification;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/** Submits, finds and cancels jobs. The only entry point other features use. */
@Service
public class JobService {

    private final JobRepository jobs;
    private final JobEngine engine;
    private final JobHandlers handlers;
    private final JobLifecycle lifecycle;
    private final JobWaiters waiters;
    private final Clock clock;

    private final Instances instances;

    JobService(JobRepository jobs, JobEngine engine, JobHandlers handlers, JobLifecycle lifecycle, JobWaiters waiters,
            Clock clock, Instances instances) {
        this.instances = instances;
        this.jobs = jobs;
        this.waiters = waiters;
        this.engine = engine;
        this.handlers = handlers;
        this.lifecycle = lifecycle;
        this.clock = clock;
    }

    /** Queues a job in the caller's transaction; it becomes runnable when that transaction commits. */
    @Transactional
    public JobView submit(JobType type, String cluster, UUID backupId, String payload) {
        return submit(type, cluster, backupId, payload, null);
    }

    /**
     * As above, placed on {@code host} (null: any instance): only an instance of that host runs it. Refused when
     * none is alive there.
     */
    @Transactional
    public JobView submit(JobType type, String cluster, UUID backupId, String payload, String host) {
        instances.requireAliveOn(host, "this " + type + " job");
        Job job = jobs.save(new Job(type, cluster, backupId, payload, host, clock.instant()));
        engine.enqueue(job.getId());
        afterCommit(engine::poke);
        return JobView.of(job);
    }

    /** The running jobs, by the instance that runs them. */
    @Transactional(readOnly = true)
    public java.util.Map<String, List<JobView>> runningByInstance() {
        java.util.Map<String, List<JobView>> byOwner = new java.util.TreeMap<>();
        for (Job job : jobs.findByStatusAndOwnerIn(JobStatus.RUNNING,
                instances.list().stream().map(Instances.Instance::name).toList())) {
            byOwner.computeIfAbsent(job.getOwner(), o -> new java.util.ArrayList<>()).add(JobView.of(job));
        }
        return byOwner;
    }

    @Transactional(readOnly = true)
    public JobView get(UUID id) {
        return JobView.of(find(id));
    }

    /**
     * The job once it has ended, or as it is after {@code timeout}, without holding the caller's thread
     * meanwhile (see {@link JobWaiters}); cancelling the future gives up the wait. Refused with
     * {@link io.pgvault.api.BusyException} when too many requests wait already.
     */
    public CompletableFuture<JobView> await(UUID id, Duration timeout) {
        return waiters.await(id, timeout);
    }

    /** How many requests wait for a job's end right now. */
    public int waiting() {
        return waiters.waiting();
    }

    /**
     * Sets, or moves, a persisted timer that fires once across all instances; false when it could not because
     * the timer is firing right now (see {@link TimerListener}).
     */
    public boolean setTimer(String kind, String id, Instant at) {
        return engine.setTimer(kind, id, at);
    }

    /** Sets a timer unless it exists already (it keeps its time). */
    public void ensureTimer(String kind, String id, Instant at) {
        engine.ensureTimer(kind, id, at);
    }

    /** Removes a timer; false when it could not because the timer is firing right now. */
    public boolean cancelTimer(String kind, String id) {
        return engine.cancelTimer(kind, id);
    }

    /** Whether a queued or running job works on this backup. */
    @Transactional(readOnly = true)
    public boolean hasActive(UUID backupId) {
        return jobs.existsByBackupIdAndStatusIn(backupId, List.of(JobStatus.QUEUED, JobStatus.RUNNING));
    }

    /** Whether a queued or running job of this type works on this backup (on any instance). */
    @Transactional(readOnly = true)
    public boolean hasActive(UUID backupId, JobType type) {
        return jobs.existsByBackupIdAndTypeAndStatusIn(backupId, type, List.of(JobStatus.QUEUED, JobStatus.RUNNING));
    }

    /** The backups that the cluster's queued or running jobs of one type work on. */
    @Transactional(readOnly = true)
    public List<UUID> activeBackupIds(String cluster, JobType type) {
        return jobs.backupIdsOf(cluster, type, List.of(JobStatus.QUEUED, JobStatus.RUNNING));
    }

    /** Jobs waiting for a worker (the queue depth). */
    @Transactional(readOnly = true)
    public long queued() {
        return jobs.countByStatus(JobStatus.QUEUED);
    }

    /** The newest job of a type on a cluster that ended SUCCEEDED or FAILED (cancelled ones say nothing). */
    @Transactional(readOnly = true)
    public Optional<JobView> lastFinished(String cluster, JobType type) {
        return jobs.findFirstByClusterAndTypeAndStatusInOrderByCreatedAtDesc(cluster, type,
                List.of(JobStatus.SUCCEEDED, JobStatus.FAILED)).map(JobView::of);
    }

    @Transactional(readOnly = true)
    public String log(UUID id) {
        String log = find(id).getLogTail();
        return log == null ? "" : log;
    }

    @Transactional(readOnly = true)
    public Page<JobView> list(String cluster, JobType type, JobStatus status, Pageable page) {
        Specification<Job> spec = (root, query, cb) -> cb.and(
                cluster == null ? cb.conjunction() : cb.equal(root.get("cluster"), cluster),
                type == null ? cb.conjunction() : cb.equal(root.get("type"), type),
                status == null ? cb.conjunction() : cb.equal(root.get("status"), status));
        return jobs.findAll(spec, page).map(JobView::of);
    }

    /** A queued job is cancelled at once; a running one is told to stop and ends as CANCELLED. */
    @Transactional
    public JobView cancel(UUID id) {
        Job job = jobs.lockById(id).orElseThrow(() -> notFound(id));
        if (job.getStatus().isTerminal()) {
            throw new ConflictException("job " + id + " has already ended (" + job.getStatus() + ")");
        }
        if (job.getStatus() == JobStatus.QUEUED) {
            String reason = "cancelled before it started";
            job.cancel(reason, clock.instant());
            handlers.abandon(job, reason);
            lifecycle.publish(job);
        } else {
            job.requestCancel();
            afterCommit(() -> engine.cancelLocal(id));
        }
        return JobView.of(job);
    }

    private Job find(UUID id) {
        return jobs.findById(id).orElseThrow(() -> notFound(id));
    }

    private static NotFoundException notFound(UUID id) {
        return new NotFoundException("no job with id " + id);
    }

    private static void afterCommit(Runnable action) {
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    action.run();
                }
            });
        } else {
            action.run();
        }
    }
}
