package io.pgvault.recovery;

import java.util.List;
import java.util.UUID;

/**
 * A checked recovery, as its job carries it: the request plus what pgvault chose (the base backup, the
 * WAL it checked and promises the recovery, as "first-last" ranges per timeline, whether the directory is the
 * cluster's own and is replaced, and whether it is a throwaway copy of pgvault's own: a drill's or an
 * extraction's), and whether an in-place one is a delta restore into the existing directory.
 */
record RecoveryPlan(RecoveryTarget target, boolean inclusive, RecoveryAction action, String timeline,
        UUID backupId, String dataDirectory, Integer port, boolean start, boolean replaceExisting,
        String walFrom, String walTo, List<String> promised, boolean scratch, boolean delta) {

    RecoveryPlan {
        promised = promised == null ? List.of() : List.copyOf(promised);
    }

    RecoveryPlan(RecoveryTarget target, boolean inclusive, RecoveryAction action, String timeline, UUID backupId,
            String dataDirectory, Integer port, boolean start, boolean replaceExisting, String walFrom, String walTo,
            List<String> promised, boolean scratch) {
        this(target, inclusive, action, timeline, backupId, dataDirectory, port, start, replaceExisting, walFrom, walTo,
                promised, scratch, false);
    }
}
