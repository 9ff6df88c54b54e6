package io.pgvault.backup;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which entries of an archive restore a selection whole, where pg_restore's {@code --table} restores a table's
 * definition and rows and nothing else. Given the chosen entries (tables, or everything in chosen schemas), it
 * adds what belongs to them (indexes, constraints, defaults, triggers, policies, statistics, owned sequences,
 * comments, grants, their rows), the attach entries of partitions whose parent comes too, foreign keys whose
 * referenced table comes too (the others are left out and listed), and what they need that the destination
 * lacks (schemas, types, domains, functions, collations, sequences, extensions), asking the destination which
 * of those it has. A table they need that neither comes nor is there is reported, not guessed.
 */
public final class ArchiveSelection {

    /** Entries that belong to one table and go or stay with it. */
    private static final Set<String> SUBSIDIARY = Set.of("INDEX", "CONSTRAINT", "CHECK CONSTRAINT", "TRIGGER",
            "DEFAULT", "RULE", "POLICY", "ROW SECURITY", "STATISTICS");
    private static final Set<String> ATTACH = Set.of("TABLE ATTACH", "INDEX ATTACH");
    private static final Set<String> ANNOTATION = Set.of("COMMENT", "ACL", "SECURITY LABEL");
    private static final Set<String> DATA = Set.of("TABLE DATA", "SEQUENCE SET", "MATERIALIZED VIEW DATA");
    private static final Set<String> RELATIONS = Set.of("TABLE", "INDEX", "CONSTRAINT", "FK CONSTRAINT");
    /** Never part of a selection: they reach outside the database or hold what a selection does not name. */
    private static final Set<String> OUTSIDE = Set.of("DATABASE", "DATABASE PROPERTIES", "PUBLICATION",
            "PUBLICATION TABLE", "PUBLICATION TABLES IN SCHEMA", "SUBSCRIPTION", "SUBSCRIPTION TABLE", "BLOB",
            "BLOBS", "BLOB DATA", "BLOB METADATA", "LARGE OBJECT", "ENCODING", "STDSTRINGS", "SEARCHPATH");

    /** Asks the destination which of these objects it lacks. */
    @FunctionalInterface
    public interface Destination {
        Set<CatalogObjects.Ref> missing(Collection<CatalogObjects.Ref> refs) throws SQLException;
    }

    /**
     * The entries to restore in archive order, the objects brought along because the destination lacked them,
     * foreign keys left out, and tables the selection needs that neither come nor are there.
     */
    public record Result(List<ArchiveGraph.Node> entries, List<String> broughtAlong, List<String> droppedForeignKeys,
            List<String> missingTables) {

        /**
         * The schemas the entries live in that the archive does not create (a dump of named tables holds no
         * schemas): to be made, if missing, before they are restored.
         */
        public Set<String> schemasToMake(ArchiveGraph graph) {
            Set<String> created = new HashSet<>();
            graph.nodes().stream().filter(n -> n.is("SCHEMA")).forEach(n -> created.add(n.name()));
            Set<String> schemas = new java.util.TreeSet<>();
            entries.stream().map(ArchiveGraph.Node::schema).filter(x -> x != null && !created.contains(x)
                    && !x.equals("public") && !x.equals("pg_catalog")).forEach(schemas::add);
            return schemas;
        }

        /** A {@code --use-list} file's text. */
        public String list() {
            StringBuilder s = new StringBuilder();
            entries.forEach(e -> s.append(e.line()).append('\n'));
            return s.toString();
        }
    }

    private final ArchiveGraph graph;
    private final Set<Integer> kept = new LinkedHashSet<>();
    private final Set<Integer> chosen = new HashSet<>();
    private final List<String> brought = new ArrayList<>();
    private final Map<Integer, String> dropped = new LinkedHashMap<>();
    private final List<String> missingTables = new ArrayList<>();

    private ArchiveSelection(ArchiveGraph graph) {
        this.graph = graph;
    }

