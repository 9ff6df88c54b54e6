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

    public static ThreadFactory named(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
