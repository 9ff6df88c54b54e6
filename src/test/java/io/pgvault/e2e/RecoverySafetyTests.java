package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import io.pgvault.wal.WalArchiveService;
import io.pgvault.wal.WalCommands;
import io.pgvault.wal.WalFileName;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
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
 * Recoveries cannot be turned against the host or the archive, with real clusters: a data directory reached
 * through a link the PostgreSQL OS user planted is refused; another cluster's directory cannot be replaced; a
 * copy's WAL credential fetches and nothing else; retention never cuts the WAL chain of a queued or running
 * recovery; a recovery whose promised WAL vanished fails instead of promoting early and names the segment;
 * an in-place recovery that fails puts the original directory back and starts its server again.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RecoverySafetyTests extends EndToEndTest {

    static final String CLUSTER = "safety";
    static final String BLOCKER = "safety-blocker";
    static final String DB = "blocked";
    static final long SEGMENT = 16L * 1024 * 1024;

    @Autowired
    WalArchiveService wal;

    PgCluster pg;
    Path base;
    Path pgOwned;
    Path rootOnly;
    JsonNode first;
    JsonNode second;
    final List<Path> started = new ArrayList<>();

    @BeforeAll
    void archivingClusterWithTwoBaseBackups() throws Exception {
        api = new Api(port);
        base = PgCluster.recoveryDirectory("safety-");
        pgOwned = Files.createDirectory(base.resolve("pg-owned"));
        PgCluster.runAsOsUser("true");
        new ProcessBuilder("chown", PgCluster.osUser() + ":" + PgCluster.osUser(), pgOwned.toString()).start().waitFor();
        rootOnly = Files.createDirectory(base.resolve("root-only"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.writeString(rootOnly.resolve("pgvault-cron"), "keep\n");

        pg = PgCluster.start("safety", Map.of("archive_mode", "on", "archive_command", "", "archive_timeout", "0"));
        api.register(CLUSTER, pg);
        JsonNode config = api.get("/api/v1/clusters/" + CLUSTER + "/archive-config").json();
        pg.writeDataFile(config.path("headerFile").asString(), config.path("headerFileContent").asString());
        pg.execute("postgres", "ALTER SYSTEM SET archive_command = '"
                + config.path("archiveCommand").asString().replace("'", "''") + "'", "SELECT pg_reload_conf()");
        pg.execute("postgres", "CREATE TABLE t (batch int)");
        pg.createDatabase(DB);
        pg.execute(DB, "CREATE TABLE held (id int)");
        first = api.backup(CLUSTER, Map.of("kind", "BASE", "label", "first"));
        pg.execute("postgres", "INSERT INTO t VALUES (1)", "SELECT pg_switch_wal()", "INSERT INTO t VALUES (2)");
        second = api.backup(CLUSTER, Map.of("kind", "BASE", "label", "second"));
        pg.execute("postgres", "INSERT INTO t VALUES (3)", "SELECT pg_switch_wal()", "INSERT INTO t VALUES (4)");
        api.awaitArchived(CLUSTER, (String) pg.queryValue("postgres", "SELECT pg_walfile_name(pg_switch_wal())"));
        api.awaitVerification(first.path("id").asString(), Duration.ofMinutes(2));
        api.awaitVerification(second.path("id").asString(), Duration.ofMinutes(2));
    }

    @AfterAll
    void cleanUp() {
        for (Path dir : started) {
            PgCluster.removeForeignServer(dir, dir);
        }
        PgCluster.deleteTree(base);
        if (pg != null) {
            try (Stream<Path> aside = Files.list(pg.dataDirectory().getParent())) {
                aside.filter(p -> p.getFileName().toString().contains(".pgvault-")).forEach(PgCluster::deleteTree);
            } catch (java.io.IOException e) {
                // nothing aside
            }
            pg.close();
        }
    }

    @Test
    @Order(1)
    void aDataDirectoryBehindAPlantedLinkIsRefusedAndNothingIsWritten() throws Exception {
        Path link = pgOwned.resolve("recovered");
        PgCluster.runAsOsUser("ln", "-s", rootOnly.toString(), link.toString());
        long jobs = api.jobCount();
        Api operator = api.as(token("safety-operator", "OPERATOR"));
        for (String dir : List.of(link.toString(), link.resolve("data").toString())) {
            Api.Response r = operator.post("/api/v1/backups/" + first.path("id").asString() + "/restores",
                    Map.of("dataDirectory", dir));
            assertThat(r.status()).as(r.body()).isEqualTo(400);
            assertThat(r.json().path("detail").asString()).contains("symbolic link");
        }
        assertThat(api.jobCount()).isEqualTo(jobs);
        try (Stream<Path> list = Files.list(rootOnly)) {
            assertThat(list.map(p -> p.getFileName().toString())).containsExactly("pgvault-cron");
        }
    }

    @Test
    @Order(2)
    void anotherClustersDataDirectoryCannotBeReplaced() {
        PgCluster other = PgCluster.shared();
        Api.Response r = api.post("/api/v1/clusters/" + CLUSTER + "/recoveries", Map.of("target", Map.of("latest", true),
                "dataDirectory", other.dataDirectory().toString(), "replaceExisting", true));
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.json().path("detail").asString()).contains(pg.dataDirectory().toString()).contains("is not that");
        assertThat(other.dataDirectory().resolve("PG_VERSION")).exists();
        assertThat(other.queryValue("postgres", "SELECT 1")).isEqualTo(1);
    }

    @Test
    @Order(3)
    void aCopysWalCredentialFetchesAndNothingElseAndEndsWithItsPromotion() throws Exception {
        Path dir = pgOwned.resolve("unstarted");
        JsonNode job = recover(Map.of("target", Map.of("latest", true), "dataDirectory", dir.toString(), "start", false),
                "SUCCEEDED");
        assertThat(job.path("result").path("state").asString()).isEqualTo("ready to start");
        String header = PgCluster.runAsOsUser("cat", dir.resolve(WalCommands.HEADER_FILE).toString());
        String token = header.substring(header.indexOf("Bearer ") + 7).strip();
        assertThat(token).startsWith("pgvc_").isNotEqualTo(archiveToken());
        String segment = second.path("lastWal").asString();

        assertThat(walRequest(CLUSTER, segment, token, "GET").statusCode()).isEqualTo(200);
        // only the WAL its recovery can read: from its backup's first segment on, on its timelines
        assertThat(second.path("firstWal").asString()).isGreaterThan(first.path("firstWal").asString());
        // (outside, it is not there for the copy: 404, as restore_command needs, whether it is archived or not)
        assertThat(api.get("/api/v1/clusters/" + CLUSTER + "/wal/" + first.path("firstWal").asString()).status())
                .isEqualTo(200);
        for (String outside : List.of(first.path("firstWal").asString(), "000000020000000000000077",
                "00000002.history")) {
            HttpResponse<byte[]> refused = walRequest(CLUSTER, outside, token, "GET");
            assertThat(refused.statusCode()).as(outside).isEqualTo(404);
            assertThat(new String(refused.body(), java.nio.charset.StandardCharsets.UTF_8)).as(outside)
                    .contains("outside the WAL that recovery job");
        }
        HttpResponse<byte[]> missing = walRequest(CLUSTER, "000000010000000000000077", token, "GET");
        assertThat(missing.statusCode()).as("its timeline after its backup, not archived").isEqualTo(404);
        assertThat(new String(missing.body(), java.nio.charset.StandardCharsets.UTF_8)).doesNotContain("outside");
        assertThat(walRequest(CLUSTER, "000000010000000000000077", token, "PUT").statusCode())
                .as("a copy never pushes").isIn(401, 403);
        assertThat(walRequest(BLOCKER, segment, token, "GET").statusCode()).as("another cluster's WAL").isEqualTo(401);
        assertThat(api.as(token).get("/api/v1/backups").status()).as("the API").isEqualTo(401);

        // started by hand, the copy fetches what it needs with its own credential and reaches the end
        int copyPort = job.path("result").path("port").asInt();
        started.add(dir);
        PgCluster.runAsOsUser(PgCluster.binDirectory().resolve("pg_ctl").toString(), "-D", dir.toString(), "-w", "-t",
                "60", "-l", dir.resolve("manual.log").toString(), "start");
        awaitPromoted(copyPort);
        assertThat(batches(copyPort)).containsExactly(1, 2, 3, 4);

        JsonNode promoted = recover(Map.of("target", Map.of("latest", true), "dataDirectory",
                pgOwned.resolve("promoted").toString()), "SUCCEEDED");
        String promotedHeader = PgCluster.runAsOsUser("cat", pgOwned.resolve("promoted").resolve(WalCommands.HEADER_FILE)
                .toString());
        String promotedToken = promotedHeader.substring(promotedHeader.indexOf("Bearer ") + 7).strip();
        assertThat(promoted.path("result").path("state").asString()).isEqualTo("promoted");
        assertThat(walRequest(CLUSTER, segment, promotedToken, "GET").statusCode())
                .as("revoked once its copy was promoted").isEqualTo(401);
    }

    @Test
    @Order(4)
    void retentionKeepsTheWalOfAQueuedRecoveryFromAnOlderBackup() throws Exception {
        api.register(BLOCKER, PgCluster.shared());
        if (!PgCluster.shared().databaseExists(DB)) {
            PgCluster.shared().createDatabase(DB);
            PgCluster.shared().execute(DB, "CREATE TABLE held (id int)");
        }
        setKeepLast(1);
        Api.Response recovery;
        String retention;
        try (Blocked ignored = blockJobSlots()) {
            recovery = api.post("/api/v1/clusters/" + CLUSTER + "/recoveries", Map.of("target", Map.of("latest", true),
                    "backupId", first.path("id").asString(), "dataDirectory", pgOwned.resolve("old").toString()));
            assertThat(recovery.status()).as(recovery.body()).isEqualTo(202);
            started.add(pgOwned.resolve("old"));
            JsonNode plan = api.post("/api/v1/clusters/" + CLUSTER + "/retention?dryRun=true", "").json();
            assertThat(plan.path("wal").path("firstKept").asString()).as(plan.toString())
                    .isEqualTo(first.path("firstWal").asString());
            retention = api.post("/api/v1/clusters/" + CLUSTER + "/retention", "").field("id");
        }
        JsonNode done = api.awaitJob(recovery.field("id"), Duration.ofMinutes(3));
        assertThat(done.path("status").asString()).as(log(recovery.field("id"))).isEqualTo("SUCCEEDED");
        assertThat(batches(done.path("result").path("port").asInt())).as("every row, to the end of the archive")
                .containsExactly(1, 2, 3, 4);
        assertThat(api.awaitJob(retention, Duration.ofMinutes(1)).path("status").asString()).isEqualTo("SUCCEEDED");
    }

    @Test
    @Order(6)
    void aRecoveryWhosePromisedWalVanishedFailsNamingItInsteadOfPromotingEarly() throws Exception {
        long last = WalFileName.parse(second.path("lastWal").asString()).position(SEGMENT);
        String promised = WalFileName.segmentName(1, last + 1, SEGMENT);
        Path dir = pgOwned.resolve("cut");
        Api.Response recovery;
        try (Blocked ignored = blockJobSlots()) {
            recovery = api.post("/api/v1/clusters/" + CLUSTER + "/recoveries", Map.of("target", Map.of("latest", true),
                    "backupId", second.path("id").asString(), "dataDirectory", dir.toString()));
            assertThat(recovery.status()).as(recovery.body()).isEqualTo(202);
            started.add(dir);
            // what a careless remover would do behind retention's back, while the recovery waits for a worker
            wal.deleteFiles(wal.removeRowsBefore(CLUSTER, 1, WalFileName.segmentName(1, last + 2, SEGMENT)));
        }
        JsonNode done = api.awaitJob(recovery.field("id"), Duration.ofMinutes(3));
        assertThat(done.path("status").asString()).isEqualTo("FAILED");
        assertThat(done.path("error").asString()).contains("no longer holds " + promised)
                .contains("instead of promoting");
        assertThat(log(recovery.field("id"))).contains("HTTP 409");
        assertThat(dir.resolve("postmaster.pid")).as("no copy is left running").doesNotExist();
    }

    @Test
    @Order(5)
    void aFailedInPlaceRecoveryPutsTheOriginalBackAndStartsItAgain() throws Exception {
        Path data = pg.dataDirectory();
        Api.Response r = api.post("/api/v1/clusters/" + CLUSTER + "/recoveries", Map.of(
                "target", Map.of("xid", 4_000_000_000L), "dataDirectory", data.toString(), "replaceExisting", true));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode done = api.awaitJob(r.field("id"), Duration.ofMinutes(3));
        assertThat(done.path("status").asString()).isEqualTo("FAILED");
        assertThat(done.path("error").asString()).contains("original data directory is back in " + data);
        assertThat(pg.queryValue("postgres", "SELECT count(*) FROM t")).as("the original server answers again")
                .isEqualTo(4L);
        try (Stream<Path> siblings = Files.list(data.getParent())) {
            List<String> names = siblings.map(p -> p.getFileName().toString()).toList();
            assertThat(names).anyMatch(n -> n.startsWith("data.pgvault-failed-"))
                    .noneMatch(n -> n.startsWith("data.pgvault-replaced-"));
        }
    }

    @Test
    @Order(7)
    void aCopyThatCannotStartFailsWithinSecondsWithTheServersOwnWords() throws Exception {
        Path include = Files.createDirectory(base.resolve("include"));
        Files.setPosixFilePermissions(include, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path extra = include.resolve("extra.conf");
        Files.writeString(extra, "work_mem = '8MB'\n");
        Files.setPosixFilePermissions(extra, PosixFilePermissions.fromString("rw-r--r--"));
        try (PgCluster broken = PgCluster.start("broken-start", Map.of("include", extra.toString()))) {
            api.register("broken-start", broken);
            JsonNode backup = api.backup("broken-start", Map.of("kind", "BASE"));
            Files.delete(extra);
            Path dir = pgOwned.resolve("cannot-start");
            started.add(dir);
            Api.Response r = api.post("/api/v1/backups/" + backup.path("id").asString() + "/restores",
                    Map.of("dataDirectory", dir.toString()));
            assertThat(r.status()).as(r.body()).isEqualTo(202);
            // failed as soon as the server exited, well before pg_ctl's 60 s start-up wait would end
            JsonNode done = api.awaitJob(r.field("id"), Duration.ofSeconds(50));
            assertThat(done.path("status").asString()).isEqualTo("FAILED");
            assertThat(done.path("error").asString()).contains("exited during start-up")
                    .contains("could not open configuration file");
        }
    }

    /** Both job slots held by dumps that wait on a lock, so that what is queued now stays queued. */
    private Blocked blockJobSlots() throws Exception {
        List<Connection> locks = new ArrayList<>();
        List<String> jobs = new ArrayList<>();
        for (Map.Entry<String, PgCluster> e : Map.of(CLUSTER, pg, BLOCKER, PgCluster.shared()).entrySet()) {
            Connection lock = e.getValue().connect(DB);
            lock.setAutoCommit(false);
            try (Statement st = lock.createStatement()) {
                st.execute("LOCK TABLE held IN ACCESS EXCLUSIVE MODE");
            }
            locks.add(lock);
            String job = api.startBackup(e.getKey(), Map.of("kind", "DUMP", "database", DB)).path("id").asString();
            api.awaitJob(job, Duration.ofSeconds(30), Set.of("RUNNING"));
            e.getValue().awaitLockWaiter(DB);
            jobs.add(job);
        }
        return () -> {
            for (Connection lock : locks) {
                lock.rollback();
                lock.close();
            }
            for (String job : jobs) {
                api.awaitJob(job, Duration.ofMinutes(1));
            }
        };
    }

    /** Released job slots. */
    private interface Blocked extends AutoCloseable {
        @Override
        void close() throws Exception;
    }

    private JsonNode recover(Map<String, ?> body, String expected) {
        started.add(Path.of((String) body.get("dataDirectory")));
        Api.Response r = api.post("/api/v1/clusters/" + CLUSTER + "/recoveries", body);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode done = api.awaitJob(r.field("id"), Duration.ofMinutes(3));
        assertThat(done.path("status").asString()).as(log(r.field("id"))).isEqualTo(expected);
        return done;
    }

    private String log(String jobId) {
        return api.get("/api/v1/jobs/" + jobId + "/log").body();
    }

    private void setKeepLast(int keep) {
        Map<String, Object> body = new LinkedHashMap<>(Map.of("host", pg.host(), "username", pg.superuser()));
        body.put("port", pg.port());
        body.put("retention", Map.of("keepLast", keep));
        Api.Response r = api.patch("/api/v1/clusters/" + CLUSTER, body);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    private String token(String name, String role) {
        Api.Response r = api.post("/api/v1/tokens", Map.of("name", name, "role", role));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.field("token");
    }

    private String archiveToken() {
        return api.get("/api/v1/clusters/" + CLUSTER + "/archive-config").json().path("archiveToken").asString();
    }

    private HttpResponse<byte[]> walRequest(String cluster, String file, String token, String method) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api.base() + "/api/v1/clusters/" + cluster
                + "/wal/" + file)).header("Authorization", "Bearer " + token);
        request = method.equals("PUT") ? request.PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[1]))
                : request.GET();
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }


    private static void awaitPromoted(int port) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres",
                    "postgres", ""); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return;
                }
            } catch (java.sql.SQLException e) {
                // starting
            }
            assertThat(System.nanoTime()).as("the copy on port %d promoted", port).isLessThan(deadline);
            Api.sleep(200);
        }
    }

    private static List<Integer> batches(int port) throws Exception {
        List<Integer> batches = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres",
                "postgres", ""); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT batch FROM t ORDER BY 1")) {
            while (rs.next()) {
                batches.add(rs.getInt(1));
            }
        }
        return batches;
    }
}
