package io.pgvault.restore;

import io.pgvault.api.EditDistance;
import io.pgvault.api.InvalidRequestException;
import io.pgvault.backup.ArchiveGraph;
import io.pgvault.backup.BackupContents;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The tables a restore's {@code tables} names, with their trees. A name is {@code schema.table}, or a bare table
 * name that means that table in every schema (as pg_restore's {@code --table} does). A partitioned table (or an
 * inheritance parent) brings every partition at every level and every inheritance child, as pg_dump 16's
 * {@code --table-and-children} does; a partition named alone comes alone. The tree is the one recorded in the
 * backup's contents; for a backup recorded before pgvault kept parents, a partition's attach entry in the
 * archive tells its parent.
 */
final class TableChoice {

    /** A chosen table; {@code named}: the request named it (else it came with a named table's tree). */
    record Chosen(BackupContents.Relation relation, boolean named) {

        String qualified() {
            return relation.qualifiedName();
        }
    }

    private TableChoice() {
    }

    /** The named tables and their trees, in the contents' order; an unknown name is refused. */
    static List<Chosen> resolve(List<String> names, List<BackupContents.Relation> contents, ArchiveGraph graph) {
        Map<String, BackupContents.Relation> tables = new LinkedHashMap<>();
        contents.stream().filter(BackupContents.Relation::isTable).forEach(r -> tables.put(r.qualifiedName(), r));
        Map<String, List<String>> children = children(tables, graph);
        Set<String> named = new LinkedHashSet<>();
        for (String name : names) {
            List<String> found = tables.values().stream().filter(r -> r.qualifiedName().equals(name)
                    || r.table().equals(name)).map(BackupContents.Relation::qualifiedName).toList();
            if (found.isEmpty()) {
                throw new InvalidRequestException("tables", "there is no table " + name + " in the backup"
                        + didYouMean(name, tables.keySet()));
            }
            named.addAll(found);
        }
        Set<String> chosen = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>(named);
        while (!todo.isEmpty()) {
            String t = todo.pop();
            if (chosen.add(t)) {
                todo.addAll(children.getOrDefault(t, List.of()));
            }
        }
        List<Chosen> result = new ArrayList<>();
        tables.forEach((q, r) -> {
            if (chosen.contains(q)) {
                result.add(new Chosen(r, named.contains(q)));
            }
        });
        return result;
    }

    /** Each table's partitions and inheritance children: recorded parents, else the archive's attach entries. */
    private static Map<String, List<String>> children(Map<String, BackupContents.Relation> tables,
            ArchiveGraph graph) {
        Map<String, List<String>> children = new LinkedHashMap<>();
        for (BackupContents.Relation r : tables.values()) {
            if (r.parent() != null) {
                children.computeIfAbsent(r.parent(), p -> new ArrayList<>()).add(r.qualifiedName());
            }
        }
        if (graph != null) {
            for (ArchiveGraph.Node attach : graph.nodes()) {
                if (!attach.is("TABLE ATTACH")) {
                    continue;
                }
                List<ArchiveGraph.Node> deps = graph.dependencies(attach).stream().filter(d -> d.is("TABLE")).toList();
                ArchiveGraph.Node child = deps.stream().filter(d -> Objects.equals(d.name(), attach.name())
                        && Objects.equals(d.schema(), attach.schema())).findFirst().orElse(null);
                ArchiveGraph.Node parent = deps.stream().filter(d -> d != child).findFirst().orElse(null);
                if (child != null && parent != null) {
                    List<String> list = children.computeIfAbsent(parent.schema() + "." + parent.name(),
                            p -> new ArrayList<>());
                    String q = child.schema() + "." + child.name();
                    if (!list.contains(q)) {
                        list.add(q);
                    }
                }
            }
        }
        return children;
    }

    private static String didYouMean(String wanted, Set<String> known) {
        int limit = Math.max(2, wanted.length() / 3);
        Map<String, Integer> distance = new LinkedHashMap<>();
        for (String k : known) {
            String bare = k.substring(k.indexOf('.') + 1);
            int d = Math.min(EditDistance.between(wanted.toLowerCase(), k.toLowerCase()),
                    EditDistance.between(wanted.toLowerCase(), bare.toLowerCase()));
            if (d <= limit) {
                distance.put(k, d);
            }
        }
        List<String> close = distance.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue()
                .thenComparing(Map.Entry.comparingByKey())).limit(3).map(Map.Entry::getKey).toList();
        return close.isEmpty() ? "" : "; did you mean " + String.join(" or ", close) + "?";
    }
}
