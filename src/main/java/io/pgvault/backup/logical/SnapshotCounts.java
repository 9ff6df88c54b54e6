package io.pgvault.backup.logical;

import io.pgvault.backup.BackupRunner;
import io.pgvault.backup.TableRows;
import io.pgvault.job.JobCancelledException;
import io.pgvault.job.Cancellation;
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
 * <p>pg_dump's locks end with it, so before a count is recorded three things are ruled out that would make a
 * count in the old snapshot wrong or stuck:
 * <ul>
 *   <li>an MVCC-unsafe rewrite committed since the snapshot (TRUNCATE, a rewriting ALTER TABLE) of the table or
 *   of an inheritance child its count includes: the old snapshot would see the new, empty or rewritten file. The
 *   file nodes of the table and of all its inheritance descendants, read when the snapshot was taken, must be
 *   theirs still once the count holds its locks (a child dropped, added or detached changes them too);</li>
 *   <li>another table under the name (a rename swap): the name counted must still be the table's oid;</li>
 *   <li>a lock held by someone else (an ALTER or a DROP in a long transaction): each count waits at most
 *   {@code lockTimeout}, in a savepoint of its own.</li>
 * </ul>
 * A table left out has no recorded count (the job log says why): a drill then does not compare it, which is
 * weaker than a comparison but never a false alarm. Counting runs in one backend with no parallel workers, as
 * pgvault's own background work should; a cancelled job cancels the count that runs.
 */
final class SnapshotCounts implements BackupRunner.LaterRows {

    private static final Logger log = LoggerFactory.getLogger(SnapshotCounts.class);

    private final Connection snapshot;
    private final List<DumpSelection.Relation> tables;
    private final Map<Long, String> storage;
    private final Duration lockTimeout;

    private SnapshotCounts(Connection snapshot, List<DumpSelection.Relation> tables, Map<Long, String> storage,
            Duration lockTimeout) {
        this.snapshot = snapshot;
        this.tables = tables;
        this.storage = storage;
        this.lockTimeout = lockTimeout;
    }

    /**
     * Notes each table's storage (its file nodes and its descendants') in the snapshot's session (in its open transaction, before the dump starts);
     * the counting itself happens in {@link #count}. Takes over nothing: the caller still owns {@code snapshot}
     * until it hands this object on.
     */
    static SnapshotCounts prepare(Connection snapshot, List<DumpSelection.Relation> tables, Duration lockTimeout)
            throws SQLException {
        return new SnapshotCounts(snapshot, List.copyOf(tables), storage(snapshot, tables), lockTimeout);
    }

    @Override
    public List<TableRows> count(Cancellation cancellation, Consumer<String> notes) {
        List<TableRows> rows = new ArrayList<>();
        try (Statement st = snapshot.createStatement();
                AutoCloseable cancel = cancellation.onCancel(() -> cancel(st))) {
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
                    // the count holds its locks until the transaction ends: what is read now is what it counted
                    String why = changed(t);
                    if (why != null) {
                        notes.accept("pgvault: not counting " + t.qualified() + ": " + why);
                    } else {
                        rows.add(new TableRows(t.schema(), t.name(), n));
                    }
                    snapshot.releaseSavepoint(each);
                } catch (SQLException e) {
                    cancellation.throwIfCancelled();
                    snapshot.rollback(each);
                    snapshot.releaseSavepoint(each);
                    notes.accept("pgvault: not counting " + t.qualified() + ": " + e.getMessage());
                }
            }
        } catch (JobCancelledException e) {
            notes.accept("pgvault: counting rows for restore drills was cancelled; the backup is stored, and "
                    + "drills of it compare no counts");
            return List.of();
        } catch (Exception e) {
            notes.accept("pgvault: could not count rows for restore drills: " + e.getMessage());
            return List.of();
        }
        return rows;
    }

    /** Why the count of {@code t} in the snapshot is not its rows there, or null when it is. */
    private String changed(DumpSelection.Relation t) throws SQLException {
        try (PreparedStatement ps = snapshot.prepareStatement("select pg_catalog.to_regclass(?)::oid")) {
            ps.setString(1, t.exact());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getLong(1) != t.oid()) {
                    return "another table has its name since the dump's snapshot";
                }
            }
        }
        if (!Objects.equals(storage(snapshot, List.of(t)).get(t.oid()), storage.get(t.oid()))) {
            return "it or an inheritance child was truncated, rewritten, dropped, added or detached after the "
                    + "dump's snapshot, so that snapshot no longer shows its rows";
        }
        return null;
    }

    private static void cancel(Statement st) {
        try {
            st.cancel();
        } catch (SQLException e) {
            log.debug("cancelling a count: {}", e.getMessage());
        }
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

    /**
     * Each table's storage as the catalog says now: the file nodes of the table and of every inheritance descendant
     * (a count without ONLY includes them), as one comparable text.
     */
    private static Map<Long, String> storage(Connection c, List<DumpSelection.Relation> tables) throws SQLException {
        Map<Long, String> found = new HashMap<>();
        if (tables.isEmpty()) {
            return found;
        }
        Long[] oids = tables.stream().map(DumpSelection.Relation::oid).toArray(Long[]::new);
        try (PreparedStatement ps = c.prepareStatement("""
                with recursive tree(root, rel) as (
                    select o, o from pg_catalog.unnest(?::pg_catalog.oid[]) o
                  union
                    select t.root, i.inhrelid from tree t join pg_catalog.pg_inherits i on i.inhparent = t.rel)
                select root, pg_catalog.string_agg(rel::text || ':'
                        || coalesce(pg_catalog.pg_relation_filenode(rel::pg_catalog.regclass)::text, '-'), ','
                        order by rel)
                from tree group by root""")) {
            ps.setArray(1, c.createArrayOf("bigint", oids));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    found.put(rs.getLong(1), rs.getString(2));
                }
            }
        }
        return found;
    }
}
