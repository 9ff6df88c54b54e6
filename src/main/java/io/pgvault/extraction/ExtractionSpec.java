package io.pgvault.extraction;

import io.pgvault.recovery.RecoveryTarget;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.UUID;

/** An extraction as asked for: what, as of when, and where it goes. */
@Schema(description = "Tables, schemas or a whole database as of a point in time, recovered into a destination "
        + "without touching anything live")
public record ExtractionSpec(
        @Schema(description = "where to recover to, as for recoveries (exactly one of time, lsn, xid, name, latest: "
                + "true, immediate: true); may be left out with backupId") RecoveryTarget target,
        @Schema(description = "the backup to start from: a BASE backup (recovered to target, or to its end), or a "
                + "DUMP in an archive format (target left out or latest). Default: chosen for the target")
        UUID backupId,
        @Schema(description = "the database to extract from (default: a DUMP's own database)", example = "shop")
        String database,
        @Schema(description = "tables as schema.table (or table, in public), spelt as in the catalog; with schemas "
                + "left out too, the whole database. A partitioned table (or an inheritance parent) brings its whole "
                + "tree, wherever its partitions' schemas; a partition named alone comes as a table of its own",
                example = "[\"public.orders\"]") List<String> tables,
        @Schema(description = "whole schemas", example = "[]") List<String> schemas,
        @Schema(description = "where the extraction goes (default: a new schema pgvault_recovered_<time> in the "
                + "source database; a whole database goes to a new database of that name)") Into into,
        @Schema(description = "ADMIN only: drop and replace tables of the same names that exist in the destination "
                + "(default false: such a clash is refused)") Boolean replace,
        @Schema(description = "answer which backup and WAL would be used and the expected time, without a job")
        Boolean dryRun,
        @Schema(description = "also report each table's live row count next to the recovered one") Boolean compare,
        @Schema(description = "when the rows put in a table differ from the source's, keep what was extracted (and "
                + "the database or schema created for it) to look at; the job still fails (default false: it rolls "
                + "back and nothing stays)") Boolean keepFailed,
        @Schema(description = "ADMIN only: allow the destination database to be template0, template1 or postgres "
                + "(default false: refused, as every database created later from template1 would inherit the "
                + "tables)") Boolean allowSystemDatabase) {

    /** The destination. */
    @Schema(description = "The destination: a registered cluster, a database on it (created when missing) and "
            + "optionally a schema (created when missing) that the selected tables go into")
    public record Into(
            @Schema(description = "a registered cluster (default: the source cluster)") String cluster,
            @Schema(description = "a database on it (default: the source database; created when missing)")
            String database,
            @Schema(description = "a schema that the selected tables (or the one selected schema) go into; left "
                    + "out with a database named, the tables keep their schemas") String schema) {
    }
}
