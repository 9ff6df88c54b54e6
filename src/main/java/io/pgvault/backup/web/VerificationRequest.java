package io.pgvault.backup.web;

import io.pgvault.backup.VerificationLevel;
import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.validation.constraints.NotNull;

/**
 * Asks for a verification at a level: CHECKSUM, LIST, or RESTORE (a drill: a real restore into a scratch
 * database, with the row counts of the source at dump time and the cluster's sanity queries).
 */
record VerificationRequest(@Schema(example = "LIST") @NotNull VerificationLevel level,
        @Schema(description = "RESTORE only: the cluster to restore on (default: the backup's)") String drillCluster) {
}
