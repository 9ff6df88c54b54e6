package io.pgvault.backup.logical;

import io.pgvault.backup.BackupRunner;
import io.pgvault.backup.TableRows;
import io.pgvault.job.JobCancelledException;
import io.pgvault.job.Cancellation;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exact row counts of a dump's tables, in the snapshot pg_dump read, counted after pg_dump has ended: nothing
 * then competes with the tool for CPU, and the backup is stored and SUCCEEDED before the counts begin.
 *
 * <p>pg_dump's locks end with it, so before a table is counted two things are ruled out that would make a count
 * in the old snapshot wrong or stuck:
 * <ul>
 *   <li>an MVCC-unsafe rewrite committed since the snapshot (TRUNCATE, a rewriting ALTER TABLE): the old
 *   snapshot would see the new, empty or rewritten file. The table's file node read when the snapshot was taken
 *   must still be its file node once the count holds its lock; otherwise the table is left out, not counted;</li>
 *   <li>a lock held by someone else (an ALTER or a DROP in a long transaction): each count waits at most
 *   {@code lockTimeout}, in a savepoint of its own, and a table it cannot lock in time is left out.</li>
 * </ul>
 * A table left out has no recorded count: a drill then does not compare it, which is weaker than a comparison
 * but never a false alarm. Counting runs in one backend with no parallel workers, as pgvault's own background
 * work should.
 */
final class SnapshotCounts implements BackupRunner.LaterRows {

    private static final Logger log = LoggerFactory.getLogger(SnapshotCounts.class);

    private final Connection snapshot;
    private final List<DumpSelection.Relation> tables;
    private final Map<Long, Long> fileNodes;
    private final Duration lockTimeout;

    private SnapshotCounts(Connection snapshot, List<DumpSelection.Relation> tables, Map<Long, Long> fileNodes,
            Duration lockTimeout) {
        this.snapshot = snapshot;
        this.tables = tables;
        this.fileNodes = fileNodes;
        this.lockTimeout = lockTimeout;
    }

    /**
     * Notes each table's file node in the snapshot's session (in its open transaction, before the dump starts);
     * the counting itself happens in {@link #count}. Takes over nothing: the caller still owns {@code snapshot}
     * until it hands this object on.
     */
    static SnapshotCounts prepare(Connection snapshot, List<DumpSelection.Relation> tables, Duration lockTimeout)
            throws SQLException {
        Map<Long, Long> nodes = fileNodes(snapshot, tables);
        return new SnapshotCounts(snapshot, List.copyOf(tables), nodes, lockTimeout);
    }

    @Override
    public List<TableRows> count(Cancellation cancellation, Consumer<String> notes) {
        List<TableRows> rows = new ArrayList<>();
        try (Statement st = snapshot.createStatement()) {
            st.execute("set local lock_timeout = " + Math.max(1, lockTimeout.toMillis()));
            for (DumpSelection.Relation t : tables) {
                cancellation.throwIfCancelled();
                Savepoint each = snapshot.setSavepoint();
                try {
                    long n;
                    try (ResultSet c = st.executeQuery("select count(*) from " + t.exact())) {
                        c.next();
                        n = c.getLong(1);
                    }
                    // the count holds its lock until the transaction ends: the file node read now is the one it read
                    Long now = fileNodes(snapshot, List.of(t)).get(t.oid());
                    if (!Objects.equals(now, fileNodes.get(t.oid()))) {
                        notes.accept("pgvault: not counting " + t.qualified() + ": it was truncated or rewritten "
                                + "after the dump's snapshot, so that snapshot no longer shows its rows");
                    } else {
                        rows.add(new TableRows(t.schema(), t.name(), n));
                    }
                    snapshot.releaseSavepoint(each);
                } catch (SQLException e) {
                    snapshot.rollback(each);
                    notes.accept("pgvault: not counting " + t.qualified() + ": " + e.getMessage());
                }
            }
        } catch (SQLException e) {
            notes.accept("pgvault: could not count rows for restore drills: " + e.getMessage());
            return List.of();
        } catch (JobCancelledException e) {
            notes.accept("pgvault: counting rows for restore drills was cancelled; the backup is stored, and drills "
                    + "of it compare no counts");
            return List.of();
        }
        return rows;
    }

    @Override
    public void close() {
        try {
            snapshot.rollback();
        } catch (SQLException e) {
            log.debug("ending the dump's snapshot: {}", e.getMessage());
        }
        try {
            snapshot.close();
        } catch (SQLException e) {
            log.debug("closing the dump's snapshot session: {}", e.getMessage());
        }
    }

    /** Each table's file node as the catalog says now (null for a table gone, or one without storage). */
    private static Map<Long, Long> fileNodes(Connection c, List<DumpSelection.Relation> tables) throws SQLException {
        Map<Long, Long> nodes = new HashMap<>();
        if (tables.isEmpty()) {
            return nodes;
        }
        Long[] oids = tables.stream().map(DumpSelection.Relation::oid).toArray(Long[]::new);
        try (PreparedStatement ps = c.prepareStatement(
                "select o, pg_catalog.pg_relation_filenode(o::pg_catalog.regclass) from pg_catalog.unnest(?::oid[]) o")) {
            Array array = c.createArrayOf("bigint", oids);
            ps.setArray(1, array);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long node = rs.getLong(2);
                    nodes.put(rs.getLong(1), rs.wasNull() ? null : node);
                }
            }
        }
        return nodes;
    }
}
