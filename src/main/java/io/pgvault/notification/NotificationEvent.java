package io.pgvault.notification;

import io.swagger.v3.oas.annotations.media.Schema;

/**
 * What a webhook can subscribe to. A schema of its own in the OpenAPI document: inlined into a set
 * ({@code events}), it made openapi-generator's Java client fail to compile.
 */
@Schema(enumAsRef = true, description = "What a webhook can subscribe to: JOB_FAILED, VERIFICATION_FAILED (a backup "
        + "found broken), RPO_BREACHED (the newest backup is older than the cluster's rpo), WAL_ARCHIVE_LAG (no WAL "
        + "for too long, or archive_command failing), WAL_ARCHIVE_GAP (a gap cuts the recovery window short), "
        + "SIZE_ANOMALY (a backup's size strays from the recent median), WAL_DAMAGED (an archived segment's records "
        + "do not decode: replay would stop there), PROOF_FAILED (the archive's proof by replay stopped before its end)")
public enum NotificationEvent {
    /** A job ended FAILED. */
    JOB_FAILED,
    /** A verification found a backup broken. */
    VERIFICATION_FAILED,
    /** A cluster's newest successful backup is older than its RPO (announced once per breach). */
    RPO_BREACHED,
    /** No WAL has arrived for longer than the threshold, or archive_command is failing on the server. */
    WAL_ARCHIVE_LAG,
    /** A gap in the archive cuts the recovery window short. */
    WAL_ARCHIVE_GAP,
    /** A backup's size strays from its spec's recent median. */
    SIZE_ANOMALY,
    /** An archived segment's records do not decode (pg_waldump's error): replay would stop there. */
    WAL_DAMAGED,
    /** The WAL archive's proof by replay stopped before the archive's end (the segment named). */
    PROOF_FAILED
}
