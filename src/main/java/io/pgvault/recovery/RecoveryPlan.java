package io.pgvault.recovery;

import java.util.List;
import java.util.UUID;

/**
 * A checked recovery, as its job carries it: the request plus what pgvault chose (the base backup, the
 * WAL it checked and promises the recovery, as "first-last" ranges per timeline, whether the directory is the
 * cluster's own and is replaced).
 */
record RecoveryPlan(RecoveryTarget target, boolean inclusive, RecoveryAction action, String timeline,
        UUID backupId, String dataDirectory, Integer port, boolean start, boolean replaceExisting,
        String walFrom, String walTo, List<String> promised) {

    RecoveryPlan {
        promised = promised == null ? List.of() : List.copyOf(promised);
    }
}