    /**
     * {@code chosen}: the entries asked for (tables, or all of chosen schemas; what belongs to a table is added
     * by the rules, whatever is passed). {@code definitions} and {@code data}: what of them to restore
     * (schemaOnly, dataOnly).
     */
    public static Result select(ArchiveGraph graph, Collection<ArchiveGraph.Node> chosen, boolean definitions,
            boolean data, Destination destination) throws SQLException {
        ArchiveSelection s = new ArchiveSelection(graph);
        chosen.stream().filter(n -> !OUTSIDE.contains(n.desc()) && !DATA.contains(n.desc())
                && !SUBSIDIARY.contains(n.desc()) && !ATTACH.contains(n.desc()) && !ANNOTATION.contains(n.desc())
                && !n.is("FK CONSTRAINT") && !n.is("SEQUENCE OWNED BY")).forEach(n -> s.chosen.add(n.id()));
        s.kept.addAll(s.chosen);
        s.belonging();
        if (definitions) {
            s.needs(destination);
            s.belonging();
            s.annotations();
        }
        Set<Integer> restored = new HashSet<>(definitions ? s.kept : Set.of());
        if (data) {
            for (ArchiveGraph.Node n : graph.nodes()) {
                if (DATA.contains(n.desc()) && n.deps().stream().anyMatch(s.kept::contains)) {
                    restored.add(n.id());
                }
            }
        }
        List<ArchiveGraph.Node> entries = graph.nodes().stream().filter(n -> restored.contains(n.id())).toList();
        return new Result(entries, List.copyOf(s.brought), definitions ? List.copyOf(s.dropped.values()) : List.of(),
                List.copyOf(s.missingTables));
    }

    /**
     * A dump of named tables restored whole on its own: pg_dump's {@code --table} writes no schemas, and a
     * partition named without its parent comes with an attach entry that names the missing parent. The list
     * leaves such attach entries out; {@code schemas} are the ones its entries live in and it does not create
     * (to be created first).
     */
    public record Alone(String list, Set<String> schemas) {
    }

    public static Alone alone(ArchiveGraph graph) {
        Set<String> created = new HashSet<>();
        graph.nodes().stream().filter(n -> n.is("SCHEMA")).forEach(n -> created.add(n.name()));
        Set<String> schemas = new java.util.TreeSet<>();
        StringBuilder list = new StringBuilder();
        for (ArchiveGraph.Node n : graph.nodes()) {
            if (n.schema() != null && !n.schema().equals("public") && !n.schema().equals("pg_catalog")
                    && !created.contains(n.schema()) && !OUTSIDE.contains(n.desc())) {
                schemas.add(n.schema());
            }
            if (ATTACH.contains(n.desc()) && graph.dependencies(n).stream().filter(ArchiveSelection::isRelation)
                    .map(ArchiveGraph.Node::id).distinct().count() < 2) {
                continue;
            }
            list.append(n.line()).append('\n');
        }
        return new Alone(list.toString(), schemas);
    }

    /** Adds what belongs to the kept tables, until nothing more does. */
    private void belonging() {
        boolean changed = true;
        while (changed) {
            changed = false;
            for (ArchiveGraph.Node n : graph.nodes()) {
                if (!kept.contains(n.id()) && belongs(n)) {
                    kept.add(n.id());
                    dropped.remove(n.id());
                    changed = true;
                }
            }
        }
    }

    private boolean belongs(ArchiveGraph.Node n) {
        List<ArchiveGraph.Node> deps = graph.dependencies(n);
        List<Integer> tables = deps.stream().filter(ArchiveSelection::isRelation).map(ArchiveGraph.Node::id)
                .distinct().toList();
        if (SUBSIDIARY.contains(n.desc()) || n.is("SEQUENCE")) {
            // a sequence with a table to depend on is owned by it (serial, identity) and goes with it; another
            // sequence is a need (below)
            return !tables.isEmpty() && kept.containsAll(tables);
        }
        if (n.is("SEQUENCE OWNED BY")) {
            return !deps.isEmpty() && deps.stream().allMatch(d -> kept.contains(d.id()) && ownedByKept(d));
        }
        if (ATTACH.contains(n.desc())) {
            // a partition's (or its index's) attach names its parent: only when the parent comes too. A dump that
            // did not hold the parent recorded no dependency on it, so one table alone is not enough.
            return tables.size() >= 2 && kept.containsAll(tables);
        }
        if (n.is("FK CONSTRAINT")) {
            boolean referenced = deps.stream().anyMatch(d -> d.is("CONSTRAINT") || d.is("INDEX"));
            if (referenced && deps.stream().filter(d -> RELATIONS.contains(d.desc()) || isRelation(d))
                    .allMatch(d -> kept.contains(d.id()))) {
                return true;
            }
            ArchiveGraph.Node own = deps.stream().filter(d -> isRelation(d) && java.util.Objects.equals(d.schema(),
                    n.schema()) && n.name() != null && n.name().startsWith(d.name() + " ")).findFirst().orElse(null);
            if (own != null && kept.contains(own.id())) {
                dropped.putIfAbsent(n.id(), own.schema() + "." + n.name());
            }
        }
        return false;
    }

