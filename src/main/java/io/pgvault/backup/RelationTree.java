package io.pgvault.backup;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Partitioned tables (and inheritance parents) as trees of their recorded relations, with rows per partition:
 * the estimate the catalogs had when the backup started and, for a DUMP, the exact count in its snapshot. A
 * parent's rows are the sum of its partitions' when every one of them is known.
 */
public final class RelationTree {

    private RelationTree() {
    }

    /** One table of a tree and the tables below it. */
    @Schema(description = "A partition (or inheritance child) and its own partitions")
    public record Node(@Schema(description = "schema.table") String table,
            @Schema(description = "table or partitioned table") String kind,
            @Schema(description = "the partition bound (FOR VALUES ..., DEFAULT); null: an inheritance child")
            String partitionBound,
            @Schema(description = "pg_class.reltuples when the backup started (a parent: the sum of its "
                    + "partitions'); null when unknown") Long rowEstimate,
            @Schema(description = "the exact row count in a DUMP's snapshot (a parent: the sum of its "
                    + "partitions'); null when not counted") Long rows,
            @Schema(description = "pg_total_relation_size; null when unknown") Long sizeBytes,
            @Schema(description = "its partitions (or inheritance children), at every level") List<Node> partitions) {
    }

    /**
     * The trees of one database's relations, by table (schema.name): each table with partitions or inheritance
     * children maps to its node. {@code rows}: exact counts by schema.name (may be empty).
     */
    public static Map<String, Node> of(List<BackupContents.Relation> relations, Map<String, Long> rows) {
        Map<String, BackupContents.Relation> tables = new LinkedHashMap<>();
        Map<String, List<String>> children = new LinkedHashMap<>();
        for (BackupContents.Relation r : relations) {
            if (r.isTable()) {
                tables.put(r.qualifiedName(), r);
                if (r.parent() != null) {
                    children.computeIfAbsent(r.parent(), p -> new ArrayList<>()).add(r.qualifiedName());
                }
            }
        }
        Map<String, Node> nodes = new LinkedHashMap<>();
        for (String parent : children.keySet()) {
            if (tables.containsKey(parent)) {
                nodes.put(parent, node(parent, tables, children, rows));
            }
        }
        return nodes;
    }

    /**
     * One table of one database as a node: its tree when it has partitions or inheritance children, else a
     * single table; null when the relations do not hold it.
     */
    public static Node of(String table, List<BackupContents.Relation> relations, Map<String, Long> rows) {
        Map<String, Node> trees = of(relations, rows);
        if (trees.containsKey(table)) {
            return trees.get(table);
        }
        return relations.stream().filter(r -> r.isTable() && r.qualifiedName().equals(table)).findFirst()
                .map(r -> new Node(table, r.kind(), r.partitionBound(), r.rowEstimate(), rows.get(table),
                        r.sizeBytes(), List.of())).orElse(null);
    }

    private static Node node(String table, Map<String, BackupContents.Relation> tables,
            Map<String, List<String>> children, Map<String, Long> rows) {
        BackupContents.Relation r = tables.get(table);
        List<Node> below = new ArrayList<>();
        for (String child : children.getOrDefault(table, List.of())) {
            if (tables.containsKey(child)) {
                below.add(node(child, tables, children, rows));
            }
        }
        Long estimate = r.rowEstimate();
        Long exact = rows.get(table);
        if (!below.isEmpty()) {
            // a partitioned table holds no rows of its own; an inheritance parent does
            boolean partitioned = r.kind().equals("partitioned table");
            exact = sum(partitioned ? Long.valueOf(0) : exact, below.stream().map(Node::rows).toList());
            estimate = sum(partitioned ? Long.valueOf(0) : estimate, below.stream().map(Node::rowEstimate).toList());
        }
        return new Node(table, r.kind(), r.partitionBound(), estimate, exact, r.sizeBytes(), below);
    }

    private static Long sum(Long own, List<Long> values) {
        if (own == null || values.stream().anyMatch(java.util.Objects::isNull)) {
            return null;
        }
        return own + values.stream().mapToLong(Long::longValue).sum();
    }
}
