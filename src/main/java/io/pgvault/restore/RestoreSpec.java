package io.pgvault.restore;

import java.util.List;

/** A logical restore: into which cluster and database, and with which pg_restore options. */
public record RestoreSpec(String targetCluster, String targetDatabase, boolean createDatabase, boolean clean,
        boolean noOwner, boolean noPrivileges, List<String> tables, boolean schemaOnly, boolean dataOnly,
        Integer jobs, boolean overwrite) {

    /** No option at all (what a BASE restore carries). */
    static final RestoreSpec EMPTY = new RestoreSpec(null, null, false, false, false, false, List.of(), false, false,
            null, false);

    public RestoreSpec {
        tables = tables == null ? List.of() : List.copyOf(tables);
    }

    RestoreSpec withTargetCluster(String cluster) {
        return new RestoreSpec(cluster, targetDatabase, createDatabase, clean, noOwner, noPrivileges, tables,
                schemaOnly, dataOnly, jobs, overwrite);
    }
}
