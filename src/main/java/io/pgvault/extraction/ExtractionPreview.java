package io.pgvault.extraction;

import io.pgvault.backup.RelationTree;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** What an extraction would do, answered without a job. */
@Schema(description = "What an extraction would use and do: nothing was started", example = """
        {"source": "BASE", "backupId": "0b6f3c1e-9a9e-4f55-a2a1-6f0e0c1d2e3f",
         "backupFinishedAt": "2026-11-25T02:00:41Z", "target": "time 2026-11-25T10:41:00Z",
         "walFrom": "000000010000000000000012", "walTo": "000000010000000000000031", "database": "shop",
         "tables": ["public.orders"], "schemas": [], "intoCluster": "shop", "intoDatabase": "shop",
         "intoSchema": "pgvault_recovered_20261125_104100", "createDatabase": false, "createSchema": true,
         "replaces": [], "expectedSeconds": 41.7,
         "expectedFrom": "the newest restore drill that passed took 41.7 s (backup ..., 2026-11-24T03:00:12Z)",
         "selection": [{"table": "public.orders", "kind": "table", "rowEstimate": 1000, "sizeBytes": 122880,
                        "partitions": []}]}""")
public record ExtractionPreview(
        @Schema(description = "BASE (a scratch server recovered to the target) or DUMP (the dump's selection)")
        String source,
        UUID backupId, Instant backupFinishedAt,
        @Schema(description = "the recovery target (BASE)") String target,
        @Schema(description = "the first archived WAL segment replayed (null: none)") String walFrom,
        @Schema(description = "the last archived WAL segment replayed (null: none)") String walTo,
        String database, List<String> tables, List<String> schemas, String intoCluster, String intoDatabase,
        @Schema(description = "null: the tables keep their schemas") String intoSchema,
        @Schema(description = "the destination database does not exist and will be created") boolean createDatabase,
        @Schema(description = "the destination schema does not exist and will be created") boolean createSchema,
        @Schema(description = "relations in the destination that replace: true drops and replaces")
        List<String> replaces,
        @Schema(description = "the cluster's measured RTO (null: no restore drill has passed yet)")
        Double expectedSeconds,
        @Schema(description = "where expectedSeconds comes from") String expectedFrom,
        @Schema(description = "the selected tables as the backup recorded them: a partitioned table (or an "
                + "inheritance parent) as a tree of its partitions at every level, with rows per partition (row "
                + "estimates; a DUMP's exact counts in rows), all of which the extraction takes")
        List<RelationTree.Node> selection) {
}
