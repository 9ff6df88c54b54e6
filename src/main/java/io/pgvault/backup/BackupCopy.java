package io.pgvault.backup;

import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.UUID;

/**
 * A copy of a backup in another repository: QUEUED, COPYING, COPIED (every file copied and read back with the
 * catalog's SHA-256), FAILED, or DELETED with its backup. A COPIED copy stays COPIED while a new copy of it is
 * written beside it as the next generation; {@code attempt} tells how that went. {@code manifest}: a copy of a
 * block-store backup whose manifest was rewritten with the copy repository's block names (an encrypted one), with
 * that manifest's own size and SHA-256; null where the copy's files are the backup's own.
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
        String detail,
        @Schema(description = "which generation of the copy this is: a copy made again is written beside the "
                + "old one and replaces it only once every file was read back there")
        Integer generation,
        @Schema(description = "the newest attempt to copy the backup again while this copy is COPIED: the copy "
                + "stays COPIED whatever becomes of it")
        Attempt attempt,
        @com.fasterxml.jackson.annotation.JsonIgnore @Schema(hidden = true)
        BackupFile manifest) {

    public static final String COPIED = "COPIED";

    /** A copy whose files are the backup's own, byte for byte (every copy but a rewritten block manifest). */
    public BackupCopy(String repository, String status, String location, UUID jobId, Instant queuedAt,
            Instant finishedAt, String detail, Integer generation, Attempt attempt) {
        this(repository, status, location, jobId, queuedAt, finishedAt, detail, generation, attempt, null);
    }

    public boolean copied() {
        return COPIED.equals(status);
    }

    /** A new generation of a COPIED copy in the making, or one that failed (the COPIED one is kept). */
    @Schema(description = "A new generation of a COPIED copy: QUEUED, COPYING or FAILED")
    public record Attempt(
            @Schema(description = "QUEUED, COPYING or FAILED") String status,
            @Schema(description = "the COPY job") UUID jobId,
            @Schema(description = "why it failed") String detail,
            Instant finishedAt) {
    }
}
