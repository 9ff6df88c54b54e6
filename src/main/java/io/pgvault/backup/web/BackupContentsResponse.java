package io.pgvault.backup.web;

import io.pgvault.backup.BackupContents;
import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupView;
import io.pgvault.backup.RelationTree;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

@Schema(description = "What a backup holds: its databases, their schemas and tables, with row estimates and sizes "
        + "as the cluster's catalogs gave them when the backup started", example = """
        {"backupId": "0b6f3c1e-9a9e-4f55-a2a1-6f0e0c1d2e3f", "cluster": "shop", "kind": "BASE",
         "recordedFrom": "the cluster's catalogs when the backup started",
         "databases": [{"name": "shop", "sizeBytes": 8912896, "schemas": [{"name": "public", "tables": [
           {"name": "orders", "kind": "table", "rowEstimate": 1000, "sizeBytes": 122880},
           {"name": "events", "kind": "partitioned table", "rowEstimate": 730, "sizeBytes": 0, "partitions": [
             {"table": "public.events_2025", "kind": "table", "partitionBound": "FOR VALUES FROM ('2025-01-01') TO \
        ('2026-01-01')", "rowEstimate": 365, "sizeBytes": 65536, "partitions": []},
             {"table": "public.events_default", "kind": "table", "partitionBound": "DEFAULT", "rowEstimate": 365,
              "sizeBytes": 65536, "partitions": []}]},
           {"name": "events_2025", "kind": "table", "rowEstimate": 365, "sizeBytes": 65536,
            "partitionOf": "public.events", "partitionBound": "FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')"}]}]}]}""")
record BackupContentsResponse(UUID backupId, String cluster, BackupKind kind, Instant finishedAt,
        @Schema(description = "where the list comes from") String recordedFrom, List<Database> databases) {

    @Schema(description = "A database in the backup")
    record Database(String name, @Schema(description = "pg_database_size when the backup started") Long sizeBytes,
            List<SchemaContents> schemas) {
    }

    @Schema(description = "A schema and its tables")
    record SchemaContents(String name, List<Table> tables) {
    }

    @Schema(description = "A table, partitioned table, materialized view or foreign table. A partitioned table (or "
            + "an inheritance parent) shows its tree in partitions, with rows per partition; every partition is also "
            + "listed in its own schema, with partitionOf")
    record Table(String name, @Schema(description = "table, partitioned table, materialized view or foreign table")
            String kind, @Schema(description = "pg_class.reltuples; null when never analyzed or unknown") Long rowEstimate,
            @Schema(description = "pg_total_relation_size: with indexes and TOAST; null when unknown") Long sizeBytes,
            @Schema(description = "DUMP: the exact row count in the dump's snapshot (a parent: its tree's); null when "
                    + "not counted") Long rows,
            @Schema(description = "the partitioned table (or inheritance parent) this table is a partition (child) "
                    + "of, as schema.table; null: none") String partitionOf,
            @Schema(description = "its partition bound (FOR VALUES ..., DEFAULT); null: not a partition")
            String partitionBound,
            @Schema(description = "a partitioned table's partitions (or a parent's inheritance children) as a tree, "
                    + "at every level; null: none") List<RelationTree.Node> partitions) {
    }

    static BackupContentsResponse of(BackupView backup, List<BackupContents.Relation> rows) {
        return of(backup, rows, Map.of());
    }

    /** {@code counted}: exact row counts by schema.table (a DUMP's snapshot). */
    static BackupContentsResponse of(BackupView backup, List<BackupContents.Relation> rows, Map<String, Long> counted) {
        Map<String, Map<String, RelationTree.Node>> trees = new LinkedHashMap<>();
        Map<String, Long> sizes = new LinkedHashMap<>();
        Map<String, Map<String, List<Table>>> tree = new LinkedHashMap<>();
        for (BackupContents.Relation r : rows) {
            if (r.isDatabase()) {
                sizes.put(r.database(), r.sizeBytes());
                tree.computeIfAbsent(r.database(), d -> new LinkedHashMap<>());
            } else if (r.isSchema()) {
                tree.computeIfAbsent(r.database(), d -> new LinkedHashMap<>()).computeIfAbsent(r.schema(),
                        s -> new ArrayList<>());
            } else {
                RelationTree.Node node = trees.computeIfAbsent(r.database(), d -> RelationTree.of(rows.stream()
                        .filter(x -> x.database().equals(d)).toList(), counted)).get(r.qualifiedName());
                tree.computeIfAbsent(r.database(), d -> new LinkedHashMap<>()).computeIfAbsent(r.schema(),
                        s -> new ArrayList<>()).add(new Table(r.table(), r.kind(), r.rowEstimate(), r.sizeBytes(),
                                node != null ? node.rows() : counted.get(r.qualifiedName()), r.parent(),
                                r.partitionBound(), node == null ? null : node.partitions()));
            }
        }
        List<Database> databases = new ArrayList<>();
        tree.forEach((db, schemas) -> {
            List<SchemaContents> list = new ArrayList<>();
            schemas.forEach((name, tables) -> list.add(new SchemaContents(name, tables)));
            databases.add(new Database(db, sizes.get(db), list));
        });
        boolean estimated = rows.stream().anyMatch(r -> r.sizeBytes() != null);
        String from = !estimated ? "the archive's table of contents (names only: the backup was taken before pgvault "
                + "recorded sizes)" : backup.kind() == BackupKind.DUMP ? "the archive's table of contents, with row "
                + "estimates and sizes from the cluster's catalogs when the dump started"
                : "the cluster's catalogs when the backup started";
        return new BackupContentsResponse(backup.id(), backup.cluster(), backup.kind(), backup.finishedAt(), from,
                databases);
    }
}
