package io.pgvault.restore.web;

import io.pgvault.restore.RestoreService;
import io.pgvault.restore.RestoreSpec;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * Restores a backup. DUMP and DUMP_ALL go into a database (targetCluster defaults to the backup's own
 * cluster); a BASE backup becomes a whole cluster in dataDirectory, consistent as of the backup's end.
 */
@Schema(description = "Where a backup is restored to: a database for DUMP and DUMP_ALL, a new data directory for "
        + "BASE", example = """
        {"targetDatabase": "shop_restored", "createDatabase": true, "noOwner": true, "jobs": 2}""")
record RestoreRequest(
        @Schema(description = "DUMP, DUMP_ALL: the registered cluster to restore into (default: the backup's)")
        String targetCluster,
        @Schema(description = "DUMP: the database to restore into (required)") String targetDatabase,
        @Schema(description = "DUMP: create targetDatabase first (default false; refused when it exists)")
        Boolean createDatabase,
        @Schema(description = "DUMP: drop objects before recreating them (pg_restore --clean; default false)")
        Boolean clean,
        @Schema(description = "no ownership commands (default false)") Boolean noOwner,
        @Schema(description = "no GRANT/REVOKE (default false)") Boolean noPrivileges,
        @Schema(description = "DUMP: restore only these tables, as schema.table or table (in every schema). A "
                + "partitioned table or an inheritance parent brings its whole tree; a partition named alone comes "
                + "alone, not attached. Indexes, constraints, defaults, triggers, owned sequences and what the "
                + "tables need that the database lacks (schemas, types, domains, functions) come along; foreign keys "
                + "to tables not restored are left out. Restored in one transaction, whose row counts must match "
                + "the source's at dump time") List<String> tables,
        @Schema(description = "definitions only (default false)") Boolean schemaOnly,
        @Schema(description = "data only (default false)") Boolean dataOnly,
        @Schema(description = "parallel pg_restore jobs (archive formats)") Integer jobs,
        @Schema(description = "required to restore over the backup's own source database") Boolean overwrite,
        @Schema(description = "with tables: when the row counts differ from the source's, keep what was restored "
                + "(and the database created for it) to look at; the job still fails (default false: nothing is "
                + "kept)") Boolean keepFailed,
        @Schema(description = "BASE only: the new data directory (empty or not there yet)") String dataDirectory,
        @Schema(description = "BASE only: the port to start the restored server on (default: a free one)") Integer port,
        @Schema(description = "BASE only: start the restored server (default true)") Boolean start) {

    RestoreService.BaseTarget toBaseTarget() {
        return new RestoreService.BaseTarget(dataDirectory, port, start);
    }

    public RestoreSpec toSpec() {
        return new RestoreSpec(targetCluster, targetDatabase, isTrue(createDatabase), isTrue(clean), isTrue(noOwner),
                isTrue(noPrivileges), tables, isTrue(schemaOnly), isTrue(dataOnly), jobs, isTrue(overwrite),
                isTrue(keepFailed));
    }

    private static boolean isTrue(Boolean b) {
        return Boolean.TRUE.equals(b);
    }
}
