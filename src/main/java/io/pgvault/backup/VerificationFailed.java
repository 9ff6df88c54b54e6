package io.pgvault.backup;

import java.util.UUID;

/** Published when a verification finds a backup broken. */
public record VerificationFailed(UUID backupId, String cluster, VerificationLevel level, String detail) {
}
