package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import io.pgvault.testing.WalSegments;
import io.pgvault.wal.WalCommands;
import io.pgvault.wal.WalFileName;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;

/**
 * Base backups and point-in-time recovery against a real cluster whose archive_command pushes its WAL to
 * pgvault over HTTP: rows go in at three moments with WAL switches between them, then recoveries to a
 * time, a restore point, an LSN, just before a DROP TABLE (by xid), and latest each hold exactly the rows
 * they should. A recovery that needs a missing segment is refused before anything is written. The last
 * test recovers the cluster in place.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PointInTimeRecoveryTests extends EndToEndTest {

    static final String CLUSTER = "pitr";
    static final long SEGMENT = 16L * 1024 * 1024;

    PgCluster pg;
    Path recoveries;
    final List<Path> started = new ArrayList<>();
    JsonNode base;
    String afterBatch2Time;
    String afterBatch2Lsn;
    long dropXid;
    String lastSegment;

    @BeforeAll
    void archivingClusterWithHistory() throws Exception {
        api = new Api(port);
        recoveries = PgCluster.recoveryDirectory("pgvault-recoveries-");
        pg = PgCluster.start("pitr", Map.of("archive_mode", "on", "archive_command", "", "archive_timeout", "0"));
        api.register(CLUSTER, pg);
        api.archiveThroughPgvault(CLUSTER, pg);
        pg.execute("postgres", "CREATE TABLE t (id int PRIMARY KEY, batch int NOT NULL)",
                "CREATE TABLE marker (id int)");

        base = api.backup(CLUSTER, Map.of("kind", "BASE", "label", "before t1"));

        insertBatch(1);
        pg.switchWal();
        insertBatch(2);
        afterBatch2Time = (String) pg.queryValue("postgres",
                "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
        afterBatch2Lsn = pg.queryValue("postgres", "SELECT pg_current_wal_lsn()::text").toString();
        pg.execute("postgres", "SELECT pg_create_restore_point('after-batch-2')");
        pg.switchWal();
        insertBatch(3);
        pg.switchWal();
        try (Connection c = pg.connect("postgres"); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("DROP TABLE t");
            try (ResultSet rs = st.executeQuery("SELECT txid_current()")) {
                rs.next();
                dropXid = rs.getLong(1);
            }
            c.commit();
        }
        pg.execute("postgres", "INSERT INTO marker VALUES (1)");
        lastSegment = pg.switchWal();
        api.awaitLastSegment(CLUSTER, lastSegment, pg);
    }

    @AfterAll
    void cleanUp() {
        for (Path dir : started) {
            PgCluster.removeForeignServer(dir, recoveries);
        }
        PgCluster.removeForeignServer(recoveries.resolve("none"), recoveries);
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    @Order(1)
    void aBaseBackupIsCataloguedAndVerifiedAgainstItsManifest() {
        assertThat(base.path("kind").asString()).isEqualTo("BASE");
        assertThat(base.path("timeline").asInt()).isEqualTo(1);
        assertThat(base.path("startLsn").asString()).matches("[0-9A-F]+/[0-9A-F]+");
        assertThat(base.path("stopLsn").asString()).matches("[0-9A-F]+/[0-9A-F]+");
        assertThat(base.path("firstWal").asString()).matches("00000001[0-9A-F]{16}");
        assertThat(base.path("lastWal").asString()).matches("00000001[0-9A-F]{16}");
        assertThat(base.path("options").path("compressionMethod").asString()).isEqualTo("ZSTD");
        assertThat(base.path("options").path("compressionWorkers").asInt()).as("one zstd worker per core by default")
                .isEqualTo(Runtime.getRuntime().availableProcessors());
        List<String> files = new ArrayList<>();
        base.path("files").forEach(f -> {
            files.add(f.path("path").asString());
            assertThat(f.path("sha256").asString()).hasSize(64);
        });
        assertThat(files).containsExactly("backup_manifest", "base.tar.zst", "pg_wal.tar.zst");
        JsonNode verified = api.awaitVerification(base.path("id").asString(), Duration.ofMinutes(2));
        assertThat(verified.path("verification").path("status").asString())
                .as(verified.toString()).isEqualTo("PASSED");
        assertThat(verified.path("verification").path("level").asString()).isEqualTo("LIST");
        assertThat(verified.path("verification").path("detail").asString()).contains("pg_verifybackup")
                .contains("checksums match");
        assertThat(api.get("/api/v1/jobs/" + base.path("jobId").asString() + "/log").body())
                .contains("base.tar.zst hashed while it was written");
    }

    @Test
    @Order(2)
    void theArchiveSummaryShowsTheRecoveryWindow() {
        JsonNode window = api.get("/api/v1/clusters/" + CLUSTER + "/wal").json().path("recoveryWindow");
        assertThat(window.path("fromBackup").asString()).isEqualTo(base.path("id").asString());
        assertThat(window.path("startLsn").asString()).isEqualTo(base.path("stopLsn").asString());
        assertThat(window.path("lastSegment").asString()).isEqualTo(lastSegment);
        assertThat(OffsetDateTime.parse(window.path("endTime").asString()))
                .isAfter(OffsetDateTime.parse(window.path("startTime").asString()));
    }

    @Test
    @Order(3)
    void recoversToATimeBetweenT2AndT3() throws Exception {
        JsonNode job = recover("to-time", Map.of("time", afterBatch2Time), Map.of());
        assertThat(batches(job)).containsExactly(1, 2);
        JsonNode result = job.path("result");
        assertThat(result.path("state").asString()).isEqualTo("promoted");
        assertThat(result.path("timeline").asInt()).isEqualTo(2);
        assertThat(result.path("backupId").asString()).isEqualTo(base.path("id").asString());
        assertThat(OffsetDateTime.parse(result.path("reachedTime").asString()))
                .isBeforeOrEqualTo(OffsetDateTime.parse(afterBatch2Time));
        assertThat(api.get("/api/v1/jobs/" + job.path("id").asString() + "/log").body())
                .contains("restore_command").contains("postgres: ").contains("recovery stopping before commit");
    }

    @Test
    @Order(4)
    void recoversToARestorePointAndPausesThere() throws Exception {
        JsonNode job = recover("to-name", Map.of("name", "after-batch-2"), Map.of("action", "pause"));
        assertThat(job.path("result").path("state").asString()).isEqualTo("paused");
        assertThat(batches(job)).containsExactly(1, 2);
        try (Connection c = connect(job); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
            rs.next();
            assertThat(rs.getBoolean(1)).isTrue();
        }
    }

    @Test
    @Order(5)
    void recoversToAnLsn() throws Exception {
        JsonNode job = recover("to-lsn", Map.of("lsn", afterBatch2Lsn), Map.of());
        assertThat(batches(job)).containsExactly(1, 2);
    }

    @Test
    @Order(6)
    void recoversToJustBeforeADropTable() throws Exception {
        JsonNode job = recover("before-drop", Map.of("xid", dropXid), Map.of("inclusive", false));
        assertThat(batches(job)).containsExactly(1, 2, 3);
    }

    @Test
    @Order(7)
    void latestReplaysEverything() throws Exception {
        JsonNode job = recover("latest", Map.of("latest", true), Map.of());
        try (Connection c = connect(job); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT to_regclass('public.t') IS NULL, (SELECT count(*) FROM marker)")) {
                rs.next();
                assertThat(rs.getBoolean(1)).as("table t was dropped").isTrue();
                assertThat(rs.getLong(2)).isEqualTo(1);
            }
        }
    }

    @Test
    @Order(8)
    void aBaseBackupRestoresToANewDirectoryAsOfItsEnd() throws Exception {
        Path dir = recoveries.resolve("restored");
        started.add(dir);
        JsonNode job = api.restore(base.path("id").asString(), Map.of("dataDirectory", dir.toString()));
        assertThat(job.path("result").path("state").asString()).isEqualTo("promoted");
        try (Connection c = connect(job); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM t")) {
            rs.next();
            assertThat(rs.getLong(1)).as("the table as it was at the backup: empty").isZero();
        }
        assertThat(Files.readString(dir.resolve("postgresql.auto.conf"))).contains("archive_mode = 'off'");
    }

    @Test
    @Order(8)
    void anLz4ServerCompressedBackupVerifiesAndRestores() throws Exception {
        JsonNode lz4 = api.backup(CLUSTER, Map.of("kind", "BASE", "compressionMethod", "LZ4", "compressAt", "SERVER",
                "label", "lz4 on the server"));
        List<String> files = new ArrayList<>();
        lz4.path("files").forEach(f -> files.add(f.path("path").asString()));
        assertThat(files).containsExactly("backup_manifest", "base.tar.lz4", "pg_wal.tar.lz4");
        JsonNode verified = api.awaitVerification(lz4.path("id").asString(), Duration.ofMinutes(2));
        assertThat(verified.path("verification").path("status").asString()).as(verified.toString()).isEqualTo("PASSED");

        Path dir = recoveries.resolve("restored-lz4");
        started.add(dir);
        JsonNode job = api.restore(lz4.path("id").asString(), Map.of("dataDirectory", dir.toString()));
        try (Connection c = connect(job); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT (SELECT count(*) FROM marker), to_regclass('t') IS NULL")) {
            rs.next();
            assertThat(rs.getLong(1)).as("the marker row written after t3").isEqualTo(1);
            assertThat(rs.getBoolean(2)).as("t was dropped before this backup").isTrue();
        }
    }

    @Test
    @Order(8)
    void aBaseBackupPassesARestoreDrillOnAThrowawayServer() throws Exception {
        String id = base.path("id").asString();
        Api.Response r = api.post("/api/v1/backups/" + id + "/verifications", Map.of("level", "RESTORE"));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode job = api.awaitJob(r.field("id"), Duration.ofMinutes(3));
        JsonNode drilled = api.get("/api/v1/backups/" + id).json();
        assertThat(job.path("status").asString()).as("%s%n%s", drilled, api.get("/api/v1/jobs/" + r.field("id")
                + "/log").body()).isEqualTo("SUCCEEDED");
        assertThat(drilled.path("verification").path("level").asString()).isEqualTo("RESTORE");
        assertThat(drilled.path("verification").path("detail").asString()).contains("recovered to consistency")
                .contains("checksums match");
        assertThat(drilled.path("drillSeconds").asDouble()).isPositive();
        try (var leftovers = Files.list(PgCluster.recoveryRoot().resolve("drills"))) {
            assertThat(leftovers).as("the drill's copy is removed").isEmpty();
        }
        assertThat(api.get("/api/v1/clusters/" + CLUSTER).json().path("measuredRto").path("backupId").asString())
                .isEqualTo(id);
    }

    @Test
    @Order(9)
    void aRecoveryThatNeedsAMissingSegmentIsRefusedBeforeAnythingIsWritten() throws Exception {
        String gappy = "pitr-gap";
        api.register(gappy, pg);
        JsonNode backup = api.backup(gappy, Map.of("kind", "BASE", "compressionMethod", "GZIP"));
        long last = WalFileName.parse(backup.path("lastWal").asString()).position(SEGMENT);
        String missing = WalFileName.segmentName(1, last + 1, SEGMENT);
        String later = WalFileName.segmentName(1, last + 2, SEGMENT);
        HttpResponse<String> pushed = HttpClient.newHttpClient().send(Api.authorized(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + port + "/api/v1/clusters/" + gappy + "/wal/" + later)))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(WalSegments.of(pg).segment(later))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(pushed.statusCode()).isEqualTo(201);

        long jobs = api.jobCount();
        Path dir = recoveries.resolve("never");
        Api.Response refused = api.post("/api/v1/clusters/" + gappy + "/recoveries",
                Map.of("target", Map.of("latest", true), "dataDirectory", dir.toString()));
        assertThat(refused.status()).as(refused.body()).isEqualTo(409);
        assertThat(refused.contentType()).startsWith("application/problem+json");
        assertThat(refused.json().path("detail").asString()).contains("missing segment " + missing);
        assertThat(dir).doesNotExist();
        assertThat(api.jobCount()).isEqualTo(jobs);

        String id = backup.path("id").asString();
        api.awaitVerification(id, Duration.ofMinutes(2));
        Api.Response only = api.delete("/api/v1/backups/" + id);
        for (int i = 0; i < 50 && only.body().contains("in use by a queued or running job"); i++) {
            Api.sleep(100); // the verification job records its result just before it ends
            only = api.delete("/api/v1/backups/" + id);
        }
        assertThat(only.status()).as(only.body()).isEqualTo(409);
        assertThat(only.body()).contains("only BASE backup").contains("force=true");
        assertThat(api.get("/api/v1/backups/" + id).json().path("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(api.delete("/api/v1/backups/" + id + "?force=true").status()).isEqualTo(200);
    }

    @Test
    @Order(10)
    void restoreCommandTellsAMissingFileFromAnUnreachableArchive() throws Exception {
        String wal = "http://127.0.0.1:" + port + "/api/v1/clusters/" + CLUSTER + "/wal/";
        Path fetched = recoveries.resolve("fetched");
        Path header = recoveries.resolve(WalCommands.HEADER_FILE);
        Files.writeString(header, WalCommands.header("pgva_not-this-clusters-token"));
        assertThat(runRestoreCommand(wal, lastSegment, fetched))
                .as("a wrong archive token (401): fatal, never read as the end of the archive").isGreaterThan(125);
        assertThat(fetched).doesNotExist();
        Files.writeString(header, api.get("/api/v1/clusters/" + CLUSTER + "/archive-config").json()
                .path("headerFileContent").asString());
        assertThat(runRestoreCommand(wal, lastSegment, fetched)).isZero();
        assertThat(Files.size(fetched)).isEqualTo(SEGMENT);
        Files.delete(fetched);

        assertThat(runRestoreCommand(wal, "00000009000000000000000A", fetched))
                .as("a 404: the end of the archive, recovery goes on from pg_wal").isEqualTo(1);
        assertThat(fetched).doesNotExist();

        int dead = io.pgvault.testing.Ports.free(); // reserved and never listened on: no other fork's server either
        assertThat(runRestoreCommand("http://127.0.0.1:" + dead + "/api/v1/clusters/" + CLUSTER + "/wal/", lastSegment,
                fetched)).as("pgvault unreachable: fatal for the recovery, never a silent early end").isGreaterThan(125);
        assertThat(fetched).doesNotExist();
    }

    /** Runs the restore_command pgvault writes through sh, with PostgreSQL's %f, %p and %% substitutions. */
    private static int runRestoreCommand(String walUrl, String file, Path target) throws Exception {
        String template = WalCommands.restoreCommand(walUrl);
        StringBuilder command = new StringBuilder();
        for (int i = 0; i < template.length(); i++) {
            char c = template.charAt(i);
            if (c == '%' && i + 1 < template.length()) {
                char next = template.charAt(++i);
                command.append(next == 'f' ? file : next == 'p' ? target.toString() : String.valueOf(next));
            } else {
                command.append(c);
            }
        }
        // PostgreSQL runs restore_command in the data directory, where the header file is
        Process p = new ProcessBuilder("sh", "-c", command.toString()).directory(target.getParent().toFile())
                .redirectErrorStream(true).start();
        p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        return p.waitFor();
    }

    @Test
    @Order(10)
    void badRecoveryRequestsAreRefused() throws Exception {
        long jobs = api.jobCount();
        Path notEmpty = Files.createDirectories(recoveries.resolve("not-empty"));
        Files.writeString(notEmpty.resolve("file"), "x");
        String fresh = recoveries.resolve("fresh").toString();
        // where the refused requests point: below this class's own recovery directory, so that its absence says
        // pgvault made nothing (a fixed path like /tmp/x may exist on any machine for other reasons)
        String untouched = recoveries.resolve("untouched").toString();
        String future = OffsetDateTime.now().plusDays(1).toString();
        List<Object[]> cases = List.of(
                new Object[] {Map.of("dataDirectory", untouched), 400, "target is required"},
                new Object[] {Map.of("target", Map.of("latest", true, "lsn", "0/1"), "dataDirectory", untouched), 400,
                        "exactly one"},
                new Object[] {Map.of("target", Map.of("lsn", "nope"), "dataDirectory", untouched), 400, "LSN"},
                new Object[] {Map.of("target", Map.of("time", future), "dataDirectory", untouched), 400, "future"},
                new Object[] {Map.of("target", Map.of("time", "2001-01-01T00:00:00Z"), "dataDirectory", fresh),
                        400, "before the end of the oldest BASE backup"},
                new Object[] {Map.of("target", Map.of("latest", true), "dataDirectory", "relative/dir"), 400,
                        "absolute"},
                new Object[] {Map.of("target", Map.of("latest", true), "dataDirectory", "/"), 400, "may not be /"},
                new Object[] {Map.of("target", Map.of("latest", true), "dataDirectory",
                        recoveries.resolve("..").resolve("etc").toString()), 400,
                        "normalized"},
                new Object[] {Map.of("target", Map.of("latest", true), "dataDirectory", STORAGE.resolve("x").toString()),
                        400, "not below one of the recovery roots"},
                new Object[] {Map.of("target", Map.of("latest", true), "dataDirectory", "/proc/self/cwd"
                        + STORAGE.resolve(".scratch")), 400, "not below one of the recovery roots"},
                // a system directory is the point of this case; the request is refused and nothing reads it
                new Object[] {Map.of("target", Map.of("latest", true),
                        "dataDirectory", "/etc/systemd/system/x.d"), // fixed-path-ok: a refused request's value
                        400, "not below one of the recovery roots"},
                new Object[] {Map.of("target", Map.of("latest", true), "dataDirectory",
                        recoveries.resolve("to-time").resolve("nested").toString()), 400, "another server's"},
                new Object[] {Map.of("target", Map.of("latest", true), "dataDirectory", notEmpty.toString()), 409,
                        "replaceExisting"},
                new Object[] {Map.of("target", Map.of("latest", true), "dataDirectory", notEmpty.toString(),
                        "replaceExisting", true), 400, "is not that"},
                new Object[] {Map.of("target", Map.of("latest", true), "dataDirectory", pg.dataDirectory().toString()),
                        400, "replaceExisting"},
                new Object[] {Map.of("target", Map.of("latest", true), "action", "pause", "dataDirectory", untouched),
                        400, "action"},
                new Object[] {Map.of("target", Map.of("immediate", true), "dataDirectory", fresh, "port", 70000),
                        400, "port"},
                new Object[] {Map.of("target", Map.of("immediate", true), "dataDirectory", fresh, "port", pg.port()),
                        409, "in use"},
                new Object[] {Map.of("target", Map.of("immediate", true), "dataDirectory", fresh, "timeline", "x;"),
                        400, "timeline"});
        for (Object[] c : cases) {
            Api.Response r = api.post("/api/v1/clusters/" + CLUSTER + "/recoveries", (Map<String, ?>) c[0]);
            assertThat(r.status()).as("%s -> %s", c[0], r.body()).isEqualTo(c[1]);
            assertThat(r.contentType()).startsWith("application/problem+json");
            assertThat(r.body()).as("%s", c[0]).contains((String) c[2]);
        }
        assertThat(api.post("/api/v1/clusters/nobody/recoveries", Map.of("target", Map.of("latest", true),
                "dataDirectory", untouched)).status()).isEqualTo(404);
        assertThat(Path.of(untouched)).doesNotExist();
        assertThat(Path.of(fresh)).doesNotExist();
        assertThat(api.jobCount()).isEqualTo(jobs);
    }

    @Test
    @Order(11)
    void recoversTheClusterInPlaceKeepingTheOldDirectoryAndItsUnarchivedWal() throws Exception {
        Path data = pg.dataDirectory();
        // committed, but in a segment the server has not finished, so never archived
        pg.execute("postgres", "INSERT INTO marker VALUES (2)");
        Api.Response r = api.post("/api/v1/clusters/" + CLUSTER + "/recoveries", Map.of(
                "target", Map.of("latest", true), "dataDirectory", data.toString(), "replaceExisting", true));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode job = api.awaitSucceeded(r.field("id"));
        JsonNode result = job.path("result");
        Path aside = Path.of(result.path("movedAsideTo").asString());
        assertThat(aside.getParent()).isEqualTo(data.getParent());
        assertThat(aside.resolve("PG_VERSION")).exists();
        assertThat(result.path("port").asInt()).isEqualTo(pg.port());
        assertThat(api.get("/api/v1/jobs/" + r.field("id") + "/log").body()).contains("carried over");
        try (Connection c = connect(job); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM marker")) {
            rs.next();
            assertThat(rs.getLong(1)).as("the row only the replaced server's pg_wal held").isEqualTo(2);
        }
        assertThat(Files.readString(data.resolve("postgresql.auto.conf"))).doesNotContain("archive_mode = 'off'");
    }

    private JsonNode recover(String name, Map<String, ?> target, Map<String, ?> options) {
        Path dir = recoveries.resolve(name);
        started.add(dir);
        Map<String, Object> body = new LinkedHashMap<>(options);
        body.put("target", target);
        body.put("dataDirectory", dir.toString());
        Api.Response r = api.post("/api/v1/clusters/" + CLUSTER + "/recoveries", body);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(r.json().path("type").asString()).isEqualTo("RECOVERY");
        return api.awaitSucceeded(r.field("id"));
    }


    private static Connection connect(JsonNode job) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + job.path("result").path("port").asInt()
                + "/postgres", "postgres", "");
    }

    /** The batches present in table t of the recovered server. */
    private static List<Integer> batches(JsonNode job) throws SQLException {
        List<Integer> batches = new ArrayList<>();
        try (Connection c = connect(job); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT batch, count(*) FROM t GROUP BY batch ORDER BY batch")) {
            while (rs.next()) {
                assertThat(rs.getLong(2)).as("rows of batch %d", rs.getInt(1)).isEqualTo(100);
                batches.add(rs.getInt(1));
            }
        }
        return batches;
    }

    private void insertBatch(int batch) {
        pg.execute("postgres", "INSERT INTO t SELECT " + batch + " * 1000 + g, " + batch + " FROM generate_series(1, 100) g");
    }

}
