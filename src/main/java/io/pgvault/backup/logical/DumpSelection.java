package io.pgvault.backup.logical;

import io.pgvault.backup.DumpSpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The tables a DUMP takes, resolved in the dump's own snapshot the way pg_dump resolves its patterns, with
 * every named table's tree: pg_dump 15's {@code --table} takes a partitioned table's definition and none of its
 * partitions (so none of its rows), and its {@code --exclude-table} leaves the parent out and keeps the
 * partitions (unrestorable). pgvault follows pg_dump 16's {@code --table-and-children} rule for every version:
 * naming a table (or a schema that holds it) in {@code tables}, {@code schemas}, {@code excludeTables} or
 * {@code excludeSchemas} takes or leaves its partitions at every level and its inheritance children, and it
 * passes each of them to pg_dump by exact name. A partition named on its own comes alone. A tree that a chosen
 * schema's table reaches into another schema brings that schema (its other tables excluded by name). The
 * selection's plain tables are the ones whose rows are counted for restore drills.
 */
final class DumpSelection {

    private static final String RELATIONS = """
            select c.oid, n.nspname, c.relname, c.relkind, c.relpersistence,
                   exists (select 1 from pg_catalog.pg_depend d where d.classid = c.tableoid and d.objid = c.oid
                           and d.deptype = 'e')
            from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('r', 'S', 'v', 'm', 'f', 'p')
              and n.nspname <> 'information_schema' and n.nspname not like 'pg\\_%'""";
    private static final String INHERITS = "select inhrelid, inhparent from pg_catalog.pg_inherits";
    private static final String TABLES = """
            select c.oid from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('r', 'S', 'v', 'm', 'f', 'p')
              and c.relname operator(pg_catalog.~) (?::text collate pg_catalog."default")
              and %s""";
    private static final String SCHEMAS = """
            select n.nspname from pg_catalog.pg_namespace n
            where n.nspname operator(pg_catalog.~) (?::text collate pg_catalog."default")""";

    /** A relation of the database. */
    record Relation(long oid, String schema, String name, char kind, boolean counted) {

        String exact() {
            return quote(schema) + "." + quote(name);
        }

        String qualified() {
            return schema + "." + name;
        }
    }

    private final List<String> arguments;
    private final List<Relation> counted;
    private final List<String> notes;

    private DumpSelection(List<String> arguments, List<Relation> counted, List<String> notes) {
        this.arguments = arguments;
        this.counted = counted;
        this.notes = notes;
    }

    /** pg_dump arguments to add to the spec's own: {@code --table}, {@code --exclude-table}, {@code --schema}. */
    List<String> arguments() {
        return arguments;
    }

    /** The plain tables whose rows the dump holds. */
    List<Relation> counted() {
        return counted;
    }

    /** What pgvault added and why, for the job log. */
    List<String> notes() {
        return notes;
    }

