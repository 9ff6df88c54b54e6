package io.pgvault.verification;

import io.pgvault.cluster.SanityQuery;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/** Runs a cluster's sanity queries, read-only, against a restored copy and says which failed. */
final class SanityChecks {

    /** Opens a connection to a database of the restored copy. */
    interface Connector {
        Connection open(String database) throws SQLException;
    }

    private SanityChecks() {
    }

    /** {@code database} picks each query's database (its own, or where the restore went). */
    static void run(List<SanityQuery> queries, java.util.function.Function<SanityQuery, String> database,
            Connector connector, List<String> problems, List<String> findings) {
        if (queries == null || queries.isEmpty()) {
            return;
        }
        int passed = 0;
        for (SanityQuery q : queries) {
            String got;
            try (Connection c = connector.open(database.apply(q))) {
                c.setReadOnly(true);
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(q.sql())) {
                    got = rs.next() ? rs.getString(1) : null;
                }
            } catch (SQLException e) {
                problems.add("sanity query '" + q.name() + "' failed: " + e.getMessage());
                continue;
            }
            if (q.expect() != null && !q.expect().equals(got)) {
                problems.add("sanity query '" + q.name() + "' returned " + got + ", expected " + q.expect());
            } else {
                passed++;
            }
        }
        if (passed == queries.size()) {
            findings.add(passed + " sanity quer" + (passed == 1 ? "y" : "ies") + " passed");
        }
    }
}