    private static boolean isRelation(ArchiveGraph.Node d) {
        return d.is("TABLE") || d.is("MATERIALIZED VIEW") || d.is("FOREIGN TABLE");
    }

    private boolean ownedByKept(ArchiveGraph.Node sequence) {
        List<ArchiveGraph.Node> tables = graph.dependencies(sequence).stream().filter(ArchiveSelection::isRelation)
                .toList();
        return !tables.isEmpty() && tables.stream().allMatch(t -> kept.contains(t.id()));
    }

    /**
     * What the kept definitions need: objects the destination lacks come along (with what they need in turn);
     * a table that a chosen table needs (an inheritance parent, a row type) and the destination lacks is
     * reported. A partition needs no parent (its attach is apart); attach entries and foreign keys are not followed.
     */
    private void needs(Destination destination) throws SQLException {
        Set<Integer> partitions = partitions();
        Set<CatalogObjects.Ref> asked = new HashSet<>();
        while (true) {
            Map<CatalogObjects.Ref, ArchiveGraph.Node> wanted = new LinkedHashMap<>();
            Map<CatalogObjects.Ref, ArchiveGraph.Node> neededBy = new LinkedHashMap<>();
            for (int id : List.copyOf(kept)) {
                ArchiveGraph.Node n = graph.node(id);
                if (ATTACH.contains(n.desc()) || n.is("FK CONSTRAINT")) {
                    continue;
                }
                for (ArchiveGraph.Node d : graph.dependencies(n)) {
                    String kind = CatalogObjects.kindOf(d.desc());
                    if (kept.contains(d.id()) || d.name() == null || kind == null) {
                        continue;
                    }
                    CatalogObjects.Ref ref = new CatalogObjects.Ref(kind, kind.equals("schema")
                            || kind.equals("extension") ? null : d.schema(), d.name());
                    if (asked.contains(ref)) {
                        continue;
                    }
                    if (!kind.equals("table")) {
                        wanted.putIfAbsent(ref, d);
                    } else if (!partitions.contains(n.id()) && !SUBSIDIARY.contains(n.desc())) {
                        neededBy.putIfAbsent(ref, n);
                    }
                }
            }
            if (wanted.isEmpty() && neededBy.isEmpty()) {
                return;
            }
            Set<CatalogObjects.Ref> all = new LinkedHashSet<>(wanted.keySet());
            all.addAll(neededBy.keySet());
            asked.addAll(all);
            Set<CatalogObjects.Ref> missing = destination.missing(all);
            wanted.forEach((ref, node) -> {
                if (missing.contains(ref)) {
                    kept.add(node.id());
                    brought.add(ref.toString());
                }
            });
            neededBy.forEach((ref, by) -> {
                if (missing.contains(ref)) {
                    missingTables.add(ref + " (needed by " + (by.schema() == null ? "" : by.schema() + ".")
                            + by.name() + ")");
                }
            });
        }
    }

    /** The tables that an attach entry makes partitions (their definitions stand alone). */
    private Set<Integer> partitions() {
        Set<Integer> ids = new HashSet<>();
        for (ArchiveGraph.Node n : graph.nodes()) {
            if (n.is("TABLE ATTACH")) {
                graph.dependencies(n).stream().filter(d -> d.is("TABLE") && java.util.Objects.equals(d.name(),
                        n.name()) && java.util.Objects.equals(d.schema(), n.schema())).forEach(d -> ids.add(d.id()));
            }
        }
        return ids;
    }

    /** Comments, grants and security labels on what is kept. */
    private void annotations() {
        for (ArchiveGraph.Node n : graph.nodes()) {
            if (ANNOTATION.contains(n.desc()) && !n.deps().isEmpty() && n.deps().stream().allMatch(kept::contains)) {
                kept.add(n.id());
            }
        }
    }
}
