package io.pgvault.job;

import java.time.Instant;

/**
 * Something that fires at persisted times, once across every pgvault instance on the catalog (schedules,
 * periodic drills). The job engine keeps one timer per kind and id; a timer that was due while every
 * instance was down fires once when one comes back, not once per missed time.
 *
 * <p>While a timer fires it cannot be moved or removed ({@link JobService#setTimer} answers false): when the
 * firing ends, the engine sets it to what {@link #fire} returned. A feature whose timer follows a definition that
 * can change meanwhile sets the timer again once the change has committed and the firing has ended.
 */
public interface TimerListener {

    /** The timer kind this listener handles, e.g. {@code schedule}. */
    String kind();

    /** Fires the timer {@code id} that was due at {@code due}; returns when to fire next, or null to stop. */
    Instant fire(String id, Instant due);
}
