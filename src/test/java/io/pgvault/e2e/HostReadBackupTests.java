package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.pgvault.testing.PgCluster;
import io.pgvault.testing.TableFingerprint;
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
 * sends it, by its init fork only, and is there, empty, after the recovery. Last, a delta restore in place brings the
 * tablespaces to the backup too: one through its link (a deleted file written whole, changed ones patched, a stray
 * one removed, a file outside this server's PG_ directory left alone), one whose link was removed recreated in place,
 * with nothing written where that link pointed; the next backup, the tablespace in place, recovers whole.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostReadBackupTests extends EndToEndTest {

    static final String CLUSTER = "hostread";
    static final Pattern HOST_READ = Pattern.compile("host read: (\\d+) file\\(s\\) read \\((\\d+) bytes\\), (\\d+) "
            + "reused unread");
    static final Pattern PAGE_DELTAS = Pattern.compile("(\\d+) of them as page deltas");
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
        // t's first megabyte had a few of its 128 pages updated: stored as those pages against the FULL's block
        Matcher deltas = PAGE_DELTAS.matcher(log);
        assertThat(deltas.find()).as(log).isTrue();
        assertThat(Long.parseLong(deltas.group(1))).as(deltas.group()).isPositive();
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
        JsonNode job = api.recoverInto(CLUSTER, Map.of("latest", true), incr.path("id").asString(), dir);
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

    @Test
    @Order(4)
    void aDeltaRestoreInPlaceBringsTheTablespacesToTheBackupToo() throws Exception {
        // the page damaged above would fail a fingerprint; a second tablespace, whose link will be gone
        pg.execute("postgres", "DROP TABLE victim");
        Path second = pg.baseDirectory().resolve("tablespace2");
        PgCluster.runAsOsUser("mkdir", "-m", "0700", second.toString());
        pg.execute("postgres", "CREATE TABLE spaced3 (id int, v text) TABLESPACE ts",
                "INSERT INTO spaced3 SELECT g, md5(g::text) FROM generate_series(1, 1000) g",
                "CREATE TABLESPACE ts2 LOCATION '" + second + "'",
                "CREATE TABLE spaced2 (id int PRIMARY KEY, v text NOT NULL) TABLESPACE ts2",
                "INSERT INTO spaced2 SELECT g, md5((g * 11)::text) FROM generate_series(1, 5000) g", "CHECKPOINT");
        String oid = String.valueOf(pg.queryValue("postgres", "SELECT oid FROM pg_tablespace WHERE spcname = 'ts'"));
        String oid2 = String.valueOf(pg.queryValue("postgres", "SELECT oid FROM pg_tablespace WHERE spcname = 'ts2'"));
        JsonNode backup = api.backup(CLUSTER, Map.of("kind", "BASE", "format", "BLOCKS", "type", "INCR"));
        Map<String, TableFingerprint> expected = new java.util.HashMap<>(pg.fingerprints("postgres"));
        // the unlogged table comes back empty, as from any base backup: its init fork only
        expected.put("public.scratch", new TableFingerprint(0, "d41d8cd98f00b204e9800998ecf8427e"));

        // after the backup: rows changed in both tablespaces; then, the server down, spaced3's file deleted, a stray
        // file beside it, one outside this server's PG_ directory (not the restore's to touch), ts2's link removed
        pg.execute("postgres", "UPDATE spaced SET v = 'after the backup' WHERE id <= 10",
                "INSERT INTO spaced2 SELECT g, 'after the backup' FROM generate_series(5001, 6000) g", "CHECKPOINT");
        Path spaced = pg.dataDirectory().resolve((String) pg.queryValue("postgres",
                "SELECT pg_relation_filepath('spaced3')"));
        pg.stop();
        Path stray = spaced.resolveSibling("999999");
        Path foreign = tablespace.resolve("not-this-servers");
        PgCluster.runAsOsUser("rm", "--", spaced.toString());
        PgCluster.runAsOsUser("truncate", "-s", "8192", stray.toString());
        PgCluster.runAsOsUser("truncate", "-s", "100", foreign.toString());
        PgCluster.runAsOsUser("rm", "--", pg.dataDirectory().resolve("pg_tblspc/" + oid2).toString());
        String secondBefore = listing(second);

        Api.Response r = api.post("/api/v1/clusters/" + CLUSTER + "/recoveries", Map.of("target",
                Map.of("immediate", true), "backupId", backup.path("id").asString(), "dataDirectory",
                pg.dataDirectory().toString(), "replaceExisting", true, "delta", true));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        api.awaitSucceeded(r.field("id"));
        String log = api.get("/api/v1/jobs/" + r.field("id") + "/log").body();
        System.out.println("HostReadBackupTests: " + log.lines().filter(l -> l.contains("delta restore: "))
                .toList());

        // ts through its link: the deleted file written whole, spaced's patched, the stray one removed
        Matcher ts = tablespaceLine(oid, "link to " + tablespace.toRealPath()).matcher(log);
        assertThat(ts.find()).as(log).isTrue();
        assertThat(Long.parseLong(ts.group(1))).as(ts.group()).isPositive();
        assertThat(Long.parseLong(ts.group(2))).as("the toast index did not change: %s", ts.group()).isPositive();
        assertThat(Integer.parseInt(ts.group(4))).as(ts.group()).isGreaterThanOrEqualTo(1);
        assertThat(Integer.parseInt(ts.group(5))).as(ts.group()).isGreaterThanOrEqualTo(1);
        assertThat(Integer.parseInt(ts.group(6))).as(ts.group()).isGreaterThanOrEqualTo(1);
        // ts2, its link gone: recreated in place, every file written whole
        assertThat(log).contains("pg_tblspc/" + oid2 + " is missing: the tablespace is recreated in place")
                .contains("allow_in_place_tablespaces = 'on'").contains("all together: delta restore: ");
        Matcher ts2 = tablespaceLine(oid2, "recreated in place").matcher(log);
        assertThat(ts2.find()).as(log).isTrue();
        assertThat(Long.parseLong(ts2.group(2))).as(ts2.group()).isZero();
        assertThat(Integer.parseInt(ts2.group(4))).as(ts2.group()).isPositive();

        assertThat(pg.fingerprints("postgres")).isEqualTo(expected);
        assertThat(spaced).exists();
        assertThat(stray).doesNotExist();
        assertThat(foreign).exists();
        assertThat(pg.dataDirectory().resolve("pg_tblspc/" + oid2)).isDirectory();
        assertThat(java.nio.file.Files.isSymbolicLink(pg.dataDirectory().resolve("pg_tblspc/" + oid2))).isFalse();
        assertThat(listing(second)).as("nothing written where the removed link pointed").isEqualTo(secondBefore);

        // the tablespace now in place is backed up and recovered like a linked one
        String spaced2 = "SELECT count(*) || md5(string_agg(id || v, ',' ORDER BY id)) FROM spaced2";
        JsonNode next = api.backup(CLUSTER, Map.of("kind", "BASE", "format", "BLOCKS", "type", "INCR"));
        Path dir = recoveries.resolve("after-delta");
        started.add(dir);
        Api.Response copy = api.post("/api/v1/clusters/" + CLUSTER + "/recoveries", Map.of("target",
                Map.of("immediate", true), "backupId", next.path("id").asString(), "dataDirectory", dir.toString()));
        assertThat(copy.status()).as(copy.body()).isEqualTo(202);
        int copyPort = api.awaitSucceeded(copy.field("id")).path("result").path("port").asInt();
        assertThat(query(copyPort, TABLES)).isEqualTo(pg.queryValue("postgres", TABLES));
        assertThat(query(copyPort, spaced2)).isEqualTo(pg.queryValue("postgres", spaced2));
    }

    private static Pattern tablespaceLine(String oid, String where) {
        return Pattern.compile("tablespace pg_tblspc/" + oid + " \\(" + Pattern.quote(where) + "\\): delta restore: "
                + "(\\d+) bytes checked, (\\d+) skipped \\(already right\\), (\\d+) written; (\\d+) file\\(s\\) written "
                + "whole, (\\d+) patched block by block, (\\d+) path\\(s\\) removed");
    }

    /** Every path below a directory with its size and modification time. */
    private static String listing(Path dir) throws Exception {
        try (java.util.stream.Stream<Path> paths = java.nio.file.Files.walk(dir)) {
            return paths.sorted().map(p -> {
                try {
                    return dir.relativize(p) + " " + java.nio.file.Files.size(p) + " "
                            + java.nio.file.Files.getLastModifiedTime(p).toMillis();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).collect(java.util.stream.Collectors.joining("\n"));
        }
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
