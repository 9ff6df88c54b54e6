package io.pgvault.restore.web;

import io.pgvault.restore.RestoreService;
import io.pgvault.restore.RestoreSpec;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * Restores a backup. DUMP and DUMP_ALL go into a database (targetCluster defaults to the backup's own
 * cluster); a BASE backup becomes a whole cluster in dataDirectory, consistent as of the backup's end.
 */
@Schema(example = """
        {"targetDatabase": "shop_restored", "createDatabase": true, "noOwner": true, "jobs": 2}""")
record RestoreRequest(String targetCluster, String targetDatabase, Boolean createDatabase, Boolean clean,
        Boolean noOwner, Boolean noPrivileges, List<String> tables, Boolean schemaOnly, Boolean dataOnly, Integer jobs,
        @Schema(description = "required to restore over the backup's own source database") Boolean overwrite,
        @Schema(description = "BASE only: the new data directory (empty or not there yet)") String dataDirectory,
        @Schema(description = "BASE only: the port to start the restored server on (default: a free one)") Integer port,
        @Schema(description = "BASE only: start the restored server (default true)") Boolean start) {

    RestoreService.BaseTarget toBaseTarget() {
        return new RestoreService.BaseTarget(dataDirectory, port, start);
    }

    RestoreSpec toSpec() {
        return new RestoreSpec(targetCluster, targetDatabase, isTrue(createDatabase), isTrue(clean), isTrue(noOwner),
                isTrue(noPrivileges), tables, isTrue(schemaOnly), isTrue(dataOnly), jobs, isTrue(overwrite));
    }

    private static boolean isTrue(Boolean b) {
        return Boolean.TRUE.equals(b);
    }
}
