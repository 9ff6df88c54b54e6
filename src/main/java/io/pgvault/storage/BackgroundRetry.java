package io.pgvault.storage;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Clean-up that could not reach its repository (the network went in the middle of an upload) tried again in
 * the background, after 1, 2, 4 ... 64 s, until it succeeds; after that it is logged and left to the start-up
 * sweeps. Nothing waits for it.
 */
public final class BackgroundRetry {

    private static final int ATTEMPTS = 7;
    private static final Logger log = LoggerFactory.getLogger(BackgroundRetry.class);

    /** One try; throwing asks for another. */
    @FunctionalInterface
    public interface Attempt {
        void run() throws Exception;
    }

    private BackgroundRetry() {
    }

    /** Schedules {@code attempt}; {@code givingUp} is logged once the last try failed too. */
    public static void schedule(ScheduledExecutorService executor, Attempt attempt, String givingUp) {
        schedule(executor, attempt, givingUp, 1);
    }

    private static void schedule(ScheduledExecutorService executor, Attempt attempt, String givingUp, int n) {
        if (n > ATTEMPTS) {
            log.warn(givingUp);
            return;
        }
        try {
            executor.schedule(() -> {
                try {
                    attempt.run();
                } catch (Exception e) {
                    schedule(executor, attempt, givingUp, n + 1);
                }
            }, 1L << (n - 1), TimeUnit.SECONDS);
        } catch (RejectedExecutionException closing) {
            // shutting down: the start-up sweeps take over
        }
    }
}
