package io.pgvault.recovery;

import java.util.UUID;

/**
 * A recovery as asked for. {@code timeline}: "latest" (default), "current" or a number.
 * {@code start} defaults to true; {@code port} defaults to the cluster's own port for an in-place recovery
 * and to a free port otherwise.
 */
public record RecoverySpec(RecoveryTarget target, Boolean inclusive, RecoveryAction action, String timeline,
        UUID backupId, String dataDirectory, Integer port, Boolean start, Boolean replaceExisting) {
}
