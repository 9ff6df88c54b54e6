package io.pgvault.job;

import java.util.concurrent.ThreadFactory;

/** Threads of pgvault's own background work: named for thread dumps, and daemons, so that none holds up a stop. */
public final class DaemonThreads {

    private DaemonThreads() {
    }

    public static ThreadFactory named(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
