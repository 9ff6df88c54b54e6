package io.pgvault.extraction;

import io.pgvault.job.JobContext;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The selection made ready in the scratch copy (a throwaway, so it may be changed at will). The named tables
 * take their trees: every partition at every level and every inheritance child (pg_dump 16's
 * {@code --table-and-children} rule), wherever their schemas. A partition (or child) named without its parent
 * is detached from it, so that it comes as a table of its own and is never attached to a live parent. Foreign
 * keys that cross the selection's edge are dropped (those of selected tables are listed), the selection moves
 * into the destination schema when there is one, the rows of every other table go (a recovered copy holds
 * them all; pg_dump then dumps every definition and only the selection's rows), and the selection's rows are
 * counted: what the destination must hold.
 */
final class ScratchSelection {

    static final String TABLE_KINDS = "('r', 'p', 'm', 'f')";
    private static final String RELATION = """
            select c.oid, n.nspname, c.relname, c.relkind, p.nspname, p.relname, p.oid,
                   case when c.relispartition then pg_catalog.pg_get_expr(c.relpartbound, c.oid) end
            from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
            left join lateral (select pn.nspname, pc.relname, pc.oid from pg_catalog.pg_inherits i
                               join pg_catalog.pg_class pc on pc.oid = i.inhparent
                               join pg_catalog.pg_namespace pn on pn.oid = pc.relnamespace
                               where i.inhrelid = c.oid order by i.inhseqno limit 1) p on true
            where c.relkind in""" + " " + TABLE_KINDS + " and c.relpersistence <> 't' ";
    private static final String USER_SCHEMAS = "n.nspname <> 'information_schema' and n.nspname not like 'pg\\_%'";

    private ScratchSelection() {
    }

    /**
     * A table of the selection: its name in the source and in the destination, its kind, its parent in the
     * source (null: none) and partition bound, whether the request named it, and its rows in the scratch copy.
     */
    record Selected(long oid, Names.Qualified source, Names.Qualified destination, String kind, String parent,
            String bound, boolean named, Long rows) {

        Selected to(Names.Qualified where) {
            return new Selected(oid, source, where, kind, parent, bound, named, rows);
        }

        Selected counted(Long count) {
            return new Selected(oid, source, destination, kind, parent, bound, named, count);
        }

        /** A table whose rows are counted (a partitioned table holds none; a view's rows are a refresh away). */
        boolean holdsRows() {
            return kind.equals("table");
        }
    }

    /** The selection and the foreign keys of it that were left out. */
    record Prepared(List<Selected> selection, List<String> droppedForeignKeys) {
    }

    /** The tables the plan names (or all of its schemas, or all) and their trees, by oid, in the scratch copy. */
    private record Choice(Map<Long, Row> all, Set<Long> named, Set<Long> chosen) {
    }

    /** The names of the selection with its trees, before anything is changed (what a scratch database restores). */
    static Set<Names.Qualified> names(Connection c, ExtractionPlan plan) throws SQLException {
        Choice choice = choose(c, plan);
        Set<Names.Qualified> names = new HashSet<>();
        choice.chosen().forEach(id -> names.add(new Names.Qualified(choice.all().get(id).schema,
                choice.all().get(id).name)));
        return names;
    }

    private static Choice choose(Connection c, ExtractionPlan plan) throws SQLException {
        Map<Long, Row> all = relations(c);
        Map<Long, List<Long>> children = new HashMap<>();
        all.values().stream().filter(r -> r.parentOid != null)
                .forEach(r -> children.computeIfAbsent(r.parentOid, p -> new ArrayList<>()).add(r.oid));
        Set<Long> named = new java.util.LinkedHashSet<>();
        if (!plan.tables().isEmpty()) {
            for (Names.Qualified t : plan.tables()) {
                Row r = all.values().stream().filter(x -> x.schema.equals(t.schema()) && x.name.equals(t.name()))
                        .findFirst().orElseThrow(() -> new IllegalStateException("table " + t + " does not exist in "
                                + "database '" + plan.database() + "' at the recovered point; it was created later, or "
                                + "dropped earlier"));
                named.add(r.oid);
            }
        } else {
            for (String schema : plan.schemas()) {
                if (!exists(c, "select 1 from pg_catalog.pg_namespace where nspname = ?", schema)) {
                    throw new IllegalStateException("schema " + Names.part(schema) + " does not exist in database '"
                            + plan.database() + "' at the recovered point");
                }
            }
            all.values().stream().filter(r -> plan.wholeDatabase() || plan.schemas().contains(r.schema))
                    .forEach(r -> named.add(r.oid));
        }
        Set<Long> chosen = new java.util.LinkedHashSet<>();
        java.util.Deque<Long> todo = new java.util.ArrayDeque<>(named);
        while (!todo.isEmpty()) {
            long id = todo.pop();
            if (chosen.add(id)) {
                todo.addAll(children.getOrDefault(id, List.of()));
            }
        }
        return new Choice(all, named, chosen);
    }

    static Prepared prepare(Connection c, ExtractionPlan plan, boolean truncateOthers, JobContext context)
            throws SQLException {
        c.setAutoCommit(false);
        Choice choice = choose(c, plan);
        Map<Long, Row> all = choice.all();
        Set<Long> named = choice.named();
        Set<Long> chosen = choice.chosen();
        List<Selected> selection = new ArrayList<>();
        for (long id : chosen) {
            Row r = all.get(id);
            Names.Qualified q = new Names.Qualified(r.schema, r.name);
            selection.add(new Selected(id, q, q, kind(r.kind), r.parent(), r.bound, named.contains(id), null));
        }
        if (chosen.size() > named.size()) {
            context.log("pgvault: " + (chosen.size() - named.size()) + " partition(s) or inheritance child(ren) come "
                    + "with the selected tables");
        }
        List<String> dropped = new ArrayList<>();
        try (Statement st = c.createStatement()) {
            if (!plan.wholeDatabase()) {
                // keys first: one to (or from) a parent would stop a partition's detach
                dropCrossingKeys(c, st, chosen, dropped, context);
                standAlone(st, selection, chosen, all, context);
            }
            if (plan.intoSchema() != null) {
                selection = move(c, st, plan, selection);
            }
            if (truncateOthers && !plan.wholeDatabase()) {
                List<String> others = all.values().stream().filter(r -> !chosen.contains(r.oid) && r.kind == 'r')
                        .map(r -> "ONLY " + Names.quote(r.schema) + "." + Names.quote(r.name)).toList();
                for (int i = 0; i < others.size(); i += 500) {
                    st.execute("TRUNCATE " + String.join(", ", others.subList(i, Math.min(others.size(), i + 500))));
                }
            }
            List<Selected> counted = new ArrayList<>();
            for (Selected s : selection) {
                if (!s.holdsRows()) {
                    counted.add(s);
                    continue;
                }
                try (ResultSet rs = st.executeQuery("select count(*) from " + s.destination().sql())) {
                    rs.next();
                    counted.add(s.counted(rs.getLong(1)));
                }
            }
            selection = counted;
        }
        c.commit();
        return new Prepared(selection, dropped);
    }

    /** A selected table whose parent stays behind comes as a table of its own: detached, or no longer inheriting. */
    private static void standAlone(Statement st, List<Selected> selection, Set<Long> chosen, Map<Long, Row> all,
            JobContext context) throws SQLException {
        for (Selected s : selection) {
            Row r = all.get(s.oid());
            if (r.parentOid == null || chosen.contains(r.parentOid)) {
                continue;
            }
            Row parent = all.get(r.parentOid);
            String parentSql = Names.quote(parent.schema) + "." + Names.quote(parent.name);
            if (r.bound != null) {
                st.execute("ALTER TABLE " + parentSql + " DETACH PARTITION " + s.source().sql());
                context.log("pgvault: " + s.source() + " is a partition of " + parent.schema + "." + parent.name
                        + " (" + r.bound + "), which is not extracted: it comes as a table of its own");
            } else {
                try (ResultSet rs = st.executeQuery("select format('%I.%I', n.nspname, p.relname) from "
                        + "pg_catalog.pg_inherits i join pg_catalog.pg_class p on p.oid = i.inhparent join "
                        + "pg_catalog.pg_namespace n on n.oid = p.relnamespace where i.inhrelid = " + s.oid())) {
                    List<String> parents = new ArrayList<>();
                    while (rs.next()) {
                        parents.add(rs.getString(1));
                    }
                    for (String p : parents) {
                        st.execute("ALTER TABLE " + s.source().sql() + " NO INHERIT " + p);
                    }
                }
                context.log("pgvault: " + s.source() + " inherits from " + parent.schema + "." + parent.name
                        + ", which is not extracted: it comes as a table of its own");
            }
        }
    }

    /** Drops every foreign key with an end outside the selection; lists those of selected tables. */
    private static void dropCrossingKeys(Connection c, Statement st, Set<Long> chosen, List<String> dropped,
            JobContext context) throws SQLException {
        Array oids = c.createArrayOf("bigint", chosen.toArray());
        List<String[]> keys = new ArrayList<>();
        try (PreparedStatement fk = c.prepareStatement("select format('%I.%I', n.nspname, r.relname), k.conname, "
                + "fn.nspname || '.' || f.relname, n.nspname || '.' || r.relname, k.conrelid::bigint = any (?) "
                + "from pg_catalog.pg_constraint k join pg_catalog.pg_class r on r.oid = k.conrelid "
                + "join pg_catalog.pg_namespace n on n.oid = r.relnamespace "
                + "join pg_catalog.pg_class f on f.oid = k.confrelid "
                + "join pg_catalog.pg_namespace fn on fn.oid = f.relnamespace "
                + "where k.contype = 'f' and k.conparentid = 0 "
                + "and not (k.conrelid::bigint = any (?) and k.confrelid::bigint = any (?)) order by 1, 2")) {
            fk.setArray(1, oids);
            fk.setArray(2, oids);
            fk.setArray(3, oids);
            try (ResultSet rs = fk.executeQuery()) {
                while (rs.next()) {
                    keys.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            Boolean.toString(rs.getBoolean(5))});
                }
            }
        }
        for (String[] k : keys) {
            st.execute("ALTER TABLE " + k[0] + " DROP CONSTRAINT IF EXISTS " + Names.quote(k[1]));
            if (Boolean.parseBoolean(k[4])) {
                dropped.add(k[3] + " " + k[1] + " (references " + k[2] + ")");
                context.log("pgvault: left out foreign key " + k[1] + " of " + k[3] + ": it references " + k[2]
                        + ", which is not extracted");
            }
        }
    }

    /** Into the destination schema: a selected schema takes its name, selected tables move into it. */
    private static List<Selected> move(Connection c, Statement st, ExtractionPlan plan, List<Selected> selection)
            throws SQLException {
        String into = plan.intoSchema();
        String from = plan.schemas().isEmpty() ? null : plan.schemas().get(0);
        if (from != null && !from.equals(into)) {
            if (exists(c, "select 1 from pg_catalog.pg_namespace where nspname = ?", into)) {
                throw new IllegalStateException("schema " + Names.part(into) + " exists in the recovered database "
                        + "too, so schema " + Names.part(from) + " cannot take its name there; choose another "
                        + "into.schema");
            }
            st.execute("ALTER SCHEMA " + Names.quote(from) + " RENAME TO " + Names.quote(into));
        } else if (from == null) {
            st.execute("CREATE SCHEMA IF NOT EXISTS " + Names.quote(into));
        }
        Map<String, Names.Qualified> taken = new HashMap<>();
        for (Selected s : selection) {
            Names.Qualified other = taken.put(s.source().name(), s.source());
            if (other != null) {
                throw new IllegalStateException("two tables to extract are named '" + s.source().name() + "' ("
                        + other + " and " + s.source() + "); they cannot both go into schema " + Names.part(into)
                        + ": name into.database instead (tables keep their schemas there)");
            }
        }
        List<Selected> moved = new ArrayList<>();
        for (Selected s : selection) {
            boolean inSchema = from != null && s.source().schema().equals(from);
            if (!inSchema && !s.source().schema().equals(into)) {
                st.execute("ALTER " + (s.kind().equals("partitioned table") ? "table" : s.kind()).toUpperCase() + " "
                        + s.source().sql() + " SET SCHEMA " + Names.quote(into));
            }
            moved.add(s.to(new Names.Qualified(into, s.source().name())));
        }
        return moved;
    }

    private static Map<Long, Row> relations(Connection c) throws SQLException {
        Map<Long, Row> all = new LinkedHashMap<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(RELATION + "and " + USER_SCHEMAS
                + " order by 2, 3")) {
            while (rs.next()) {
                all.put(rs.getLong(1), new Row(rs.getLong(1), rs.getString(2), rs.getString(3),
                        rs.getString(4).charAt(0), rs.getString(5), rs.getString(6),
                        rs.getObject(7) == null ? null : rs.getLong(7), rs.getString(8)));
            }
        }
        return all;
    }

    private record Row(long oid, String schema, String name, char kind, String parentSchema, String parentName,
            Long parentOid, String bound) {

        String parent() {
            return parentName == null ? null : new Names.Qualified(parentSchema, parentName).toString();
        }
    }

    static String kind(char relkind) {
        return switch (relkind) {
            case 'm' -> "materialized view";
            case 'f' -> "foreign table";
            case 'p' -> "partitioned table";
            default -> "table";
        };
    }

    private static boolean exists(Connection c, String sql, String value) throws SQLException {
        try (PreparedStatement st = c.prepareStatement(sql)) {
            st.setString(1, value);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next();
            }
        }
    }
}
