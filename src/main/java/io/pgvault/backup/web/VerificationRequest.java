package io.pgvault.backup.web;

import io.pgvault.backup.VerificationLevel;
import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.validation.constraints.NotNull;

/**
 * Asks for a verification at a level: CHECKSUM, LIST, or RESTORE (a drill: a real restore into a scratch
 * database, with the row counts of the source at dump time and the cluster's sanity queries).
 */
@Schema(description = "A verification to run at a level", example = "{\"level\": \"LIST\"}")
record VerificationRequest(@Schema(example = "LIST", description = "CHECKSUM (re-read, compare SHA-256), LIST "
        + "(also pg_restore --list or pg_verifybackup) or RESTORE (a drill: a real restore into scratch, with "
        + "sanity queries)") @NotNull VerificationLevel level,
        @Schema(description = "RESTORE only: the cluster to restore on (default: the backup's)") String drillCluster) {
}
