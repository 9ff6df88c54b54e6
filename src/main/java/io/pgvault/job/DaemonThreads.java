package io.pgvault.job;

import java.util.concurrent.ThreadFactory;

/** Threads of pgvault's own background work: named for thread dumps, and daemons, so that none holds up a stop. */
public final class DaemonThreads {

    private DaemonThreads() {
    }

    /**
     * Stops a pool of workers and waits (at most a minute) until none runs: a job that failed or was cancelled
     * returns only once its workers no longer write (into a store, a data directory) behind its back.
     */
    public static void stopAndWait(java.util.concurrent.ExecutorService pool) {
        pool.shutdownNow();
        try {
            pool.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A periodic task that outlives its own failures: a {@code ScheduledExecutorService} silently stops repeating a
     * task once a run throws, so a loop (the metrics refresh, a heartbeat, a sweep) would end for good on one
     * unexpected error and nothing would say so. Each failed run is logged, and the next one comes as planned.
     */
    public static Runnable repeating(String what, Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (Throwable t) {
                org.slf4j.LoggerFactory.getLogger(DaemonThreads.class).error("{} failed; it runs again at its next "
                        + "turn", what, t);
            }
        };
    }

    public static ThreadFactory named(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
