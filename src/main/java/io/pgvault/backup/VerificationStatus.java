package io.pgvault.backup;

/** Whether a backup has been proven intact. */
public enum VerificationStatus {
    UNVERIFIED, PASSED, FAILED
}
