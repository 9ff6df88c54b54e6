package io.pgvault.job;

import io.pgvault.PgvaultProperties;
import io.pgvault.api.BusyException;
import io.pgvault.api.NotFoundException;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.event.TransactionPhase;
import org.springframework.transaction.event.TransactionalEventListener;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Requests that wait for a job's end ({@code GET /jobs/{id}?waitSeconds=N}) hold no thread while they wait:
 * each is a future that Spring MVC's asynchronous request processing answers once it completes. Request
 * threads are few (Tomcat has 200) and WAL pushes, WAL fetches and the probes need them, so hundreds of
 * scripts waiting for their jobs must not take them all. A waiter is answered by the job's end committed on
 * this instance ({@link JobFinished}), by a re-read of the catalog every {@code pgvault.jobs.wait-recheck}
 * (ends on other instances), or at its deadline with the job as it is then. At shutdown every waiter is
 * answered at once, so that none holds up the web server's graceful stop. At most
 * {@code pgvault.jobs.max-waiters} wait at once (each still holds a connection and some memory); the next
 * one is refused with 503 and Retry-After, which a script's retry loop honours, where an early answer
 * with an unfinished job would only make it ask again at once.
 */
@Component
class JobWaiters implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(JobWaiters.class);
    private static final List<JobStatus> ENDED = Arrays.stream(JobStatus.values()).filter(JobStatus::isTerminal)
            .toList();
    private static final int RETRY_AFTER_SECONDS = 5;
    private static final int BATCH = 500;

    private final Map<UUID, Set<CompletableFuture<JobView>>> waiting = new ConcurrentHashMap<>();
    private final AtomicInteger count = new AtomicInteger();
    private final JobRepository jobs;
    private final TransactionTemplate reads;
    private final int max;
    private final Duration recheck;
    private final ScheduledThreadPoolExecutor timer =
            new ScheduledThreadPoolExecutor(1, DaemonThreads.named("pgvault-job-waiters"));
    private volatile boolean running;
    private volatile boolean stopped;
    private ScheduledFuture<?> rechecking;

    JobWaiters(JobRepository jobs, PlatformTransactionManager transactions, PgvaultProperties properties) {
        this.jobs = jobs;
        this.reads = new TransactionTemplate(transactions);
        this.reads.setReadOnly(true);
        this.max = properties.jobs().maxWaiters();
        this.recheck = properties.jobs().waitRecheck();
        timer.setRemoveOnCancelPolicy(true);
    }

    /**
     * The job once it has ended, or as it is after {@code timeout}. Throws {@link NotFoundException} for an
     * unknown job and {@link BusyException} when {@code pgvault.jobs.max-waiters} requests wait already.
     * Cancelling the future gives up its place.
     */
    CompletableFuture<JobView> await(UUID id, Duration timeout) {
        if (stopped) {
            return CompletableFuture.completedFuture(read(id));
        }
        if (count.incrementAndGet() > max) {
            count.decrementAndGet();
            throw new BusyException(max + " requests already wait for jobs to end (pgvault.jobs.max-waiters); "
                    + "try again in a few seconds, or read the job without waitSeconds", RETRY_AFTER_SECONDS);
        }
        CompletableFuture<JobView> waiter = new CompletableFuture<>();
        waiting.compute(id, (key, set) -> {
            Set<CompletableFuture<JobView>> waiters = set == null ? ConcurrentHashMap.newKeySet() : set;
            waiters.add(waiter);
            return waiters;
        });
        waiter.whenComplete((job, failure) -> {
            waiting.computeIfPresent(id, (key, set) -> {
                set.remove(waiter);
                return set.isEmpty() ? null : set;
            });
            count.decrementAndGet();
        });
        try {
            ScheduledFuture<?> deadline = timer.schedule(() -> answer(id, waiter), timeout.toMillis(),
                    TimeUnit.MILLISECONDS);
            waiter.whenComplete((job, failure) -> deadline.cancel(false));
            // read only now that it is registered: an end committed from here on reaches it through on(JobFinished)
            JobView now = read(id);
            if (now.status().isTerminal()) {
                waiter.complete(now);
            }
        } catch (RuntimeException e) {
            waiter.cancel(false);
            throw e;
        }
        return waiter;
    }

    /** How many requests wait right now. */
    int waiting() {
        return count.get();
    }

    @TransactionalEventListener(phase = TransactionPhase.AFTER_COMMIT, fallbackExecution = true)
    void on(JobFinished event) {
        if (waiting.containsKey(event.jobId())) {
            // the job's own thread only hands over: reading and answering happen on the waiters' thread
            try {
                timer.execute(() -> answerEnded(List.of(event.jobId())));
            } catch (RejectedExecutionException e) {
                // shutting down: stop() has answered everyone
            }
        }
    }

    /** Answers the waiters of every job in {@code ids} that has ended, with the job as the catalog has it. */
    private void answerEnded(Collection<UUID> ids) {
        for (UUID id : ids) {
            Set<CompletableFuture<JobView>> waiters = waiting.get(id);
            if (waiters == null) {
                continue;
            }
            try {
                JobView job = read(id);
                if (job.status().isTerminal()) {
                    List.copyOf(waiters).forEach(w -> w.complete(job));
                }
            } catch (RuntimeException e) {
                // the next re-check tries again; the deadline answers in any case
                log.warn("Could not read job {} for the requests waiting for it: {}", id, e.getMessage());
            }
        }
    }

    private void recheck() {
        List<UUID> ids = List.copyOf(waiting.keySet());
        try {
            for (int from = 0; from < ids.size(); from += BATCH) {
                List<UUID> batch = ids.subList(from, Math.min(ids.size(), from + BATCH));
                answerEnded(reads.execute(status -> jobs.findEnded(batch, ENDED)));
            }
        } catch (RuntimeException e) {
            log.warn("Could not re-read the jobs that requests wait for: {}", e.getMessage());
        }
    }

    /** The deadline: the job as it is now, or the error that reading it met (a 503 when the catalog is down). */
    private void answer(UUID id, CompletableFuture<JobView> waiter) {
        try {
            waiter.complete(read(id));
        } catch (RuntimeException e) {
            waiter.completeExceptionally(e);
        }
    }

    private JobView read(UUID id) {
        return reads.execute(status -> jobs.findById(id).map(JobView::of))
                .orElseThrow(() -> new NotFoundException("no job with id " + id));
    }

    /** Also after a stop: Spring's test framework pauses (stops) a cached context and starts it again. */
    @Override
    public void start() {
        // started again after stop(): Spring's test framework pauses the cached contexts it is not using and
        // restarts them, and a context can be stopped and started in production too; a waiter must wait again
        stopped = false;
        long period = recheck.toMillis();
        rechecking = timer.scheduleWithFixedDelay(DaemonThreads.repeating("The job waiters' recheck", this::recheck),
                period, period, TimeUnit.MILLISECONDS);
        running = true;
    }

    /** Answers every waiter now, before the web server's graceful shutdown would wait for them. */
    @Override
    public void stop() {
        stopped = true;
        running = false;
        rechecking.cancel(false);
        for (UUID id : List.copyOf(waiting.keySet())) {
            List<CompletableFuture<JobView>> waiters = List.copyOf(waiting.getOrDefault(id, Set.of()));
            try {
                JobView job = read(id);
                waiters.forEach(w -> w.complete(job));
            } catch (RuntimeException e) {
                BusyException stopping = new BusyException("pgvault is stopping; ask again in a moment (another "
                        + "instance, or this one once it is back, answers)", RETRY_AFTER_SECONDS);
                waiters.forEach(w -> w.completeExceptionally(stopping));
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @PreDestroy
    void close() {
        timer.shutdownNow();
    }
}
