package io.pgvault.job;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A cancel signal shared by a job and the processes it runs; hooks run once, when it is cancelled. */
public final class Cancellation {

    private final List<Runnable> hooks = new CopyOnWriteArrayList<>();
    private volatile String reason;

    /** A signal that nobody cancels: for work outside jobs. */
    public static Cancellation none() {
        return new Cancellation();
    }

    public void cancel(String why) {
        synchronized (this) {
            if (reason != null) {
                return;
            }
            reason = why;
        }
        hooks.forEach(Runnable::run);
    }

    public boolean isCancelled() {
        return reason != null;
    }

    public String reason() {
        return reason;
    }

    /** Runs {@code hook} on cancel (at once if already cancelled); the returned handle removes it. */
    public AutoCloseable onCancel(Runnable hook) {
        hooks.add(hook);
        if (isCancelled()) {
            hook.run();
        }
        return () -> hooks.remove(hook);
    }

    public void throwIfCancelled() {
        if (isCancelled()) {
            throw new JobCancelledException(reason);
        }
    }
}
