package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.CatalogDatabase;
import io.pgvault.testing.PgCluster;
import io.pgvault.testing.WalSegments;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The production catalog: the same Flyway migrations and entity mappings (validated by Hibernate) on a
 * real PostgreSQL, with the job engine running a backup and its verification on it, and the archive lock that
 * instances sharing the catalog take when they record and remove WAL.
 */
@org.junit.jupiter.api.extension.ExtendWith(PostgresCatalogTests.StopCatalogAfterContext.class)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@org.springframework.test.annotation.DirtiesContext
class PostgresCatalogTests {

    static final String CATALOG = "pgvault_catalog";
    static final String DB = "catalog test db";
    static Path storage;
    /** In a Testcontainers container when a Docker engine answers, else on the harness's cluster. */
    static CatalogDatabase catalog;

    @DynamicPropertySource
    static void catalogOnPostgres(DynamicPropertyRegistry registry) throws IOException {
        catalog = CatalogDatabase.create(CATALOG);
        System.out.println("pgvault's catalog runs on " + catalog.where());
        storage = io.pgvault.testing.TempDirs.create("pgvault-pg-catalog");
        registry.add("spring.datasource.url", catalog::url);
        registry.add("spring.datasource.username", catalog::username);
        registry.add("spring.datasource.password", catalog::password);
        registry.add("pgvault.storage.local.root", storage::toString);
        registry.add("pgvault.security.key-file", () -> storage.resolve("pgvault.key").toString());
        registry.add("pgvault.storage.local.min-free-bytes", () -> "0");
        registry.add("pgvault.security.admin-token", () -> Api.ADMIN_TOKEN);
        registry.add("pgvault.jobs.instance-name", () -> "pg-catalog");
        registry.add("pgvault.recovery.roots", () -> PgCluster.recoveryRoot().toString());
        registry.add("pgvault.recovery.drill-directory", () -> PgCluster.recoveryRoot().resolve("drills").toString());
    }

    /**
     * Stops the catalog once Spring has closed this class's context ({@code @DirtiesContext}): declared before
     * {@code @SpringBootTest}, this extension's afterAll runs after Spring's. The other way round, or with the
     * context left to the JVM's exit (after the harness's cluster, where the catalog lives without Docker, was
     * stopped by its own exit hook), the job engine's last update waited Hikari's 30 s for a connection to a
     * catalog that was gone, and Surefire killed the test JVM: 30 s lost by every run.
     */
    static final class StopCatalogAfterContext implements org.junit.jupiter.api.extension.AfterAllCallback {
        @Override
        public void afterAll(org.junit.jupiter.api.extension.ExtensionContext extension) {
            if (catalog != null) {
                catalog.close();
            }
        }
    }

    @LocalServerPort
    int port;
    Api api;

    @BeforeEach
    void client() {
        api = new Api(port);
    }

    @Test
    void runsOnAPostgresCatalog() throws Exception {
        PgCluster pg = PgCluster.shared();
        if (!pg.databaseExists(DB)) {
            pg.createDatabase(DB);
            pg.execute(DB, "CREATE TABLE t (id int primary key, v text)",
                    "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 2000) g");
        }
        long migrations;
        try (var files = Files.list(Path.of(getClass().getResource("/db/migration").toURI()))) {
            migrations = files.filter(f -> f.getFileName().toString().matches("V\\d+__.+\\.sql")).count();
        }
        assertThat(migrations).isGreaterThanOrEqualTo(2);
        assertThat(catalog.queryValue("select count(*) from flyway_schema_history where success"))
                .isEqualTo(migrations);
        api.register("on-pg", pg);
        JsonNode backup = api.backup("on-pg", Map.of("kind", "DUMP", "database", DB, "format", "CUSTOM"));
        JsonNode verified = api.awaitVerification(backup.path("id").asString(), Duration.ofMinutes(1));
        assertThat(verified.path("verification").path("status").asString()).isEqualTo("PASSED");
        assertThat(catalog.queryValue("select count(*) from backup_file")).isEqualTo(1L);
        assertThat(api.get("/api/v1/jobs?cluster=on-pg&status=SUCCEEDED").json().path("totalElements").asLong())
                .isEqualTo(2);
        assertThat(api.get("/api/v1/backups?verification=PASSED&cluster=on-pg").json().path("totalElements").asLong())
                .isEqualTo(1);
        assertThat(api.get("/actuator/health").json().path("components").path("catalog").path("status").asString())
                .isEqualTo("UP");
    }

