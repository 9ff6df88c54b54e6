package io.pgvault.recovery;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.UUID;

/**
 * A recovery as asked for. {@code timeline}: "latest" (default), "current" or a number.
 * {@code start} defaults to true; {@code port} defaults to the cluster's own port for an in-place recovery
 * and to a free port otherwise.
 */
@Schema(description = "A point-in-time recovery: where to stop (target), which base backup (default: "
        + "the newest that ends before the target), and where to put the recovered server")
public record RecoverySpec(
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED) RecoveryTarget target,
        @Schema(description = "time, lsn, xid and name targets: stop just after the target (true, the default) or "
                + "just before it") Boolean inclusive,
        @Schema(description = "what the server does at the target: promote (default), pause or shutdown; a "
                + "recovery to latest always promotes") RecoveryAction action,
        @Schema(description = "the timeline to follow: latest (default), current, or a timeline number",
                example = "latest") String timeline,
        @Schema(description = "the BASE backup to start from (default: the newest that ends before the target)")
        UUID backupId,
        @Schema(description = "where the recovered cluster goes: a new or empty directory under "
                + "pgvault.recovery.roots, or the cluster's own data directory with replaceExisting",
                requiredMode = Schema.RequiredMode.REQUIRED, example = "/var/lib/postgresql/recovered")
        String dataDirectory,
        @Schema(description = "the port to start the recovered server on (default: the cluster's own for an "
                + "in-place recovery, else a free one)") Integer port,
        @Schema(description = "start the server and wait until recovery ends (default true); false only writes the "
                + "data directory and its recovery settings") Boolean start,
        @Schema(description = "ADMIN only: recover into the cluster's own data directory, stopping its server and "
                + "moving the old directory aside (never removed); default false") Boolean replaceExisting,
        @Schema(description = "with replaceExisting, for a BASE backup in format BLOCKS: bring the existing "
                + "directory to the backup by writing only the blocks that differ and removing files the backup does "
                + "not have, instead of moving it aside (the old content is not kept); the job log states bytes "
                + "checked, skipped and written; default false") Boolean delta) {

    /** A request without delta. */
    public RecoverySpec(RecoveryTarget target, Boolean inclusive, RecoveryAction action, String timeline,
            UUID backupId, String dataDirectory, Integer port, Boolean start, Boolean replaceExisting) {
        this(target, inclusive, action, timeline, backupId, dataDirectory, port, start, replaceExisting, null);
    }
}
