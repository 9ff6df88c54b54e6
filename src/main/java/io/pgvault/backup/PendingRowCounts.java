package io.pgvault.backup;

import io.pgvault.job.JobService;
import io.pgvault.job.JobType;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * The DUMP backups that are SUCCEEDED and whose row counts are still being taken (their backup job counts in the
 * dump's snapshot once the dump is stored, then ends). A reader of a backup's counts waits for them here, at most
 * {@link #WAIT}, so that a restore or an extraction started in that moment still compares its rows; the drills
 * that a backup's success starts come after the counts anyway.
 * <p>
 * Counts taken on this instance wake their readers at once. Counts taken on another instance are known by the
 * catalog only: a SUCCEEDED backup whose BACKUP job still runs may still be counting (the job ends right after its
 * counts), so the reader asks the catalog again every {@link #POLL} until that job has ended. A job whose instance
 * died is taken over or failed by the job lifecycle, and the reader's wait is bounded anyway.
 */
@Component
class PendingRowCounts {

    /** The longest a reader waits for counts (a count of a huge table may take longer; the reader then has none). */
    static final Duration WAIT = Duration.ofMinutes(10);
    static final Duration POLL = Duration.ofMillis(200);

    private static final Logger log = LoggerFactory.getLogger(PendingRowCounts.class);

    private final Map<UUID, CountDownLatch> pending = new ConcurrentHashMap<>();
    /** Whether the backup's BACKUP job still runs, on any instance. */
    private final Predicate<UUID> jobRunning;
    private final Duration poll;

    @Autowired
    PendingRowCounts(ObjectProvider<JobService> jobs) {
        // looked up when asked: the job service runs the backup job that uses this
        this(backup -> {
            JobService service = jobs.getIfAvailable();
            return service != null && service.hasActive(backup, JobType.BACKUP);
        }, POLL);
    }

    PendingRowCounts(Predicate<UUID> jobRunning, Duration poll) {
        this.jobRunning = jobRunning;
        this.poll = poll;
    }

    /** Whether the backup job runs; a catalog that cannot say (an outage) is not waited on: read without waiting. */
    private boolean running(UUID backup) {
        try {
            return jobRunning.test(backup);
        } catch (RuntimeException unknown) {
            log.warn("backup {}: could not ask whether its backup job still counts rows ({}); read without waiting",
                    backup, unknown.getMessage());
            return false;
        }
    }

    void begin(UUID backup) {
        pending.put(backup, new CountDownLatch(1));
    }

    void end(UUID backup) {
        CountDownLatch done = pending.remove(backup);
        if (done != null) {
            done.countDown();
        }
    }

    /**
     * Returns once the backup's counts are recorded (or were never pending), or after {@code max}. Called for a
     * SUCCEEDED backup, outside any transaction.
     */
    void await(UUID backup, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        try {
            CountDownLatch done = pending.get(backup);
            if (done != null) {
                if (!done.await(max.toMillis(), TimeUnit.MILLISECONDS)) {
                    log.warn("backup {}: its row counts are still being taken after {}; read without them", backup,
                            max);
                }
                return;
            }
            while (running(backup)) {
                if (System.nanoTime() - deadline >= 0) {
                    log.warn("backup {}: its backup job still runs after {}; its row counts are read as they are",
                            backup, max);
                    return;
                }
                Thread.sleep(poll.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
