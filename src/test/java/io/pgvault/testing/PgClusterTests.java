package io.pgvault.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The harness itself: real clusters, the fixture, fingerprints, password roles and the lifecycle. */
class PgClusterTests {

    private static final String SHOP = "shop db";

    private static PgCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = PgCluster.start("selftest", Map.of("work_mem", "8MB"));
        PgCluster.seedLogicalFixture(cluster, SHOP);
    }

    @AfterAll
    static void removeCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void startsOnALoopbackPortWithTheHarnessSettingsAndTheOverrides() {
        assertThat(cluster.port()).isPositive().isNotEqualTo(5432);
        assertThat(cluster.queryValue("postgres", "SHOW port")).isEqualTo(Integer.toString(cluster.port()));
        assertThat(cluster.queryValue("postgres", "SHOW listen_addresses")).isEqualTo("127.0.0.1");
        assertThat(cluster.queryValue("postgres", "SHOW fsync")).isEqualTo("off");
        assertThat(cluster.queryValue("postgres", "SHOW wal_level")).isEqualTo("replica");
        assertThat(cluster.queryValue("postgres", "SHOW work_mem")).isEqualTo("8MB");
        assertThat(cluster.queryValue("postgres", "SHOW data_directory")).isEqualTo(cluster.dataDirectory().toString());
        assertThat(cluster.queryValue("postgres", "SELECT current_user")).isEqualTo(cluster.superuser());
    }

    @Test
    void runsTheServerAsPostgresWhenWeAreRoot() throws Exception {
        String expectedOwner = PgBinaries.runningAsRoot() ? "postgres" : System.getProperty("user.name");
        assertThat(Files.getOwner(cluster.dataDirectory()).getName()).isEqualTo(expectedOwner);
    }

    @Test
    void seedsTheFixtureIntoADatabaseWhoseNameHasASpace() {
        assertThat(cluster.databaseExists(SHOP)).isTrue();
        assertThat(cluster.databaseExists("shop")).isFalse();

        Map<String, TableFingerprint> fingerprints = cluster.fingerprints(SHOP);

        assertThat(fingerprints).containsOnlyKeys("public.customers", "public.documents", "sales.orders",
                "sales.OrderLines", "Audit Log.events", "pg_largeobject");
        assertThat(fingerprints.get("public.customers").rows()).isEqualTo(1000);
        assertThat(fingerprints.get("sales.orders").rows()).isEqualTo(5000);
        assertThat(fingerprints.get("sales.OrderLines").rows()).isEqualTo(300);
        assertThat(fingerprints.get("Audit Log.events").rows()).isEqualTo(200);
        assertThat(fingerprints.get("pg_largeobject").rows()).isEqualTo(1);
        assertThat(fingerprints.values()).allSatisfy(each -> assertThat(each.md5()).matches("[0-9a-f]{32}"));
        assertThat(cluster.fingerprints(SHOP)).isEqualTo(fingerprints);
        assertThat(cluster.queryValue(SHOP, "SELECT count(*) FROM sales.customer_totals")).isEqualTo(1000L);
        assertThat(cluster.queryValue(SHOP, "SELECT last_value FROM sales.invoice_number")).isEqualTo(1041L);
        assertThat(cluster.queryValue(SHOP, "SELECT count(*) FROM sales.\"OrderLines\" WHERE note IS NULL"))
                .isEqualTo(75L);
    }

    @Test
    void fingerprintsSeeAChangedRowAndALostLargeObjectWithItsOidIgnored() {
        String db = "fingerprint check";
        PgCluster.seedLogicalFixture(cluster, db);
        Map<String, TableFingerprint> before = cluster.fingerprints(db);
        assertThat(cluster.queryValue(db, "SELECT doc FROM public.documents"))
                .isNotEqualTo(cluster.queryValue(SHOP, "SELECT doc FROM public.documents"));
        assertThat(before).isEqualTo(cluster.fingerprints(SHOP));

        cluster.execute(db, "UPDATE sales.\"OrderLines\" SET note = 'changed' WHERE order_id = 1 AND line = 1",
                "SELECT lo_unlink(doc) FROM public.documents");
        Map<String, TableFingerprint> after = cluster.fingerprints(db);

        assertThat(after.get("sales.OrderLines")).isNotEqualTo(before.get("sales.OrderLines"));
        assertThat(after.get("sales.OrderLines").rows()).isEqualTo(300);
        assertThat(after.get("pg_largeobject").rows()).isZero();
        assertThat(after.get("public.customers")).isEqualTo(before.get("public.customers"));
        cluster.dropDatabase(db);
        assertThat(cluster.databaseExists(db)).isFalse();
    }

    @Test
    void aPasswordUserNeedsItsPassword() throws Exception {
        cluster.createPasswordUser("vault admin", "s3cret 'quoted'");

        assertThatThrownBy(() -> connectAs("vault admin", null)).isInstanceOf(SQLException.class);
        assertThatThrownBy(() -> connectAs("vault admin", "wrong")).isInstanceOf(SQLException.class);
        try (Connection connection = connectAs("vault admin", "s3cret 'quoted'")) {
            assertThat(connection.isValid(5)).isTrue();
        }
        assertThat(cluster.queryValue("postgres", "SELECT current_user")).isEqualTo("postgres");
    }

    @Test
    void keepsDataAcrossStopAndStartMovesOffATakenPortAndCloseRemovesEverything() throws Exception {
        PgCluster own = PgCluster.start("lifecycle");
        Path base = own.baseDirectory();
        try (own) {
            int port = own.port();
            own.execute("postgres", "CREATE TABLE kept (n int)", "INSERT INTO kept VALUES (1), (2), (3)");

            own.stop();
            assertThat(own.isRunning()).isFalse();
            assertThatThrownBy(() -> own.queryValue("postgres", "SELECT 1")).isInstanceOf(IllegalStateException.class);
            own.start();

            assertThat(own.port()).isEqualTo(port);
            assertThat(own.queryValue("postgres", "SELECT sum(n) FROM kept")).isEqualTo(6L);

            own.stop();
            try (ServerSocket squatter = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
                own.start();
            }
            assertThat(own.port()).isNotEqualTo(port);
            assertThat(own.queryValue("postgres", "SELECT sum(n) FROM kept")).isEqualTo(6L);
        }
        assertThat(base).doesNotExist();
    }

    @Test
    void aFailedStartReportsTheServerLogAndLeavesNothingBehind() {
        Throwable failure = catchThrowable(() -> PgCluster.start("badconf", Map.of("shared_buffers", "plenty")));

        assertThat(failure).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("server.log")
                .hasMessageContaining("invalid value for parameter \"shared_buffers\"");
        Matcher dataDirectory = Pattern.compile(" in (/\\S+)/data: ").matcher(failure.getMessage());
        assertThat(dataDirectory.find()).isTrue();
        assertThat(Path.of(dataDirectory.group(1))).doesNotExist();
    }

    @Test
    void sharedIsOneRunningClusterPerJvm() {
        PgCluster shared = PgCluster.shared();
        shared.close();

        assertThat(PgCluster.shared()).isSameAs(shared);
        assertThat(shared.queryValue("postgres", "SELECT 1")).isEqualTo(1);
    }

    private static Connection connectAs(String user, String password) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        if (password != null) {
            props.setProperty("password", password);
        }
        return DriverManager.getConnection(cluster.jdbcUrl("postgres"), props);
    }
}
