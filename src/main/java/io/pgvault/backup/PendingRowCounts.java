package io.pgvault.backup;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The DUMP backups on this instance that are SUCCEEDED and whose row counts are still being taken (their backup
 * job counts in the dump's snapshot once the dump is stored). A reader of a backup's counts waits for them here,
 * at most {@link #WAIT}, so that a restore or an extraction started in that moment still compares its rows; the
 * drills that a backup's success starts come after the counts anyway.
 */
@Component
class PendingRowCounts {

    /** The longest a reader waits for counts (a count of a huge table may take longer; the reader then has none). */
    static final Duration WAIT = Duration.ofMinutes(10);

    private static final Logger log = LoggerFactory.getLogger(PendingRowCounts.class);

    private final Map<UUID, CountDownLatch> pending = new ConcurrentHashMap<>();

    void begin(UUID backup) {
        pending.put(backup, new CountDownLatch(1));
    }

    void end(UUID backup) {
        CountDownLatch done = pending.remove(backup);
        if (done != null) {
            done.countDown();
        }
    }

    /** Returns once the backup's counts are recorded (or were never pending), or after {@code max}. */
    void await(UUID backup, Duration max) {
        CountDownLatch done = pending.get(backup);
        if (done == null) {
            return;
        }
        try {
            if (!done.await(max.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("backup {}: its row counts are still being taken after {}; read without them", backup, max);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
