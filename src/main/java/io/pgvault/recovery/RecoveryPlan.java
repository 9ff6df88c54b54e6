package io.pgvault.recovery;

import java.util.UUID;

/**
 * A checked recovery, as its job carries it: the request plus what pgvault chose (the base backup, the
 * WAL it checked, whether the directory is the cluster's own and is replaced).
 */
record RecoveryPlan(RecoveryTarget target, boolean inclusive, RecoveryAction action, String timeline,
        UUID backupId, String dataDirectory, Integer port, boolean start, boolean replaceExisting,
        String walFrom, String walTo) {
}
