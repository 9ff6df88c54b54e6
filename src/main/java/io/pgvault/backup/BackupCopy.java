package io.pgvault.backup;

import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.UUID;

/**
 * A copy of a backup in another repository: QUEUED, COPYING, COPIED (every file copied and read back with the
 * catalog's SHA-256), FAILED, or DELETED with its backup.
 */
@Schema(description = "A copy of a backup in another repository; status QUEUED, COPYING, COPIED (every "
        + "file read back there with the catalog's SHA-256), FAILED, or DELETED with its "
        + "backup")
public record BackupCopy(
        @Schema(description = "the repository that holds the copy")
        String repository,
        @Schema(description = "QUEUED, COPYING, COPIED, FAILED or DELETED")
        String status,
        @Schema(description = "where in that repository")
        String location,
        @Schema(description = "the COPY job")
        UUID jobId,
        Instant queuedAt,
        Instant finishedAt,
        @Schema(description = "why it failed, or what was checked")
        String detail) {

    public static final String COPIED = "COPIED";

    public boolean copied() {
        return COPIED.equals(status);
    }
}