    static DumpSelection resolve(Connection snapshot, DumpSpec spec) throws SQLException {
        Map<Long, Relation> all = new LinkedHashMap<>();
        Map<Long, List<Long>> children = new HashMap<>();
        try (Statement st = snapshot.createStatement()) {
            try (ResultSet rs = st.executeQuery(RELATIONS)) {
                while (rs.next()) {
                    char kind = rs.getString(4).charAt(0);
                    all.put(rs.getLong(1), new Relation(rs.getLong(1), rs.getString(2), rs.getString(3), kind,
                            kind == 'r' && !"t".equals(rs.getString(5)) && !rs.getBoolean(6)));
                }
            }
            try (ResultSet rs = st.executeQuery(INHERITS)) {
                while (rs.next()) {
                    children.computeIfAbsent(rs.getLong(2), p -> new ArrayList<>()).add(rs.getLong(1));
                }
            }
        }
        Set<Long> named = tables(snapshot, spec.tables(), all);
        Set<Long> unnamed = tables(snapshot, spec.excludeTables(), all);
        Set<Long> left = tree(unnamed, children, all);
        Set<String> arguments = new LinkedHashSet<>();
        List<String> notes = new ArrayList<>();
        Set<Long> included;
        if (!spec.tables().isEmpty()) {
            // pg_dump ignores schema filters when tables are named
            included = tree(named, children, all);
            included.removeAll(left);
            for (long id : included) {
                if (!named.contains(id)) {
                    arguments.add("--table=" + all.get(id).exact());
                }
            }
            note(notes, named, included, all, "come with the named tables");
        } else {
            Set<String> chosen = spec.schemas().isEmpty() ? null : schemas(snapshot, spec.schemas());
            Set<String> refused = schemas(snapshot, spec.excludeSchemas());
            Set<Long> base = new LinkedHashSet<>();
            Set<Long> outOfSchema = new LinkedHashSet<>();
            all.values().forEach(r -> (chosen == null || chosen.contains(r.schema()) ? refused.contains(r.schema())
                    ? outOfSchema : base : outOfSchema).add(r.oid()));
            Set<Long> leftWithSchemas = tree(all.values().stream().filter(r -> refused.contains(r.schema()))
                    .map(Relation::oid).toList(), children, all);
            included = tree(base, children, all);
            included.removeAll(leftWithSchemas);
            included.removeAll(left);
            Set<String> reached = new TreeSet<>();
            for (long id : included) {
                if (outOfSchema.contains(id)) {
                    reached.add(all.get(id).schema());
                }
            }
            for (String schema : reached) {
                arguments.add("--schema=" + quote(schema));
                all.values().stream().filter(r -> r.schema().equals(schema) && !included.contains(r.oid()))
                        .forEach(r -> arguments.add("--exclude-table=" + r.exact()));
            }
            for (long id : leftWithSchemas) {
                if (base.contains(id)) {
                    arguments.add("--exclude-table=" + all.get(id).exact());
                }
            }
            note(notes, base, included, all, "in other schemas come with the chosen schemas' tables");
        }
        for (long id : left) {
            if (!unnamed.contains(id)) {
                arguments.add("--exclude-table=" + all.get(id).exact());
            }
        }
        note(notes, unnamed, left, all, "are left out with the excluded tables");
        List<Relation> counted = included.stream().map(all::get).filter(Relation::counted).toList();
        return new DumpSelection(List.copyOf(arguments), counted, notes);
    }

    /** One line naming the tree members that were not named themselves. */
    private static void note(List<String> notes, Set<Long> named, Set<Long> tree, Map<Long, Relation> all,
            String what) {
        List<String> extra = tree.stream().filter(id -> !named.contains(id)).map(id -> all.get(id).qualified())
                .toList();
        if (!extra.isEmpty()) {
            notes.add("pgvault: " + extra.size() + " partition(s) or inheritance child(ren) " + what
                    + " (pg_dump 16's --table-and-children rule, applied by pgvault): " + String.join(", ",
                            extra.subList(0, Math.min(20, extra.size()))) + (extra.size() > 20 ? ", ..." : ""));
        }
    }

    /** The roots and every relation below them through pg_inherits. */
    private static Set<Long> tree(Collection<Long> roots, Map<Long, List<Long>> children, Map<Long, Relation> all) {
        Set<Long> tree = new LinkedHashSet<>();
        Deque<Long> todo = new ArrayDeque<>(roots);
        while (!todo.isEmpty()) {
            long id = todo.pop();
            if (all.containsKey(id) && tree.add(id)) {
                todo.addAll(children.getOrDefault(id, List.of()));
            }
        }
        return tree;
    }

    /** The relations that pg_dump's table patterns match. */
    private static Set<Long> tables(Connection c, List<String> patterns, Map<Long, Relation> all)
            throws SQLException {
        Set<Long> found = new LinkedHashSet<>();
        for (String pattern : patterns) {
            DumpPatterns.Regex regex = DumpPatterns.table(pattern);
            if (regex == null) {
                continue;
            }
            String where = regex.schema() == null ? "pg_catalog.pg_table_is_visible(c.oid)"
                    : "n.nspname operator(pg_catalog.~) (?::text collate pg_catalog.\"default\")";
            try (PreparedStatement st = c.prepareStatement(TABLES.formatted(where))) {
                st.setString(1, regex.name());
                if (regex.schema() != null) {
                    st.setString(2, regex.schema());
                }
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        if (all.containsKey(rs.getLong(1))) {
                            found.add(rs.getLong(1));
                        }
                    }
                }
            }
        }
        return found;
    }

    /** The schemas that pg_dump's schema patterns match. */
    private static Set<String> schemas(Connection c, List<String> patterns) throws SQLException {
        Set<String> found = new LinkedHashSet<>();
        for (String pattern : patterns) {
            String regex = DumpPatterns.schema(pattern);
            if (regex == null) {
                continue;
            }
            try (PreparedStatement st = c.prepareStatement(SCHEMAS)) {
                st.setString(1, regex);
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        found.add(rs.getString(1));
                    }
                }
            }
        }
        return found;
    }

    private static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }
}
