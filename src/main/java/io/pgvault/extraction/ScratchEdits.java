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
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The changes an extraction makes to its scratch copy (a throwaway) so that the dump of it holds the selection
 * as it should land: foreign keys across the selection's edge dropped, a partition (or inheritance child) named
 * without its parent made a table of its own, the selection moved into the destination schema.
 */
final class ScratchEdits {

    private ScratchEdits() {
    }

    /** A selected table whose parent stays behind comes as a table of its own: detached, or no longer inheriting. */
    static void standAlone(Statement st, List<ScratchSelection.Selected> selection, Set<Long> chosen,
            Map<Long, ScratchSelection.Row> all,
            JobContext context) throws SQLException {
        for (ScratchSelection.Selected s : selection) {
            ScratchSelection.Row r = all.get(s.oid());
            if (r.parentOid() == null || chosen.contains(r.parentOid())) {
                continue;
            }
            ScratchSelection.Row parent = all.get(r.parentOid());
            String parentSql = Names.quote(parent.schema()) + "." + Names.quote(parent.name());
            if (r.bound() != null) {
                st.execute("ALTER TABLE " + parentSql + " DETACH PARTITION " + s.source().sql());
                context.log("pgvault: " + s.source() + " is a partition of " + parent.schema() + "." + parent.name()
                        + " (" + r.bound() + "), which is not extracted: it comes as a table of its own");
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
                context.log("pgvault: " + s.source() + " inherits from " + parent.schema() + "." + parent.name()
                        + ", which is not extracted: it comes as a table of its own");
            }
        }
    }

    /** Drops every foreign key with an end outside the selection; lists those of selected tables. */
    static void dropCrossingKeys(Connection c, Statement st, Set<Long> chosen, List<String> dropped,
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
    static List<ScratchSelection.Selected> move(Connection c, Statement st, ExtractionPlan plan,
            List<ScratchSelection.Selected> selection)
            throws SQLException {
        String into = plan.intoSchema();
        String from = plan.schemas().isEmpty() ? null : plan.schemas().get(0);
        if (from != null && !from.equals(into)) {
            if (ScratchSelection.exists(c, "select 1 from pg_catalog.pg_namespace where nspname = ?", into)) {
                throw new IllegalStateException("schema " + Names.part(into) + " exists in the recovered database "
                        + "too, so schema " + Names.part(from) + " cannot take its name there; choose another "
                        + "into.schema");
            }
            st.execute("ALTER SCHEMA " + Names.quote(from) + " RENAME TO " + Names.quote(into));
        } else if (from == null) {
            st.execute("CREATE SCHEMA IF NOT EXISTS " + Names.quote(into));
        }
        Map<String, Names.Qualified> taken = new HashMap<>();
        for (ScratchSelection.Selected s : selection) {
            Names.Qualified other = taken.put(s.source().name(), s.source());
            if (other != null) {
                throw new IllegalStateException("two tables to extract are named '" + s.source().name() + "' ("
                        + other + " and " + s.source() + "); they cannot both go into schema " + Names.part(into)
                        + ": name into.database instead (tables keep their schemas there)");
            }
        }
        List<ScratchSelection.Selected> moved = new ArrayList<>();
        for (ScratchSelection.Selected s : selection) {
            boolean inSchema = from != null && s.source().schema().equals(from);
            if (!inSchema && !s.source().schema().equals(into)) {
                st.execute("ALTER " + (s.kind().equals("partitioned table") ? "table" : s.kind()).toUpperCase() + " "
                        + s.source().sql() + " SET SCHEMA " + Names.quote(into));
            }
            moved.add(s.to(new Names.Qualified(into, s.source().name())));
        }
        return moved;
    }
}
