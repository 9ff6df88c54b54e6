package io.pgvault.backup;

/** What a verification job does: its level and, for RESTORE drills, the cluster to restore on (default: the backup's). */
public record VerificationOrder(VerificationLevel level, String drillCluster) {
}
