package io.pgvault.job;

/** What a job does. */
public enum JobType {
    BACKUP, RESTORE, RECOVERY, VERIFICATION, RETENTION, COPY, EXTRACTION, PROOF
}
