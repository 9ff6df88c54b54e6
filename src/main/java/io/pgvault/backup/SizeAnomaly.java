package io.pgvault.backup;

import java.util.UUID;

/** Published when a successful backup's size strays from its spec's recent median. */
public record SizeAnomaly(UUID backupId, String cluster, String detail) {
}
