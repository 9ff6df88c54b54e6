package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.pgvault.testing.PgCluster;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/**
 * BLOCKS backups that pgvault takes by reading the data directory on its own host (the harness's clusters run on
 * this host), against one cluster initdb'ed with data checksums, with a tablespace, archiving through pgvault: a
 * FULL, updates, an INCR that reuses the files that did not change unread and reads the ones that did, recovered
 * into a new directory with every table (the tablespace's too) equal to the source; an INCR with checksumDelta
 * reads everything; then a page damaged on disk (server stopped) is reported by the next backup as a warning, in
 * its job log and in a metric. Where pgvault cannot confirm the data directory (a role that may not see it), a
 * BLOCKS backup cuts pg_basebackup's stream as before, and says so. An unlogged table is backed up as pg_basebackup
 * sends it, by its init fork only, and is there, empty, after the recovery.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostReadBackupTests extends EndToEndTest {

    static final String CLUSTER = "hostread";
    static final Pattern HOST_READ = Pattern.compile("host read: (\\d+) file\\(s\\) read \\((\\d+) bytes\\), (\\d+) "
            + "reused unread");
    static final String TABLES = "SELECT string_agg(n || ':' || c, ' ' ORDER BY n) FROM (SELECT 't' n, count(*) || "
            + "md5(string_agg(id || v, ',' ORDER BY id)) c FROM t UNION ALL SELECT 'cold', count(*) || md5(string_agg("
            + "id || v, ',' ORDER BY id)) FROM cold UNION ALL SELECT 'spaced', count(*) || md5(string_agg(id || v, ',' "
            + "ORDER BY id)) FROM spaced) x";

    PgCluster pg;
    Path recoveries;
    Path tablespace;
    final List<Path> started = new ArrayList<>();
    @Autowired
    MeterRegistry registry;

    @BeforeAll
    void clusterWithChecksumsAndATablespace() throws Exception {
        api = new Api(port);
        recoveries = PgCluster.recoveryDirectory("pgvault-hostread-");
        pg = PgCluster.start("hostread", Map.of("archive_mode", "on", "archive_command", "", "archive_timeout", "0"),
                List.of("--wal-segsize=1", "--data-checksums"));
        api.register(CLUSTER, pg);
        api.archiveThroughPgvault(CLUSTER, pg);
        tablespace = pg.baseDirectory().resolve("tablespace");
        PgCluster.runAsOsUser("mkdir", "-m", "0700", tablespace.toString());
        pg.execute("postgres", "CREATE TABLESPACE ts LOCATION '" + tablespace + "'");
        pg.execute("postgres", "CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL)",
                "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 50000) g",
                "CREATE TABLE cold (id int PRIMARY KEY, v text NOT NULL)",
                "INSERT INTO cold SELECT g, md5((g * 3)::text) FROM generate_series(1, 20000) g",
                "CREATE TABLE spaced (id int PRIMARY KEY, v text NOT NULL) TABLESPACE ts",
                "INSERT INTO spaced SELECT g, md5((g * 5)::text) FROM generate_series(1, 20000) g",
                "CREATE UNLOGGED TABLE scratch (id int PRIMARY KEY, v text NOT NULL)",
                "INSERT INTO scratch SELECT g, md5(g::text) FROM generate_series(1, 5000) g", "VACUUM scratch",
                "CHECKPOINT");
        // the reuse rule wants a file's mtime at least 2 s before the reference's start: let the seeded files age
        Instant aged = Instant.now().plusSeconds(3);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (Instant.now().isBefore(aged) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
    }

    @AfterAll
    void cleanUp() {
        for (Path dir : started) {
            PgCluster.removeForeignServer(dir, recoveries);
        }
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    @Order(1)
    void anIncrReadOnHostReusesUnchangedFilesAndRestoresExactly() throws Exception {
        JsonNode full = api.backup(CLUSTER, Map.of("kind", "BASE", "format", "BLOCKS"));
        String fullLog = api.get("/api/v1/jobs/" + full.path("jobId").asString() + "/log").body();
        assertThat(fullLog).contains("reader: the data directory").contains("read on this host");
        Matcher f = HOST_READ.matcher(fullLog);
        assertThat(f.find()).as(fullLog).isTrue();
        assertThat(Long.parseLong(f.group(3))).as("a FULL reuses nothing").isZero();
        assertThat(full.path("warnings").toString()).doesNotContain("page checksum");

        pg.execute("postgres", "UPDATE t SET v = 'changed' WHERE id <= 1000", "UPDATE spaced SET v = 'moved' WHERE "
                + "id <= 10", "CHECKPOINT");
        JsonNode incr = api.backup(CLUSTER, Map.of("kind", "BASE", "format", "BLOCKS", "type", "INCR"));
        assertThat(incr.path("reference").asString()).isEqualTo(full.path("id").asString());
        String log = api.get("/api/v1/jobs/" + incr.path("jobId").asString() + "/log").body();
        Matcher m = HOST_READ.matcher(log);
        assertThat(m.find()).as(log).isTrue();
        long read = Long.parseLong(m.group(1));
        long reused = Long.parseLong(m.group(3));
        System.out.println("HostReadBackupTests: INCR " + m.group());
        assertThat(reused).as("the catalog's and cold's files are reused unread: %s", m.group()).isGreaterThan(100);
        assertThat(read).as("t's and spaced's files (and pg_control, ...) are read: %s", m.group()).isPositive()
                .isLessThan(reused);
        assertThat(incr.path("sizeBytes").asLong()).as("what changed is stored").isPositive()
                .isLessThan(full.path("sizeBytes").asLong());
        assertThat(incr.path("dataSizeBytes").asLong()).isGreaterThan(full.path("dataSizeBytes").asLong() * 9 / 10);

        // the unlogged table: only its init fork is in the backup (as pg_basebackup sends it), its index's too
        for (String relation : List.of("scratch", "scratch_pkey")) {
            String file = (String) pg.queryValue("postgres", "SELECT pg_relation_filepath('" + relation + "')");
            assertThat(stored().entryPaths(incr.path("id").asString())).as(relation).contains(file + "_init")
                    .doesNotContain(file, file + "_fsm", file + "_vm");
        }

        // the INCR recovered into a new directory: every table, the tablespace's too, as in the source
        pg.execute("postgres", "INSERT INTO t VALUES (900000, 'after the incr')");
        Object expected = pg.queryValue("postgres", TABLES);
        api.awaitLastSegment(CLUSTER, pg.switchWal(), pg);
        Path dir = recoveries.resolve("incr");
        started.add(dir);
        Api.Response r = api.post("/api/v1/clusters/" + CLUSTER + "/recoveries", Map.of("target",
                Map.of("latest", true), "backupId", incr.path("id").asString(), "dataDirectory", dir.toString()));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode job = api.awaitSucceeded(r.field("id"));
        assertThat(query(job.path("result").path("port").asInt(), TABLES)).isEqualTo(expected);
        assertThat(query(job.path("result").path("port").asInt(), "SELECT count(*) FROM scratch"))
                .as("the unlogged table is there, empty, as after a crash").isEqualTo(0L);

        // pg_verifybackup checked the INCR against the backup_manifest pgvault wrote
        JsonNode listed = api.awaitVerification(incr.path("id").asString(), Duration.ofMinutes(2));
        assertThat(listed.path("verification").path("status").asString()).as(listed.toString()).isEqualTo("PASSED");

        // checksumDelta: every file read, the blocks the repository has are not stored again
        JsonNode delta = api.backup(CLUSTER, Map.of("kind", "BASE", "format", "BLOCKS", "type", "INCR",
                "checksumDelta", true));
        String deltaLog = api.get("/api/v1/jobs/" + delta.path("jobId").asString() + "/log").body();
        Matcher d = HOST_READ.matcher(deltaLog);
        assertThat(d.find()).as(deltaLog).isTrue();
        assertThat(Long.parseLong(d.group(3))).as(d.group()).isZero();
        assertThat(delta.path("options").path("checksumDelta").asBoolean()).isTrue();
    }

    @Test
    @Order(2)
    void aPageDamagedOnDiskIsReported() throws Exception {
        pg.execute("postgres", "CREATE TABLE victim (id int, v text)",
                "INSERT INTO victim SELECT g, md5(g::text) FROM generate_series(1, 5000) g", "CHECKPOINT");
        String file = (String) pg.queryValue("postgres", "SELECT pg_relation_filepath('victim')");
        pg.stop();
        // one byte in the middle of block 2, the server down: nothing caches or rewrites the page
        try (RandomAccessFile raf = new RandomAccessFile(pg.dataDirectory().resolve(file).toFile(), "rw")) {
            long at = 2 * 8192 + 5000;
            raf.seek(at);
            int b = raf.read();
            raf.seek(at);
            raf.write(b ^ 0x5a);
        }
        pg.start();
        double before = failures();
        JsonNode backup = api.backup(CLUSTER, Map.of("kind", "BASE", "format", "BLOCKS"));
        String bad = file + " block 2";
        assertThat(backup.path("warnings").toString()).contains("page checksum failure: " + bad);
        assertThat(api.get("/api/v1/jobs/" + backup.path("jobId").asString() + "/log").body())
                .contains("page checksum failure: " + bad).contains("1 page checksum failure(s)");
        assertThat(failures() - before).isEqualTo(1.0);
    }

    @Test
    @Order(3)
    void whereTheDataDirectoryCannotBeConfirmedPgBasebackupsStreamIsCut() {
        // a role that may replicate but not see data_directory: pgvault cannot tell where the files are
        PgCluster shared = PgCluster.shared();
        shared.execute("postgres", "DO $$ BEGIN CREATE ROLE hostread_streamer LOGIN REPLICATION; "
                + "EXCEPTION WHEN duplicate_object THEN NULL; END $$");
        Api.Response r = api.post("/api/v1/clusters", Map.of("name", "hostread-stream", "host", shared.host(), "port",
                shared.port(), "username", "hostread_streamer"));
        assertThat(r.status()).as(r.body()).isIn(201, 409);
        JsonNode backup = api.backup("hostread-stream", Map.of("kind", "BASE", "format", "BLOCKS"));
        String log = api.get("/api/v1/jobs/" + backup.path("jobId").asString() + "/log").body();
        assertThat(log).contains("reader: pg_basebackup's stream cut into blocks (the server does not show "
                + "data_directory").doesNotContain("host read:");
        assertThat(backup.path("dataSizeBytes").asLong()).isPositive();
    }

    private double failures() {
        Counter c = registry.find("pgvault.backup.page.checksum.failures").tag("cluster", CLUSTER).counter();
        return c == null ? 0 : c.count();
    }

    private static Object query(int port, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres",
                ""); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getObject(1);
        }
    }
}
