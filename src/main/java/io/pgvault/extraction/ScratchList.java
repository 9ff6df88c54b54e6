package io.pgvault.extraction;

import io.pgvault.backup.ArchiveGraph;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The entries of a DUMP that a scratch database gets, in three passes: every definition (cheap, and what the
 * selection may need), then the selection's rows with the indexes and constraints, then the foreign keys of the
 * selected tables apart (a key to a table whose rows were left out fails its check, and stays out as keys to
 * tables left behind do in any extraction). Nothing that reaches outside the database (its own properties and
 * comment, publications, subscriptions) is restored, nor large objects unless the whole database is extracted.
 */
final class ScratchList {

    private static final Set<String> OUTSIDE = Set.of("DATABASE", "DATABASE PROPERTIES", "PUBLICATION",
            "PUBLICATION TABLE", "PUBLICATION TABLES IN SCHEMA", "SUBSCRIPTION", "SUBSCRIPTION TABLE");
    private static final Set<String> LARGE_OBJECTS = Set.of("BLOB", "BLOBS", "BLOB DATA", "BLOB METADATA",
            "LARGE OBJECT");
    private static final Set<String> DATA = Set.of("TABLE DATA", "MATERIALIZED VIEW DATA");

    private ScratchList() {
    }

    /** The first pass (run with {@code --section=pre-data}). */
    static String definitions(ArchiveGraph graph, boolean whole) {
        return list(graph, n -> kept(graph, n, whole) && !DATA.contains(n.desc()));
    }

    /** The second pass (run with {@code --section=data --section=post-data}): the chosen tables' rows and the rest. */
    static String rows(ArchiveGraph graph, boolean whole, Set<Names.Qualified> chosen) {
        return list(graph, n -> kept(graph, n, whole) && (whole || !n.is("FK CONSTRAINT")) && (!DATA.contains(n.desc())
                || whole || (n.name() != null && chosen.contains(new Names.Qualified(n.schema(), n.name())))));
    }

    /** The third pass: the foreign keys of the chosen tables (none for a whole database: they came before). */
    static String keys(ArchiveGraph graph, boolean whole, Set<Names.Qualified> chosen) {
        if (whole) {
            return "";
        }
        return list(graph, n -> n.is("FK CONSTRAINT") && graph.dependencies(n).stream().anyMatch(t -> t.is("TABLE")
                && Objects.equals(t.schema(), n.schema()) && n.name() != null && n.name().startsWith(t.name() + " ")
                && chosen.contains(new Names.Qualified(t.schema(), t.name()))));
    }

    private static boolean kept(ArchiveGraph graph, ArchiveGraph.Node n, boolean whole) {
        boolean databaseLevel = (n.is("COMMENT") || n.is("SECURITY LABEL") || n.is("ACL")) && n.name() != null
                && n.name().startsWith("DATABASE ");
        // a dump of named tables may hold a partition's attach to a parent it does not hold
        boolean orphanAttach = (n.is("TABLE ATTACH") || n.is("INDEX ATTACH")) && graph.dependencies(n).stream()
                .filter(d -> d.is("TABLE")).map(ArchiveGraph.Node::id).distinct().count() < 2;
        return !OUTSIDE.contains(n.desc()) && !databaseLevel && !orphanAttach
                && (whole || !LARGE_OBJECTS.contains(n.desc()));
    }

    private static String list(ArchiveGraph graph, Predicate<ArchiveGraph.Node> keep) {
        StringBuilder s = new StringBuilder();
        List<ArchiveGraph.Node> nodes = graph.nodes();
        nodes.stream().filter(keep).forEach(n -> s.append(n.line()).append('\n'));
        return s.toString();
    }
}
