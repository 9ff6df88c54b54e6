package io.pgvault.notification;

/** What a webhook can subscribe to. */
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
    SIZE_ANOMALY
}
