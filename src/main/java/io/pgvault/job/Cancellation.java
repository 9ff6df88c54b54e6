package io.pgvault.job;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A cancel signal shared by a job and the processes it runs; hooks run once, when it is cancelled. */
public final class Cancellation {

    private final List<Runnable> hooks = new CopyOnWriteArrayList<>();
    private volatile String reason;
    private volatile CancelCause cause;

    /** A signal that nobody cancels: for work outside jobs. */
    public static Cancellation none() {
        return new Cancellation();
    }

    /** Cancelled by its owner or on request ({@link CancelCause#USER}); {@code why} is what the job log says. */
    public void cancel(String why) {
        cancel(CancelCause.USER, why);
    }

    /** The first cancel wins: its cause decides the outcome, its {@code why} is shown. */
    public void cancel(CancelCause cause, String why) {
        synchronized (this) {
            if (reason != null) {
                return;
            }
            this.cause = cause;
            reason = why;
        }
        hooks.forEach(Runnable::run);
    }

    /** Why it was cancelled, or null while it is not. */
    public CancelCause cause() {
        return cause;
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
