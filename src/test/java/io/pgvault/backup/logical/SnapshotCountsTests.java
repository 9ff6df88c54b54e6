package io.pgvault.backup.logical;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.backup.TableRows;
import io.pgvault.job.Cancellation;
import io.pgvault.testing.PgCluster;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The counts a DUMP takes after its tool has ended, on a real server: in the dump's snapshot, and never a wrong
 * number for a table that someone truncated, dropped or locked once pg_dump's own locks were gone.
 */
class SnapshotCountsTests {

    @Test
    void countsInTheSnapshotAndLeavesOutWhatItCannotCountExactly() throws Exception {
        PgCluster pg = PgCluster.shared();
        String db = "counts_" + UUID.randomUUID().toString().substring(0, 8);
        pg.createDatabase(db);
        try {
            pg.execute(db, "create table kept (i int)", "insert into kept select generate_series(1, 3)",
                    "create table emptied (i int)", "insert into emptied select generate_series(1, 2)",
                    "create table dropped (i int)", "insert into dropped values (1)",
                    "create table locked (i int)", "insert into locked select generate_series(1, 4)",
                    "create table grown (i int)", "insert into grown values (1)",
                    "create table swapped (i int)", "insert into swapped values (1)",
                    "create table swapped_new (i int)", "insert into swapped_new select generate_series(1, 7)",
                    "create table parent (i int)", "insert into parent values (1)",
                    "create table child () inherits (parent)", "insert into child select generate_series(1, 5)",
                    "create table stable_parent (i int)", "insert into stable_parent values (1)",
                    "create table stable_child () inherits (stable_parent)", "insert into stable_child values (2)");
            List<String> notes = new ArrayList<>();
            List<TableRows> rows;
            try (Connection snapshot = pg.connect(db); Connection other = pg.connect(db);
                    Connection holder = pg.connect(db)) {
                snapshot.setAutoCommit(false);
                snapshot.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                try (Statement st = snapshot.createStatement(); ResultSet rs = st.executeQuery("select pg_export_snapshot()")) {
                    rs.next();
                }
                SnapshotCounts counts = SnapshotCounts.prepare(snapshot, List.of(relation(pg, db, "kept"),
                        relation(pg, db, "emptied"), relation(pg, db, "dropped"), relation(pg, db, "locked"),
                        relation(pg, db, "grown"), relation(pg, db, "swapped"), relation(pg, db, "parent"),
                        relation(pg, db, "stable_parent")), Duration.ofMillis(500));
                // what happens once pg_dump's locks are gone, before the counts
                try (Statement st = other.createStatement()) {
                    st.execute("insert into grown select generate_series(2, 50)");
                    st.execute("truncate emptied");
                    st.execute("drop table dropped");
                    st.execute("alter table swapped rename to swapped_old");
                    st.execute("alter table swapped_new rename to swapped");
                    st.execute("truncate child");
                    st.execute("insert into stable_child values (3)");
                }
                holder.setAutoCommit(false);
                try (Statement st = holder.createStatement()) {
                    st.execute("lock table locked in access exclusive mode");
                }
                rows = counts.count(Cancellation.none(), notes::add);
                holder.rollback();
                counts.close();
                assertThat(snapshot.isClosed()).isTrue();
            }
            // the snapshot's numbers: rows committed after it are not counted, an inheritance child's are
            assertThat(rows).containsExactlyInAnyOrder(new TableRows("public", "kept", 3),
                    new TableRows("public", "grown", 1), new TableRows("public", "stable_parent", 2));
            assertThat(String.join("\n", notes))
                    .contains("not counting public.emptied: it or an inheritance child was truncated")
                    .contains("not counting public.dropped").contains("not counting public.locked")
                    .contains("lock timeout")
                    .contains("not counting public.swapped: another table has its name")
                    .contains("not counting public.parent: it or an inheritance child was truncated");
        } finally {
            pg.dropDatabase(db);
        }
    }

    private static DumpSelection.Relation relation(PgCluster pg, String db, String table) {
        long oid = ((Number) pg.queryValue(db, "select 'public." + table + "'::regclass::oid::bigint")).longValue();
        return new DumpSelection.Relation(oid, "public", table, 'r', true);
    }
}
