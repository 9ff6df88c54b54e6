package io.pgvault.job;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.SchedulerName;
import com.github.kagkarlsson.scheduler.exceptions.ExecutionException;
import com.github.kagkarlsson.scheduler.exceptions.TaskInstanceCurrentlyExecutingException;
import com.github.kagkarlsson.scheduler.exceptions.TaskInstanceNotFoundException;
import com.github.kagkarlsson.scheduler.serializer.Serializer;
import com.github.kagkarlsson.scheduler.task.CompletionHandler;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.TaskInstanceId;
import com.github.kagkarlsson.scheduler.task.helper.CustomTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import io.pgvault.PgvaultProperties;
import jakarta.annotation.PreDestroy;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;
import org.springframework.stereotype.Component;

/**
 * Runs jobs on db-scheduler: executions are rows in the catalog, so queued jobs survive restarts and
 * several pgvault instances on one catalog never run the same job twice.
 */
@Component
class JobEngine {

    static final String TASK = "pgvault-job";
    static final String TIMER_TASK = "pgvault-timer";
    private static final Duration TIMER_RETRY = Duration.ofMinutes(1);
    private static final int TIMER_THREADS = 2;
    private static final Duration BUSY_RETRY = Duration.ofSeconds(2);
    private static final Duration SLOT_RETRY = Duration.ofMillis(500);
    private static final Duration PLACED_RETRY = Duration.ofMillis(300);
    private static final Logger log = LoggerFactory.getLogger(JobEngine.class);

