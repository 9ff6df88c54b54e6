package io.pgvault.proof;

import io.pgvault.cluster.ClusterAccess;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * amcheck on the proof's scratch server, once replay has ended: every B-tree index of every database with
 * {@code bt_index_check(index, heapallindexed => true)} and, from PostgreSQL 14, every table with
 * {@code verify_heapam}. The scratch server is a promoted throwaway copy, so the extension can be created in it
 * without touching the cluster; a standing standby (mode CONTINUOUS) is read-only, so there only the databases
 * where the source created the extension are checked, and the others are named. Corruption found here is already
 * in the backups and the archive: it is found before anyone needs them. A server without the amcheck extension
 * (binaries without contrib) says so.
 */
@Component
class IntegrityCheck {

    /** At most this many findings are kept: one broken index can report on every page. */
    private static final int MOST_FINDINGS = 20;

    private final ClusterAccess clusters;

    IntegrityCheck(ClusterAccess clusters) {
        this.clusters = clusters;
    }

    /** What the check found: counts, findings (empty: no corruption), and a note when it could not run. */
    record Result(int relations, int indexes, List<String> findings, String note, List<String> skipped) {

        Result(int relations, int indexes, List<String> findings, String note) {
            this(relations, indexes, findings, note, List.of());
        }

        String summary() {
            if (note != null) {
                return "amcheck not run: " + note;
            }
            return "amcheck: " + relations + " table(s) and " + indexes + " B-tree index(es) checked, "
                    + (findings.isEmpty() ? "no corruption" : findings.size() + " finding(s): "
                            + String.join("; ", findings))
                    + (skipped.isEmpty() ? "" : "; not checked (the amcheck extension is not created there, and a "
                            + "standby cannot create it: create it in the source): " + String.join(", ", skipped));
        }
    }

    Result check(String cluster, int port) {
        return check(cluster, port, false);
    }

    /**
     * {@code standby}: the server is a hot standby, read-only: it checks the databases where the source created the
     * extension and names the others.
     */
    Result check(String cluster, int port, boolean standby) {
        List<String> skipped = new ArrayList<>();
        List<String> databases = new ArrayList<>();
        int[] counts = {0, 0};
        List<String> findings = new ArrayList<>();
        try (Connection c = clusters.connectToLocalCopy(cluster, port); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("select datname from pg_database where datallowconn order by 1")) {
            while (rs.next()) {
                databases.add(rs.getString(1));
            }
        } catch (SQLException e) {
            return new Result(0, 0, List.of(), "the scratch server does not answer: " + e.getMessage());
        }
        for (String database : databases) {
            try (Connection c = clusters.connectToLocalCopy(cluster, port, database)) {
                try (Statement st = c.createStatement()) {
                    if (standby) {
                        try (ResultSet rs = st.executeQuery("select 1 from pg_extension where extname = 'amcheck'")) {
                            if (!rs.next()) {
                                skipped.add(database);
                                continue;
                            }
                        }
                    } else {
                        st.execute("create extension if not exists amcheck");
                    }
                }
                heap(c, database, counts, findings);
                indexes(c, database, counts, findings, standby ? skipped : null);
            } catch (SQLException e) {
                if (standby && replayInterfered(e)) {
                    skipped.add(database + " (replay interfered: " + e.getMessage() + ")");
                    continue;
                }
                if (e.getMessage() != null && e.getMessage().contains("amcheck")) {
                    return new Result(counts[0], counts[1], findings, "the amcheck extension is not installed with "
                            + "this PostgreSQL: " + e.getMessage());
                }
                findings.add(database + ": " + e.getMessage());
            }
        }
        return new Result(counts[0], counts[1], findings, null, skipped);
    }

    private static void heap(Connection c, String database, int[] counts, List<String> findings) throws SQLException {
        if (c.getMetaData().getDatabaseMajorVersion() < 14) {
            return; // verify_heapam came with PostgreSQL 14
        }
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("""
                select format('%I.%I', n.nspname, c.relname), v.blkno, v.offnum, v.msg, count(*) over () from pg_class c
                join pg_namespace n on n.oid = c.relnamespace
                left join lateral verify_heapam(c.oid) v on true
                where c.relkind in ('r', 'm', 't') and c.relpersistence = 'p'""")) {
            java.util.Set<String> tables = new java.util.HashSet<>();
            while (rs.next()) {
                tables.add(rs.getString(1));
                if (rs.getString(4) != null && findings.size() < MOST_FINDINGS) {
                    findings.add(database + "." + rs.getString(1) + " block " + rs.getLong(2) + " item "
                            + rs.getInt(3) + ": " + rs.getString(4));
                }
            }
            counts[0] += tables.size();
        }
    }

    /**
     * On a standby, replay may cancel a check that holds it up (a conflict with recovery), drop the relation under it
     * or end the session: that says nothing about the data, so it is a check not done, not a finding.
     */
    static boolean replayInterfered(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        return state.equals("40001") || state.equals("57P04") || state.equals("42P01") || state.startsWith("08");
    }

    /** {@code skipped}: on a standby, where indexes that replay kept from being checked are named; else null. */
    private static void indexes(Connection c, String database, int[] counts, List<String> findings,
            List<String> skipped) throws SQLException {
        List<String[]> found = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("""
                select c.oid::text, format('%I.%I', n.nspname, c.relname) from pg_index i
                join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
                join pg_am a on a.oid = c.relam
                where a.amname = 'btree' and c.relpersistence = 'p' and i.indisvalid and i.indisready""")) {
            while (rs.next()) {
                found.add(new String[] {rs.getString(1), rs.getString(2)});
            }
        }
        try (PreparedStatement check = c.prepareStatement("select bt_index_check(?::oid::regclass, true)")) {
            for (String[] index : found) {
                counts[1]++;
                try {
                    check.setString(1, index[0]);
                    check.execute();
                } catch (SQLException e) {
                    if (skipped != null && replayInterfered(e)) {
                        skipped.add(database + "." + index[1] + " (replay interfered)");
                    } else if (findings.size() < MOST_FINDINGS) {
                        findings.add(database + "." + index[1] + ": " + e.getMessage());
                    }
                }
            }
        }
    }
}