    @Test
    void aWalPushWaitsForTheArchiveLockOfAnotherInstanceDeletingTheFile() throws Exception {
        PgCluster pg = PgCluster.shared();
        String cluster = "pg-wal";
        api.register(cluster, pg);
        WalSegments segments = WalSegments.of(pg);
        String name = segments.name(1, 0x41);
        byte[] body = segments.segment(name);
        assertThat(put(cluster, name, body).statusCode()).isEqualTo(201);

        ExecutorService pusher = Executors.newSingleThreadExecutor();
        HttpResponse<String> answer;
        try (Connection other = catalog.connect(); Statement st = other.createStatement()) {
            // another instance's retention: the row went in its first transaction; in the second, under the
            // cluster's lock, the file goes because no row lists it
            st.executeUpdate("delete from wal_file where cluster = '" + cluster + "'");
            other.setAutoCommit(false);
            st.executeQuery("select name from cluster where name = '" + cluster + "' for update").close();
            // archive_command sends the segment again: this instance finds it stored, then waits to record it
            Future<HttpResponse<String>> again = pusher.submit(() -> put(cluster, name, body));
            // its record step waits behind the lock: the share lock it takes, or (on its own) the insert's
            // foreign-key check on the cluster row
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (((Number) catalog.queryValue("SELECT count(*) FROM pg_stat_activity WHERE datname = ? "
                    + "AND wait_event_type = 'Lock' AND (query ILIKE '%from cluster%for share%' OR query ILIKE "
                    + "'insert into wal_file%')", CATALOG)).intValue() == 0) {
                assertThat(again.isDone()).as("the push went on without waiting for the archive lock").isFalse();
                assertThat(System.nanoTime()).as("the push never waited for the archive lock").isLessThan(deadline);
                Thread.sleep(20);
            }
            Files.delete(storage.resolve(cluster).resolve("wal").resolve("00000001").resolve(name));
            other.commit();
            answer = again.get(30, TimeUnit.SECONDS);
        } finally {
            pusher.shutdownNow();
        }
        // the push found the name taken by the old file, so it stored its bytes under a name of its own; retention
        // then deleted the old file, and the push recorded its own: listed, and with its file
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(201);
        assertThat(catalog.queryValue("select count(*) from wal_file where cluster = ?", cluster)).isEqualTo(1L);
        assertThat(api.download("/api/v1/clusters/" + cluster + "/wal/" + name)).as("served from its own file")
                .isEqualTo(body);
    }

    /**
     * What keeps a page of one cluster's backups as cheap at 100,000 entries as at 1,000 on a PostgreSQL catalog
     * (bench/backup-list.sh times pages; LoadTests checks H2's plans and the statements a page runs): the planner
     * reads the page in order from an index (backup_queued_idx or backup_cluster_queued_idx, as the statistics
     * say), about the page's offset and size in rows, and no sequential scan of the table. The select has the shape of the one the list runs (Hibernate's, see LoadTests).
     */
    @Test
    void aPageOfOneClustersBackupsIsReadThroughItsIndexAtOneHundredThousandEntries() throws Exception {
        String cluster = "pg-many";
        api.register(cluster, PgCluster.shared());
        try (Connection c = catalog.connect(); Statement st = c.createStatement()) {
            st.executeUpdate("insert into backup (id, cluster, kind, format, database_name, options, status, "
                    + "queued_at, started_at, finished_at, location, size_bytes, sha256, verification_status, pinned) "
                    + "select md5(g::text)::uuid, '" + cluster + "', 'DUMP', 'CUSTOM', 'db', '{\"kind\":\"DUMP\","
                    + "\"database\":\"db\",\"format\":\"CUSTOM\",\"schemaOnly\":false,\"dataOnly\":false,"
                    + "\"globalsOnly\":false,\"noOwner\":false,\"noPrivileges\":false}', "
                    + "case when g % 20 = 0 then 'FAILED' else 'SUCCEEDED' end, t, t, t, 'pg-many/dump/' || g, "
                    + "1000 + g, lpad(g::text, 64, '0'), 'PASSED', false from generate_series(1, 100000) g, "
                    + "lateral (select timestamptz '2020-01-01 00:00:00+00' + g * interval '1 minute' as t) x");
            st.execute("analyze backup");
            String page = "select b1_0.id, b1_0.cluster, b1_0.queued_at, b1_0.status from backup b1_0 where "
                    + "b1_0.cluster = ?%s order by b1_0.queued_at desc, b1_0.id offset ? rows fetch first ? rows only";
            for (long offset : new long[] {0, 500}) {
                for (boolean byStatus : new boolean[] {false, true}) {
                    try (var explain = c.prepareStatement("explain (analyze, format json) "
                            + String.format(page, byStatus ? " and b1_0.status = ?" : ""))) {
                        int i = 1;
                        explain.setString(i++, cluster);
                        if (byStatus) {
                            explain.setString(i++, "SUCCEEDED");
                        }
                        explain.setLong(i++, offset);
                        explain.setLong(i, 50);
                        try (var rs = explain.executeQuery()) {
                            rs.next();
                            JsonNode plan = Api.JSON.readTree(rs.getString(1)).get(0).path("Plan");
                            List<JsonNode> scans = new java.util.ArrayList<>();
                            scansOf(plan, scans);
                            assertThat(scans).as("%s", plan).singleElement().satisfies(scan -> {
                                assertThat(scan.path("Node Type").asString()).as("%s", plan).startsWith("Index");
                                // every 20th inserted backup FAILED: a status filter reads a twentieth more
                                assertThat(scan.path("Actual Rows").asLong()).as("%s", plan)
                                        .isLessThanOrEqualTo((offset + 51) * 2);
                            });
                        }
                    }
                }
            }
            JsonNode last = api.get("/api/v1/backups?cluster=" + cluster + "&size=50&page=1999").json();
            assertThat(last.path("content").size()).isEqualTo(50);
            assertThat(last.path("totalElements").asLong()).isEqualTo(100_000L);
        } finally {
            try (Connection c = catalog.connect(); Statement st = c.createStatement()) {
                st.executeUpdate("delete from backup where cluster = '" + cluster + "'");
            }
        }
    }

    /** The plan's nodes that read the backup table. */
    private static void scansOf(JsonNode node, List<JsonNode> scans) {
        if ("backup".equals(node.path("Relation Name").asString())) {
            scans.add(node);
        }
        node.path("Plans").forEach(child -> scansOf(child, scans));
    }

    private HttpResponse<String> put(String cluster, String name, byte[] body) throws Exception {
        return HttpClient.newHttpClient().send(Api.authorized(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + port + "/api/v1/clusters/" + cluster + "/wal/" + name)))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
