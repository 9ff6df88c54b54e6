package io.pgvault.job;

/** What a job does. */
public enum JobType {
    BACKUP, RESTORE, RECOVERY, VERIFICATION, RETENTION, COPY, EXTRACTION, PROOF,
    /** Re-encrypts a repository's objects under its current key; the job's cluster field holds the repository. */
    REENCRYPT
}
