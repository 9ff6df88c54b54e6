package io.pgvault.extraction;

import io.pgvault.job.JobContext;
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
 * into the destination schema when there is one, and the selection's rows are counted: what the destination
 * must hold. pg_dump then dumps every definition and only the selection's rows (the others' are excluded by
 * name: nothing of them is touched, and no right to truncate them is needed).
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

    /**
     * The selection, the foreign keys of it that were left out, and the pg_dump patterns of the tables whose rows
     * stay behind (a recovered server holds them all): whole schemas where nothing is selected, else each table.
     */
    record Prepared(List<Selected> selection, List<String> droppedForeignKeys, List<String> rowsLeftBehind) {
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

    static Prepared prepare(Connection c, ExtractionPlan plan, boolean holdsAllRows, JobContext context)
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
                ScratchEdits.dropCrossingKeys(c, st, chosen, dropped, context);
                ScratchEdits.standAlone(st, selection, chosen, all, context);
            }
            if (plan.intoSchema() != null) {
                selection = ScratchEdits.move(c, st, plan, selection);
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
        List<String> leftBehind = new ArrayList<>();
        if (holdsAllRows && !plan.wholeDatabase()) {
            Set<String> selectedSchemas = new HashSet<>();
            selection.forEach(x -> selectedSchemas.add(x.destination().schema()));
            Set<String> schemas = new java.util.TreeSet<>();
            all.values().forEach(r -> schemas.add(r.schema));
            for (String schema : schemas) {
                if (!selectedSchemas.contains(schema)) {
                    leftBehind.add(Names.quote(schema) + ".*");
                }
            }
            for (Row r : all.values()) {
                if (!chosen.contains(r.oid) && r.kind == 'r' && selectedSchemas.contains(r.schema)) {
                    leftBehind.add(Names.quote(r.schema) + "." + Names.quote(r.name));
                }
            }
        }
        return new Prepared(selection, dropped, leftBehind);
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

    record Row(long oid, String schema, String name, char kind, String parentSchema, String parentName,
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

    static boolean exists(Connection c, String sql, String value) throws SQLException {
        try (PreparedStatement st = c.prepareStatement(sql)) {
            st.setString(1, value);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next();
            }
        }
    }
}
