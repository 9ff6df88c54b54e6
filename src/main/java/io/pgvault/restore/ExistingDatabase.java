package io.pgvault.restore;

import io.pgvault.api.ConflictException;
import io.pgvault.api.InvalidRequestException;
import io.pgvault.cluster.ClusterAccess;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Refuses a restore into an existing database that already holds what the restore would create. pg_restore
 * without {@code --clean} does not replace objects: it fails on each one that exists and, where a table has
 * no unique key, appends the backup's rows to the rows already there (77 rows became 154). "Not empty" is
 * what an operator would call it: any table, view, materialized view, sequence or foreign table outside the
 * system schemas ({@code pg_catalog}, {@code information_schema}, {@code pg_toast}, temporary schemas), or,
 * for a restore of named {@code tables}, a relation of one of those names (schema.table, with their trees). A fresh {@code CREATE DATABASE} is
 * empty. {@code clean} (drop and recreate the backup's objects) and {@code dataOnly} (load rows into the
 * tables that are there) are the two ways to restore into such a database on purpose.
 */
final class ExistingDatabase {

    private static final int EXAMPLES = 5;
    private static final String RELATIONS = """
            select n.nspname, c.relname, count(*) over ()
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
              and n.nspname not in ('pg_catalog', 'information_schema')
              and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp\\_%'
              and (cardinality(?::text[]) = 0 or n.nspname || '.' || c.relname = any (?::text[]))
            order by n.nspname, c.relname
            limit""" + " " + EXAMPLES;

    private ExistingDatabase() {
    }

    /** Throws {@link ConflictException} unless the restore into this existing database cannot clash. */
    static void checkRestorable(ClusterAccess clusters, String cluster, String database, RestoreSpec spec,
            boolean plain, List<String> tables) {
        if (spec.clean() || spec.dataOnly()) {
            return;
        }
        List<String> found = new ArrayList<>();
        long total = 0;
        try (Connection conn = clusters.connect(cluster, database);
                PreparedStatement st = conn.prepareStatement(RELATIONS)) {
            Array names = conn.createArrayOf("text", tables.toArray());
            st.setArray(1, names);
            st.setArray(2, names);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    found.add(rs.getString(1) + "." + rs.getString(2));
                    total = rs.getLong(3);
                }
            }
        } catch (SQLException e) {
            throw new InvalidRequestException("targetDatabase", "cannot read what database '" + database
                    + "' on cluster '" + cluster + "' holds: " + e.getMessage());
        }
        if (total == 0) {
            return;
        }
        String holds = total + (total == 1 ? " relation" : " relations") + " outside the system schemas"
                + (spec.tables().isEmpty() ? "" : " named like the tables to restore") + " ("
                + String.join(", ", found) + (total > found.size() ? ", ..." : "") + ")";
        throw new ConflictException("database '" + database + "' on cluster '" + cluster + "' is not empty: it "
                + "holds " + holds + "; a restore into it would fail on the existing objects and add the backup's "
                + "rows to the rows already there. " + (plain
                        ? "A PLAIN dump is replayed as is: restore it into a new database (\"createDatabase\": "
                                + "true) or an empty one"
                        : "Set \"clean\": true to drop and recreate the backup's objects, \"dataOnly\": true to "
                                + "load only rows into the existing tables, or restore into a new database "
                                + "(\"createDatabase\": true)"));
    }
}
