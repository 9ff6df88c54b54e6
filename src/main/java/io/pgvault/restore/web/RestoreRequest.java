package io.pgvault.restore.web;

import io.pgvault.restore.RestoreSpec;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/** Restores a logical backup into a database. targetCluster defaults to the backup's own cluster. */
@Schema(example = """
        {"targetDatabase": "shop_restored", "createDatabase": true, "noOwner": true, "jobs": 2}""")
record RestoreRequest(String targetCluster, String targetDatabase, Boolean createDatabase, Boolean clean,
        Boolean noOwner, Boolean noPrivileges, List<String> tables, Boolean schemaOnly, Boolean dataOnly, Integer jobs,
        @Schema(description = "required to restore over the backup's own source database") Boolean overwrite) {

    RestoreSpec toSpec() {
        return new RestoreSpec(targetCluster, targetDatabase, isTrue(createDatabase), isTrue(clean), isTrue(noOwner),
                isTrue(noPrivileges), tables, isTrue(schemaOnly), isTrue(dataOnly), jobs, isTrue(overwrite));
    }

    private static boolean isTrue(Boolean b) {
        return Boolean.TRUE.equals(b);
    }
}