    private final JobLifecycle lifecycle;
    private final JobHandlers handlers;
    private final PgvaultProperties.Jobs settings;
    private final Clock clock;
    private final String instanceName;
    private final CustomTask<String> jobTask;
    private final CustomTask<String> timerTask;
    private final ObjectProvider<TimerListener> timerListeners;
    private final Scheduler scheduler;
    private final Map<UUID, Running> running = new ConcurrentHashMap<>();
    private final Semaphore jobSlots;
    /** Runs the jobs placed on this host that the heartbeat takes (see {@link #takePlaced}). */
    private final java.util.concurrent.ExecutorService placedRunner =
            Executors.newCachedThreadPool(DaemonThreads.named("pgvault-placed-job"));
    private final ScheduledExecutorService heartbeat =
            Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("pgvault-job-heartbeat"));
    /** Its own thread: a sweep waiting on the catalog must not hold up this instance's heartbeat. */
    private final ScheduledExecutorService sweeper =
            Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("pgvault-job-sweeper"));
    /** A dead instance's running jobs fail within stale-after and one sweep interval (a quarter of it). */
    private final Duration sweep;

    private record Running(JobContext context, Instant startedAt) {
    }

    private final Instances instances;

    JobEngine(DataSource dataSource, JobLifecycle lifecycle, JobHandlers handlers, PgvaultProperties properties,
            Clock clock, ObjectProvider<TimerListener> timerListeners, Instances instances) {
        this.instances = instances;
        this.timerListeners = timerListeners;
        this.lifecycle = lifecycle;
        this.handlers = handlers;
        this.settings = properties.jobs();
        this.clock = clock;
        this.instanceName = instances.name();
        this.jobSlots = new Semaphore(settings.maxConcurrent());
        this.jobTask = Tasks.custom(TASK, String.class).execute((instance, ctx) -> execute(instance));
        this.timerTask = Tasks.custom(TIMER_TASK, String.class)
                .execute((instance, ctx) -> fireTimer(instance.getData(), ctx.getExecution().getExecutionTime()));
        // every instance sweeps on a timer of its own, not as one db-scheduler recurring task: a recurring task
        // held by the instance that died moves only after db-scheduler's 10 missed heartbeats, which more than
        // doubled the time to fail a dead instance's jobs. The sweep locks each job, so concurrent sweeps are safe.
        this.sweep = settings.staleAfter().dividedBy(4).compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1)
                : settings.staleAfter().dividedBy(4);
        this.scheduler = Scheduler.create(new TransactionAwareDataSourceProxy(dataSource), jobTask, timerTask)
                // timers (schedules, webhook retries, alerts) get threads of their own: jobs may run for hours
                .threads(settings.maxConcurrent() + TIMER_THREADS)
                .pollingInterval(settings.pollInterval())
                .heartbeatInterval(settings.heartbeatInterval())
                .missedHeartbeatsLimit(10)
                .schedulerName(new SchedulerName.Fixed(instanceName))
                .serializer(new StringSerializer())
                .alwaysPersistTimestampInUTC()
                .enableImmediateExecution()
                .shutdownMaxWait(Duration.ofSeconds(10))
                .build();
    }

    @EventListener(ApplicationReadyEvent.class)
    void start() {
        instances.register();
        int failed = lifecycle.failInterrupted(lifecycle.runningOwnedBy(instanceName));
        if (failed > 0) {
            log.warn("{} job(s) of instance {} were interrupted by the last shutdown", failed, instanceName);
        }
        long period = settings.heartbeatInterval().toMillis();
        heartbeat.scheduleWithFixedDelay(DaemonThreads.repeating("The job heartbeat", this::beat),
                period, period, TimeUnit.MILLISECONDS);
        sweeper.scheduleWithFixedDelay(DaemonThreads.repeating("The stale-job sweep", this::sweepStale),
                sweep.toMillis(), sweep.toMillis(), TimeUnit.MILLISECONDS);
        scheduler.start();
        log.info("Job engine started as instance '{}' with {} worker(s)", instanceName, settings.maxConcurrent());
    }

    @PreDestroy
    void stop() {
        running.values().forEach(r -> r.context().cancellation().cancel(CancelCause.SHUTDOWN,
                "pgvault is shutting down"));
        heartbeat.shutdownNow();
        sweeper.shutdownNow();
        placedRunner.shutdownNow();
        scheduler.stop();
        instances.deregister();
    }

    void enqueue(UUID jobId) {
        scheduler.schedule(jobTask.instance(jobId.toString(), jobId.toString()), clock.instant());
    }

    void poke() {
        scheduler.triggerCheckForDueExecutions();
    }

    /**
     * Sets, or moves, the timer of {@code kind} and {@code id} to {@code at}; false when it could not, because it
     * is firing right now (or began to, or ended and was removed, between our read and our write). A firing timer
     * is set, when the firing ends, to the time its listener returned; a caller whose change the listener may
     * not have read sets the timer again after that (see {@link TimerListener}).
     */
    boolean setTimer(String kind, String id, Instant at) {
        String key = kind + ":" + id;
        try {
            return scheduler.schedule(timerTask.instance(key, key), at,
                    SchedulerClient.ScheduleOptions.WHEN_EXISTS_RESCHEDULE);
        } catch (TaskInstanceCurrentlyExecutingException | TaskInstanceNotFoundException | ExecutionException e) {
            // ExecutionException: picked between db-scheduler's read and its versioned update (no SQL error)
            return false;
        }
    }

    /** Sets a timer unless it exists already (it keeps its time). */
    void ensureTimer(String kind, String id, Instant at) {
        String key = kind + ":" + id;
        scheduler.scheduleIfNotExists(timerTask.instance(key, key), at);
    }

    /**
     * Removes a timer, if there is one; false when it is firing right now, and so fires again if its listener
     * returns a time.
     */
    boolean cancelTimer(String kind, String id) {
        try {
            scheduler.cancel(TaskInstanceId.of(TIMER_TASK, kind + ":" + id));
            return true;
        } catch (TaskInstanceNotFoundException e) {
            return true;
        } catch (TaskInstanceCurrentlyExecutingException e) {
            return false;
        }
    }

    private CompletionHandler<String> fireTimer(String key, Instant due) {
        int colon = key.indexOf(':');
        String kind = key.substring(0, Math.max(colon, 0));
        TimerListener listener = timerListeners.stream().filter(l -> l.kind().equals(kind)).findFirst().orElse(null);
        if (listener == null) {
            log.warn("No listener for timer {}; removing it", key);
            return new CompletionHandler.OnCompleteRemove<>();
        }
        Instant next;
        try {
            next = listener.fire(key.substring(colon + 1), due);
        } catch (RuntimeException e) {
            log.warn("Timer {} failed, trying again in {}: {}", key, TIMER_RETRY, e.toString());
            next = clock.instant().plus(TIMER_RETRY);
        }
        if (next == null) {
            return new CompletionHandler.OnCompleteRemove<>();
        }
        Instant at = next;
        return (complete, operations) -> operations.reschedule(complete, at);
    }

    /** Cancels a job if it runs here; other instances see the catalog flag on their next heartbeat. */
    void cancelLocal(UUID jobId) {
        Running r = running.get(jobId);
        if (r != null) {
            r.context().cancellation().cancel(CancelCause.USER, "cancelled on request");
        }
    }

    private CompletionHandler<String> execute(TaskInstance<String> instance) {
        UUID id = UUID.fromString(instance.getData());
        Job job = lifecycle.find(id).orElse(null);
        if (job == null) {
            return new CompletionHandler.OnCompleteRemove<>();
        }
        if (job.getPlacement() != null && !job.getPlacement().equals(instances.host())
                && job.getStatus() == JobStatus.QUEUED) {
            // placed on another host: an instance there takes it (db-scheduler offers it to every instance)
            return (complete, operations) -> operations.reschedule(complete, clock.instant().plus(PLACED_RETRY));
        }
        JobHandler<?> handler = handlers.get(job.getType());
        int limit = handler.limitedPerCluster() ? settings.maxBackupsPerCluster() : 0;
        if (!jobSlots.tryAcquire()) {
            return (complete, operations) -> operations.reschedule(complete, clock.instant().plus(SLOT_RETRY));
        }
        try {
            switch (lifecycle.tryStart(id, instanceName, limit)) {
                case BUSY:
                    return (complete, operations) -> operations.reschedule(complete, clock.instant().plus(BUSY_RETRY));
                case STARTED:
                    run(lifecycle.find(id).orElseThrow(), handler);
                    return new CompletionHandler.OnCompleteRemove<>();
                default:
                    return new CompletionHandler.OnCompleteRemove<>();
            }
        } finally {
            jobSlots.release();
        }
    }

    private void run(Job job, JobHandler<?> handler) {
        JobContext context = new JobContext(job, settings.logLimitBytes());
        running.put(job.getId(), new Running(context, clock.instant()));
        JobStatus outcome = JobStatus.SUCCEEDED;
        String error = null;
        try {
            handlers.run(handler, context);
            context.cancellation().throwIfCancelled();
        } catch (JobCancelledException e) {
            String reason = context.cancellation().reason();
            CancelCause cause = context.cancellation().cause();
            outcome = cause != null ? cause.outcome() : JobStatus.CANCELLED;
            error = reason != null ? reason : e.getMessage();
        } catch (Exception e) {
            outcome = JobStatus.FAILED;
            error = describe(e, context);
            log.warn("Job {} ({}) failed: {}", job.getId(), job.getType(), error);
        }
        if (outcome != JobStatus.SUCCEEDED) {
            context.log("pgvault: job " + outcome.name().toLowerCase() + ": " + error);
        }
        try {
            finishDurably(context, outcome, error);
        } finally {
            running.remove(job.getId());
        }
    }

    /**
     * Records the job's end; while the catalog is unreachable, tries again (doubling waits up to 30 s, for
     * about 15 minutes) instead of losing the outcome. The job stays in {@link #running} meanwhile, so that no
     * stale-heartbeat sweep calls it interrupted; if the catalog never returns, a later sweep does.
     */
    private void finishDurably(JobContext context, JobStatus outcome, String error) {
        Duration wait = Duration.ofSeconds(1);
        long deadline = System.nanoTime() + Duration.ofMinutes(15).toNanos();
        while (true) {
            try {
                lifecycle.finish(context, outcome, error);
                return;
            } catch (org.springframework.dao.DataAccessException
                    | org.springframework.transaction.TransactionException e) {
                if (System.nanoTime() > deadline) {
                    log.error("Could not record the end of job {} ({}): the catalog stayed unreachable: {}",
                            context.jobId(), outcome, e.getMessage());
                    return;
                }
                log.warn("Cannot record the end of job {} ({}) yet, the catalog is unreachable; again in {} s: {}",
                        context.jobId(), outcome, wait.toSeconds(), e.getMessage());
                try {
                    Thread.sleep(wait.toMillis());
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
                wait = wait.multipliedBy(2).compareTo(Duration.ofSeconds(30)) > 0 ? Duration.ofSeconds(30)
                        : wait.multipliedBy(2);
            }
        }
    }

    private static String describe(Exception e, JobContext context) {
        String reason = context.cancellation().reason();
        if (reason != null) {
            return reason;
        }
        String message = FailureCause.describe(e);
        if (e instanceof java.nio.file.FileSystemException && message.contains("No space left")) {
            return "no space left on the backup storage: " + message;
        }
        return message;
    }

    private void beat() {
        Instant now = clock.instant();
        try {
            instances.heartbeat();
            takePlaced();
        } catch (RuntimeException e) {
            log.warn("Heartbeat of instance {} failed: {}", instanceName, e.toString());
        }
        running.forEach((id, r) -> {
            try {
                lifecycle.recordProgress(r.context());
                if (lifecycle.isCancelRequested(id)) {
                    r.context().cancellation().cancel(CancelCause.USER, "cancelled on request");
                }
                if (Duration.between(r.startedAt(), now).compareTo(settings.timeout()) > 0) {
                    r.context().cancellation().cancel(CancelCause.TIMEOUT,
                            "timed out after " + settings.timeout() + " (pgvault.jobs.timeout)");
                }
            } catch (RuntimeException e) {
                log.warn("Heartbeat of job {} failed: {}", id, e.toString());
            }
        });
    }

    /**
     * Starts the queued jobs placed on this instance's host. db-scheduler offers a job to whichever instance polls
     * first, and an instance of another host only puts it back, which under load can starve the right one; so the
     * right one also takes them itself, with every heartbeat. Starting is atomic in the catalog (a job starts
     * once); the scheduler's own execution of a job started here ends as soon as it finds it no longer queued.
     */
    private void takePlaced() {
        for (Job job : lifecycle.queuedPlacedOn(instances.host())) {
            if (running.containsKey(job.getId()) || !jobSlots.tryAcquire()) {
                return;
            }
            JobHandler<?> handler = handlers.get(job.getType());
            int limit = handler.limitedPerCluster() ? settings.maxBackupsPerCluster() : 0;
            try {
                placedRunner.execute(() -> {
                    try {
                        if (lifecycle.tryStart(job.getId(), instanceName, limit) == JobLifecycle.StartOutcome.STARTED) {
                            run(lifecycle.find(job.getId()).orElseThrow(), handler);
                        }
                    } catch (RuntimeException e) {
                        log.warn("Placed job {} could not start here: {}", job.getId(), e.toString());
                    } finally {
                        jobSlots.release();
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                jobSlots.release();
                return;
            }
        }
    }

    /**
     * Fails the running jobs of dead instances (no job heartbeat for {@code stale-after}) as interrupted, and the
     * queued jobs placed on a host where no instance has been alive for as long.
     */
    private void sweepStale() {
        try {
            sweepStaleJobs();
        } catch (RuntimeException e) {
            // the next sweep tries again (a failure must not end the timer)
            log.warn("Sweep for stale jobs failed: {}", e.toString());
        }
    }

    private void sweepStaleJobs() {
        Instant cutoff = clock.instant().minus(settings.staleAfter());
        lifecycle.failInterrupted(lifecycle.runningWithHeartbeatBefore(cutoff).stream()
                .filter(j -> !running.containsKey(j.getId())).toList());
        List<Job> placed = lifecycle.queuedPlacedBefore(cutoff);
        if (placed.isEmpty()) {
            return;
        }
        java.util.Set<String> alive = instances.list().stream().filter(Instances.Instance::alive)
                .map(Instances.Instance::host).collect(java.util.stream.Collectors.toSet());
        for (Job job : placed) {
            if (!alive.contains(job.getPlacement())) {
                lifecycle.failUnplaceable(job.getId(), "no pgvault instance on host '" + job.getPlacement()
                        + "' was alive for " + settings.staleAfter().toSeconds() + " s to run it");
            }
        }
    }

    /** Task data is a job id; stored as UTF-8 text rather than Java serialization. */
    private static final class StringSerializer implements Serializer {
        @Override
        public byte[] serialize(Object data) {
            return data == null ? null : data.toString().getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public <T> T deserialize(Class<T> type, byte[] bytes) {
            return bytes == null ? null : type.cast(new String(bytes, StandardCharsets.UTF_8));
        }
    }
}
