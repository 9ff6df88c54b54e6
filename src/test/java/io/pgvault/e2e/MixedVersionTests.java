package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import io.pgvault.testing.TableFingerprint;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.util.FileSystemUtils;
import tools.jackson.databind.JsonNode;

/**
 * A mixed fleet: pgvault with this machine's client tools (Debian's PostgreSQL 15) and, in
 * pgvault.tools.directories next to them, the server binaries of PostgreSQL 13 and 16 from Maven Central
 * (directories holding initdb, pg_ctl and postgres only). A PostgreSQL 13 cluster, archiving its WAL to
 * pgvault, gets a BASE backup that verifies (15's pg_verifybackup cannot parse 13's WAL: --no-parse-wal
 * and pgvault's own WAL walk), a point-in-time recovery to an LSN on 13's own server binaries that holds
 * the right rows, and a RESTORE drill, and so does a block-store (BLOCKS) backup of it. A PostgreSQL 16 cluster,
 * for which no client tools exist here, is registered because pgvault reads its data directory on this host: BLOCKS
 * FULL and INCR backups by the host reader, verified by pgvault's own manifest and WAL checks, recovered on 16's
 * server binaries with every table as at the INCR's end; what needs pg_dump or pg_basebackup is refused, and so is
 * a registration whose role may not see the data directory, each with what to install.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MixedVersionTests {

    static final String CLUSTER = "fleet-13";
    static final String SIXTEEN = "fleet-16";
    static final Path STORAGE;

    static {
        STORAGE = io.pgvault.testing.TempDirs.create("pgvault-mixed-storage");
    }

    @DynamicPropertySource
    static void pgvault(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> "jdbc:h2:mem:pgvault-mixed;DB_CLOSE_DELAY=-1");
        registry.add("pgvault.storage.local.root", STORAGE::toString);
        registry.add("pgvault.security.key-file",
                () -> STORAGE.resolveSibling(STORAGE.getFileName() + ".key").toString());
        registry.add("pgvault.storage.local.min-free-bytes", () -> "0");
        registry.add("pgvault.security.admin-token", () -> Api.ADMIN_TOKEN);
        registry.add("pgvault.jobs.instance-name", () -> "mixed");
        registry.add("pgvault.jobs.poll-interval", () -> "200ms");
        registry.add("pgvault.recovery.roots", () -> PgCluster.recoveryRoot().toString());
        registry.add("pgvault.recovery.drill-directory", () -> PgCluster.recoveryRoot().resolve("drills").toString());
        registry.add("pgvault.tools.directories", () -> String.join(",", PgCluster.binDirectory().toString(),
                PgCluster.serverBinDirectory(13).toString(), PgCluster.serverBinDirectory(16).toString()));
    }

    @LocalServerPort
    int port;
    Api api;
    PgCluster pg13;
    PgCluster pg16;
    Path recoveries;
    final List<Path> started = new ArrayList<>();
    JsonNode base;
    String afterBatch1Lsn;

    @BeforeAll
    void archivingPostgres13ClusterWithABaseBackup() {
        api = new Api(port);
        recoveries = PgCluster.recoveryDirectory("pgvault-mixed-recoveries-");
        pg13 = PgCluster.start("fleet13", 13, Map.of("archive_mode", "on", "archive_command", "",
                "archive_timeout", "0"));
        api.register(CLUSTER, pg13);
        api.archiveThroughPgvault(CLUSTER, pg13);
        pg13.execute("postgres", "CREATE TABLE t (id int PRIMARY KEY, batch int NOT NULL)");
        base = api.backup(CLUSTER, Map.of("kind", "BASE"));
    }

    @BeforeEach
    void client() {
        api = new Api(port);
    }

    @AfterAll
    void cleanUp() throws IOException {
        for (Path dir : started) {
            PgCluster.removeForeignServer(dir, recoveries);
        }
        PgCluster.removeForeignServer(recoveries.resolve("none"), recoveries);
        if (pg13 != null) {
            pg13.close();
        }
        if (pg16 != null) {
            pg16.close();
        }
        // pgvault's own files (root's, owner-only): nothing else uses this storage
        FileSystemUtils.deleteRecursively(STORAGE);
        FileSystemUtils.deleteRecursively(STORAGE.resolveSibling(STORAGE.getFileName() + ".key"));
    }

    @Test
    @Order(1)
    void aPostgres13BaseBackupPassesItsVerificationWithPgvaultsOwnWalCheck() {
        JsonNode cluster = api.get("/api/v1/clusters/" + CLUSTER).json();
        assertThat(cluster.path("serverVersion").asString()).startsWith("13.");
        assertThat(base.path("serverVersion").asString()).startsWith("13.");
        String tools = base.path("toolVersion").asString();
        assertThat(Integer.parseInt(tools.split("\\.")[0])).as("the machine's own client tools").isGreaterThan(13);

        JsonNode verified = api.awaitVerification(base.path("id").asString(), Duration.ofMinutes(2));
        JsonNode verification = verified.path("verification");
        assertThat(verification.path("status").asString()).as(verification.toString()).isEqualTo("PASSED");
        assertThat(verification.path("level").asString()).isEqualTo("LIST");
        assertThat(verification.path("detail").asString())
                .contains("checksums match")
                .contains("pg_verifybackup " + tools + " --no-parse-wal (no PostgreSQL 13 tools here parse this WAL)")
                .containsPattern("pgvault's own WAL check: \\d+ segment\\(s\\) " + base.path("firstWal").asString())
                .contains("from " + base.path("startLsn").asString() + " to " + base.path("stopLsn").asString()
                        + " linked and passing their CRC");
    }

    @Test
    @Order(1)
    void checkWorksOnPostgres13WhichHasNoPgReadAllData() {
        pg13.execute("postgres", "CREATE ROLE reader LOGIN");
        Api.Response registered = api.post("/api/v1/clusters", Map.of("name", "fleet-13-reader-role", "host",
                pg13.host(), "port", pg13.port(), "username", "reader", "maintenanceDatabase", "postgres"));
        assertThat(registered.status()).as(registered.body()).isEqualTo(201);
        JsonNode checks = api.post("/api/v1/clusters/fleet-13-reader-role/check", Map.of()).json();
        assertThat(checks.path("checks").findValuesAsString("name")).contains("tools", "archiving", "privileges");
        List<String> failed = new ArrayList<>();
        checks.path("checks").forEach(c -> {
            if (!c.path("ok").asBoolean()) {
                failed.add(c.path("name").asString() + ": " + c.path("detail").asString());
            }
        });
        // the role may neither read all data nor replicate: both are said, the SQL of the check works on 13
        assertThat(failed).as(checks.toString()).hasSize(2);
        assertThat(failed.get(0)).startsWith("privileges: the role is neither superuser nor member of pg_read_all_data");
        assertThat(failed.get(1)).startsWith("replication: ").contains("ALTER ROLE reader REPLICATION");
    }

    @Test
    @Order(2)
    void recoversPostgres13ToAnLsnOnItsOwnServerBinaries() throws Exception {
        insertBatch(1);
        afterBatch1Lsn = (String) pg13.queryValue("postgres", "SELECT pg_current_wal_lsn()::text");
        insertBatch(2);
        api.awaitLastSegment(CLUSTER, pg13.switchWal(), pg13);

        Path dir = recoveries.resolve("to-lsn");
        started.add(dir);
        Api.Response r = api.post("/api/v1/clusters/" + CLUSTER + "/recoveries", Map.of(
                "target", Map.of("lsn", afterBatch1Lsn), "action", "pause", "dataDirectory", dir.toString()));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode job = api.awaitJob(r.field("id"), Duration.ofMinutes(3));
        String log = api.get("/api/v1/jobs/" + r.field("id") + "/log").body();
        assertThat(job.path("status").asString()).as("%s%n%s", job, log).isEqualTo("SUCCEEDED");
        assertThat(job.path("result").path("state").asString()).as("PostgreSQL 13's pause, seen").isEqualTo("paused");
        assertThat(log).contains("postgres: ").contains("starting PostgreSQL 13.");
        try (Connection c = connect(job.path("result").path("port").asInt()); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT current_setting('server_version_num')::int / 10000, "
                        + "pg_is_in_recovery(), (SELECT count(*) FROM t WHERE batch = 1), "
                        + "(SELECT count(*) FROM t WHERE batch <> 1)")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(13);
            assertThat(rs.getBoolean(2)).as("paused at the target").isTrue();
            assertThat(rs.getLong(3)).as("batch 1, before the target").isEqualTo(100);
            assertThat(rs.getLong(4)).as("batch 2, after the target").isZero();
        }
    }

    @Test
    @Order(3)
    void thePostgres13BaseBackupPassesARestoreDrill() {
        String id = base.path("id").asString();
        Api.Response r = api.post("/api/v1/backups/" + id + "/verifications", Map.of("level", "RESTORE"));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode job = api.awaitJob(r.field("id"), Duration.ofMinutes(3));
        String log = api.get("/api/v1/jobs/" + r.field("id") + "/log").body();
        JsonNode drilled = api.get("/api/v1/backups/" + id).json();
        assertThat(job.path("status").asString()).as("%s%n%s", drilled, log).isEqualTo("SUCCEEDED");
        assertThat(drilled.path("verification").path("status").asString()).isEqualTo("PASSED");
        assertThat(drilled.path("verification").path("level").asString()).isEqualTo("RESTORE");
        assertThat(drilled.path("verification").path("detail").asString()).contains("recovered to consistency");
        assertThat(drilled.path("drillSeconds").asDouble()).isPositive();
        assertThat(log).contains("starting PostgreSQL 13.");
    }

    @Test
    @Order(3)
    void aPostgres13BlockStoreBackupVerifiesAndPassesARestoreDrill() {
        JsonNode blocks = api.backup(CLUSTER, Map.of("kind", "BASE", "format", "BLOCKS"));
        String id = blocks.path("id").asString();
        assertThat(blocks.path("serverVersion").asString()).startsWith("13.");
        assertThat(blocks.path("files").path(0).path("path").asString()).isEqualTo("blocks.manifest.json.zst");
        JsonNode listed = api.awaitVerification(id, Duration.ofMinutes(2));
        assertThat(listed.path("verification").path("status").asString()).as(listed.toString()).isEqualTo("PASSED");
        Api.Response r = api.post("/api/v1/backups/" + id + "/verifications", Map.of("level", "RESTORE"));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode job = api.awaitJob(r.field("id"), Duration.ofMinutes(3));
        String log = api.get("/api/v1/jobs/" + r.field("id") + "/log").body();
        JsonNode drilled = api.get("/api/v1/backups/" + id).json();
        assertThat(job.path("status").asString()).as("%s%n%s", drilled, log).isEqualTo("SUCCEEDED");
        assertThat(drilled.path("verification").path("detail").asString()).contains("recovered to consistency");
        assertThat(log).contains("starting PostgreSQL 13.");
    }

    @Test
    @Order(4)
    void aPostgres16ClusterWithoutClientToolsIsBackedUpByTheHostReaderAndRecoversOnItsOwnServerBinaries()
            throws Exception {
        pg16 = PgCluster.start("fleet16", 16, Map.of("archive_mode", "on", "archive_command", "",
                "archive_timeout", "0"));
        // a role that may not see data_directory: without client tools of 16 pgvault can do nothing for it
        pg16.execute("postgres", "CREATE ROLE remote16 LOGIN");
        long jobs = api.jobCount();
        Api.Response refused = api.post("/api/v1/clusters", Map.of("name", "fleet-16-remote", "host", pg16.host(),
                "port", pg16.port(), "username", "remote16"));
        assertThat(refused.status()).as(refused.body()).isEqualTo(400);
        assertThat(refused.contentType()).startsWith("application/problem+json");
        assertThat(refused.json().path("detail").asString())
                .contains("PostgreSQL 16 needs client tools of version 16 or newer")
                .contains("the newest in pgvault.tools.directories [" + PgCluster.binDirectory())
                .contains(PgCluster.serverBinDirectory(16) + " holds PostgreSQL 16.")
                .contains("server binaries but no client tools")
                .contains("apt-get install postgresql-client-16, from the PostgreSQL apt repository")
                .contains("pgvault can only take BLOCKS BASE backups of a server whose data directory it reads on "
                        + "its own host")
                .contains("the role may not see data_directory");
        assertThat(api.get("/api/v1/clusters/fleet-16-remote").status()).isEqualTo(404);

        // the superuser: pgvault reads the data directory here, so the cluster is registered without client tools
        api.register(SIXTEEN, pg16);
        JsonNode cluster = api.get("/api/v1/clusters/" + SIXTEEN).json();
        assertThat(cluster.path("serverVersion").asString()).startsWith("16.");
        assertThat(cluster.path("toolVersion").isNull() || cluster.path("toolVersion").isMissingNode())
                .as(cluster.toString()).isTrue();
        api.archiveThroughPgvault(SIXTEEN, pg16);
        // what needs pg_dump or pg_basebackup is refused before anything starts, saying what works
        for (Map<String, Object> request : List.<Map<String, Object>>of(Map.of("kind", "DUMP", "database", "postgres"),
                Map.of("kind", "BASE"))) {
            Api.Response r = api.post("/api/v1/clusters/" + SIXTEEN + "/backups", request);
            assertThat(r.status()).as(r.body()).isEqualTo(400);
            assertThat(r.contentType()).startsWith("application/problem+json");
            assertThat(r.json().path("detail").asString()).contains("PostgreSQL 16 needs client tools of version 16")
                    .contains("Only a BASE backup in format BLOCKS, read from the data directory on this host, works");
        }
        assertThat(api.jobCount()).isEqualTo(jobs);

        pg16.execute("postgres", "CREATE TABLE hot (id int PRIMARY KEY, v text NOT NULL)",
                "INSERT INTO hot SELECT g, md5(g::text) FROM generate_series(1, 20000) g",
                "CREATE TABLE cold (id int PRIMARY KEY, v text NOT NULL)",
                "INSERT INTO cold SELECT g, md5((g * 7)::text) FROM generate_series(1, 20000) g", "CHECKPOINT");
        // the reuse rule wants a file's mtime at least 2 s before the reference's start: let the files age
        Thread.sleep(3000);
        JsonNode full = api.backup(SIXTEEN, Map.of("kind", "BASE", "format", "BLOCKS"));
        assertThat(full.path("serverVersion").asString()).startsWith("16.");
        assertThat(api.get("/api/v1/jobs/" + full.path("jobId").asString() + "/log").body())
                .contains("reader: the data directory").contains("read on this host");

        pg16.execute("postgres", "UPDATE hot SET v = 'changed' WHERE id <= 500", "CHECKPOINT");
        JsonNode incr = api.backup(SIXTEEN, Map.of("kind", "BASE", "format", "BLOCKS", "type", "INCR"));
        assertThat(incr.path("reference").asString()).isEqualTo(full.path("id").asString());
        String log = api.get("/api/v1/jobs/" + incr.path("jobId").asString() + "/log").body();
        Matcher m = HostReadBackupTests.HOST_READ.matcher(log);
        assertThat(m.find()).as(log).isTrue();
        assertThat(Long.parseLong(m.group(3))).as("cold's files and the catalog's are reused unread: %s", m.group())
                .isPositive();
        Map<String, TableFingerprint> expected = pg16.fingerprints("postgres");
        // pgvault's archive_command (curl) took 16's WAL
        api.awaitLastSegment(SIXTEEN, pg16.switchWal(), pg16);

        // no pg_verifybackup of 16 here: pgvault checks the files against the backup_manifest and walks the WAL
        JsonNode listed = api.awaitVerification(incr.path("id").asString(), Duration.ofMinutes(2));
        JsonNode verification = listed.path("verification");
        assertThat(verification.path("status").asString()).as(verification.toString()).isEqualTo("PASSED");
        assertThat(verification.path("detail").asString())
                .contains("pgvault's own manifest check (no pg_verifybackup of PostgreSQL 16 or newer here)")
                .containsPattern("pgvault's own WAL check: \\d+ segment\\(s\\)");

        // the INCR recovered to its end into a new directory, on 16's own server binaries: the same tables
        Path dir = recoveries.resolve("sixteen");
        started.add(dir);
        JsonNode job = api.recoverInto(SIXTEEN, Map.of("immediate", true), incr.path("id").asString(), dir);
        assertThat(api.get("/api/v1/jobs/" + job.path("id").asString() + "/log").body())
                .contains("starting PostgreSQL 16.");
        try (Connection c = connect(job.path("result").path("port").asInt())) {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT current_setting('server_version_num')::int / 10000")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(16);
            }
            assertThat(PgCluster.fingerprints(c)).isEqualTo(expected);
        }
    }

    private static Connection connect(int port) throws Exception {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "");
    }

    private void insertBatch(int batch) {
        pg13.execute("postgres", "INSERT INTO t SELECT " + batch + " * 1000 + g, " + batch
                + " FROM generate_series(1, 100) g");
    }

}
