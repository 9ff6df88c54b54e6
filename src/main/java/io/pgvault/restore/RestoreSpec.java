package io.pgvault.restore;

import java.util.List;

/**
 * A logical restore: into which cluster and database, and with which pg_restore options. {@code keepFailed}: a
 * table-filtered restore whose row counts differ from the source's keeps what it restored (and the database it
 * created), to be looked at, instead of rolling back.
 */
public record RestoreSpec(String targetCluster, String targetDatabase, boolean createDatabase, boolean clean,
        boolean noOwner, boolean noPrivileges, List<String> tables, boolean schemaOnly, boolean dataOnly,
        Integer jobs, boolean overwrite, boolean keepFailed) {

    /** No option at all (what a BASE restore carries). */
    static final RestoreSpec EMPTY = new RestoreSpec(null, null, false, false, false, false, List.of(), false, false,
            null, false, false);

    public RestoreSpec {
        tables = tables == null ? List.of() : List.copyOf(tables);
    }

    RestoreSpec withTargetCluster(String cluster) {
        return new RestoreSpec(cluster, targetDatabase, createDatabase, clean, noOwner, noPrivileges, tables,
                schemaOnly, dataOnly, jobs, overwrite, keepFailed);
    }
}
