package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import io.pgvault.wal.Lsn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The continuous proof as a standing standby, with real processes: pgvault in a JVM of its own (so that it can be
 * killed like a crashed server), a cluster that archives through it (1 MiB segments), a BASE backup. Mode
 * CONTINUOUS restores a standby that the follower tracks: it follows a load of inserts and WAL switches up to the
 * source's LSN, amcheck checks it, and it survives a pgvault crash (the restarted pgvault adopts the same
 * postmaster, no second copy); the source recovers and goes on on timeline 2, and the standby follows; a newer BASE
 * backup passes verification and the proof moves to a standby of it. Then replay is paused, five segments are
 * archived and the fourth is deleted from storage behind pgvault's back; replay resumes and stops before it: the proof FAILED names that segment, so does
 * the proof.failed webhook, the backups' health is DOWN, the failure is counted. Finally pgvault shuts down and
 * stops the standby; started again it starts the standby again from its directory; mode OFF stops it and removes
 * its directory.
 */
class StandingProofTests {

    static final String CLUSTER = "standing";

    @TempDir
    static Path home;
    static PgCluster pg;
    static Path recoveries;

    @BeforeAll
    static void archivingCluster() {
        pg = PgCluster.start("standing", Map.of("archive_mode", "on", "archive_command", "", "archive_timeout", "0"),
                List.of("--wal-segsize=1"));
        recoveries = PgCluster.recoveryDirectory("pgvault-standing-");
    }

    @AfterAll
    static void stop() throws Exception {
        Path drills = recoveries.resolve("drills");
        if (Files.isDirectory(drills)) {
            try (Stream<Path> copies = Files.list(drills)) {
                for (Path copy : copies.toList()) {
                    PgCluster.removeForeignServer(copy, copy);
                }
            }
        }
        PgCluster.deleteTree(recoveries);
        pg.close();
    }

    @Test
    void theStandbyFollowsSurvivesACrashFollowsANewTimelineNamesTheSegmentThatIsGoneAndStopsWithPgvault() throws Exception {
        int port = ServerProcess.freePort();
        List<String> hooks = new java.util.concurrent.CopyOnWriteArrayList<>();
        com.sun.net.httpserver.HttpServer receiver = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", exchange -> {
            hooks.add(new String(exchange.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        receiver.start();
        String[] settings = {"--pgvault.proof.follow-interval=1s", "--pgvault.proof.stall-after=10s",
                "--pgvault.notifications.check-interval=1s",
                "--pgvault.recovery.roots=" + recoveries, "--pgvault.recovery.drill-directory=" + recoveries.resolve("drills")};
        ServerProcess first = ServerProcess.start(home, port, settings);
        ServerProcess second = null;
        ServerProcess third = null;
        try {
            Api api = new Api(port);
            pg.execute("postgres", "CREATE EXTENSION IF NOT EXISTS amcheck",
                    "CREATE TABLE t (id int PRIMARY KEY, note text)");
            api.register(CLUSTER, pg);
            assertThat(api.post("/api/v1/notifications", Map.of("url", "http://127.0.0.1:"
                    + receiver.getAddress().getPort() + "/hook", "events", List.of("PROOF_FAILED"))).status())
                    .isEqualTo(201);
            assertThat(api.patch("/api/v1/clusters/" + CLUSTER, Map.of("walArchive", "PUSH")).status()).isEqualTo(200);
            api.archiveThroughPgvault(CLUSTER, pg);
            api.backup(CLUSTER, Map.of("kind", "BASE"));
            assertThat(api.put("/api/v1/clusters/" + CLUSTER + "/proof", Map.of("mode", "CONTINUOUS")).status())
                    .isEqualTo(200);

            JsonNode standing = awaitProof(api, p -> p.path("state").asString().equals("PROVEN")
                    && !p.path("standby").path("integrity").isMissingNode() && !p.path("standby").path("integrity")
                    .isNull(), Duration.ofMinutes(3), first);
            JsonNode standby = standing.path("standby");
            long pid = standby.path("pid").asLong();
            assertThat(ProcessHandle.of(pid)).as("the standby's postmaster runs: %s", standing).isPresent();
            assertThat(standby.path("integrity").asString()).as("amcheck on the standby: %s", standing)
                    .contains("no corruption").doesNotContain("not run");

            // it follows a load: proven up to the source's LSN captured after it, the lag small
            String reached = load(3, 0);
            JsonNode followed = awaitProof(api, p -> provenAtLeast(p, reached), Duration.ofSeconds(90), first);
            assertThat(followed.path("lagSeconds").asLong()).as(followed.toString()).isLessThanOrEqualTo(30);

            // a crash of pgvault: the standby runs on, and the restarted pgvault adopts it
            first.kill();
            assertThat(ProcessHandle.of(pid)).as("the standby outlives pgvault's crash").isPresent();
            second = ServerProcess.start(home, port, settings);
            ServerProcess restarted = second;
            Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                    .until(() -> restarted.output().contains("Adopted the standby of cluster '" + CLUSTER + "'"));
            assertThat(standbyDirectories()).as("one standby, not a second copy").hasSize(1);
            String later = load(2, 3);
            JsonNode adopted = awaitProof(api, p -> provenAtLeast(p, later), Duration.ofSeconds(90), second);
            assertThat(adopted.path("standby").path("pid").asLong()).as(adopted.toString()).isEqualTo(pid);

            // the source recovers (archive recovery to the end of its own WAL) and goes on on timeline 2: followed
            pg.execute("postgres", "ALTER SYSTEM SET restore_command = 'false'");
            pg.stop();
            pg.writeDataFile("recovery.signal", "");
            pg.start();
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> Boolean.FALSE.equals(
                    pg.queryValue("postgres", "SELECT pg_is_in_recovery()")));
            String onTimeline2 = load(2, 5);
            assertThat(pg.queryValue("postgres", "SELECT pg_walfile_name(pg_current_wal_lsn())").toString())
                    .startsWith("00000002");
            JsonNode switched = awaitProof(api, p -> provenAtLeast(p, onTimeline2), Duration.ofSeconds(90), second);
            assertThat(switched.path("state").asString()).as(switched.toString()).isEqualTo("PROVEN");
            assertThat(switched.path("archiveEnd").asString()).as(switched.toString()).startsWith("00000002");

            // a newer BASE backup passes verification: the proof moves to it, the old standby goes
            String newer = api.backup(CLUSTER, Map.of("kind", "BASE")).path("id").asString();
            assertThat(api.awaitVerification(newer, Duration.ofMinutes(2)).path("verification").path("status")
                    .asString()).isEqualTo("PASSED");
            JsonNode moved = awaitProof(api, p -> newer.equals(p.path("standby").path("backupId").asString())
                    && p.path("state").asString().equals("PROVEN"), Duration.ofMinutes(3), second);
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> ProcessHandle.of(pid).isEmpty()
                    && standbyDirectories().size() == 1);
            long movedPid = moved.path("standby").path("pid").asLong();
            assertThat(ProcessHandle.of(movedPid)).as(moved.toString()).isPresent();

            // a segment gone from storage before the standby reached it: the finding names it
            List<String> segments = new ArrayList<>();
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:"
                    + moved.path("standby").path("port").asInt() + "/postgres", pg.superuser(), pg.password());
                    Statement st = c.createStatement()) {
                st.execute("SELECT pg_wal_replay_pause()");
                for (int i = 0; i < 5; i++) {
                    pg.execute("postgres", "INSERT INTO t SELECT g, md5(g::text) FROM generate_series("
                            + (10_000 + i * 3000) + ", " + (10_000 + i * 3000 + 2999) + ") g");
                    segments.add((String) pg.queryValue("postgres", "SELECT pg_walfile_name(pg_switch_wal())"));
                }
                api.awaitArchived(CLUSTER, segments.get(4));
                removeFromStorage(segments.get(3));
                st.execute("SELECT pg_wal_replay_resume()");
            }
            String gone = segments.get(3);
            JsonNode failed = awaitProof(api, p -> p.path("state").asString().equals("FAILED"), Duration.ofSeconds(60),
                    second);
            assertThat(failed.path("failedSegment").asString()).as(failed.toString()).isEqualTo(gone);
            assertThat(failed.path("failure").asString()).as(failed.toString()).contains(gone)
                    .contains("stored file is gone");
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> hooks.stream().anyMatch(h ->
                    h.contains("PROOF_FAILED") && h.contains(gone)));
            JsonNode health = api.get("/actuator/health/backups").json().path("components").path("clusters")
                    .path("components").path(CLUSTER);
            assertThat(health.path("status").asString()).as(health.toString()).isEqualTo("DOWN");
            // a scrape answers what the registry holds at that moment: read until one answers whole
            Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertThat(api.get("/actuator/prometheus").body().lines()
                            .filter(l -> l.startsWith("pgvault_proof_failures_total{cluster=\"" + CLUSTER + "\""))
                            .toList()).as("the failure counted").singleElement().asString().endsWith(" 1.0"));

            // pgvault shuts down: the standby stops with it, and starts again with pgvault, from its directory
            second.close();
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> ProcessHandle.of(movedPid).isEmpty());
            third = ServerProcess.start(home, port, settings);
            ServerProcess again = third;
            Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                    .until(() -> again.output().contains("Started the standby of cluster '" + CLUSTER + "' again"));
            JsonNode resumed = api.get("/api/v1/clusters/" + CLUSTER + "/proof").json();
            long newPid = resumed.path("standby").path("pid").asLong();
            assertThat(ProcessHandle.of(newPid)).as(resumed.toString()).isPresent();
            assertThat(standbyDirectories()).as("the same directory, not a second copy").hasSize(1);

            // mode OFF: the standby is stopped and its directory removed
            assertThat(api.put("/api/v1/clusters/" + CLUSTER + "/proof", Map.of("mode", "OFF")).status()).isEqualTo(200);
            awaitProof(api, p -> p.path("standby").isNull() || p.path("standby").isMissingNode(), Duration.ofSeconds(60),
                    third);
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> ProcessHandle.of(newPid).isEmpty()
                    && standbyDirectories().isEmpty());
        } finally {
            receiver.stop(0);
            first.kill();
            if (second != null) {
                second.close();
            }
            if (third != null) {
                third.close();
            }
        }
    }

    /** {@code rounds} of inserts, each ended by a WAL switch; where the last switch ended the source's WAL. */
    private static String load(int rounds, int offset) {
        String end = null;
        for (int i = 0; i < rounds; i++) {
            int from = (offset + i) * 1000;
            pg.execute("postgres", "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(" + from + ", "
                    + (from + 999) + ") g");
            end = (String) pg.queryValue("postgres", "SELECT pg_switch_wal()::text");
        }
        return end;
    }

    private static boolean provenAtLeast(JsonNode proof, String lsn) {
        String proven = proof.path("provenLsn").asString();
        return proven != null && !proven.isEmpty() && Lsn.parse(proven).compareTo(Lsn.parse(lsn)) >= 0;
    }

    private static JsonNode awaitProof(Api api, Predicate<JsonNode> condition, Duration atMost, ServerProcess server) {
        JsonNode[] last = {null};
        try {
            Awaitility.await().atMost(atMost).pollInterval(Duration.ofMillis(500)).until(() -> {
                last[0] = api.get("/api/v1/clusters/" + CLUSTER + "/proof").json();
                return condition.test(last[0]);
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("the proof never got there: " + last[0] + "\npgvault's log:\n" + server.output(), e);
        }
        return last[0];
    }

    private static List<Path> standbyDirectories() throws Exception {
        try (Stream<Path> dirs = Files.list(recoveries.resolve("drills"))) {
            return dirs.filter(d -> d.getFileName().toString().startsWith("standby-")).toList();
        }
    }

    /** Deletes a segment's stored file, as a lost disk or a careless hand would, leaving its catalog row. */
    private static void removeFromStorage(String segment) throws Exception {
        try (Stream<Path> files = Files.walk(home.resolve("store").resolve(CLUSTER))) {
            List<Path> found = files.filter(p -> p.getFileName().toString().startsWith(segment)).toList();
            assertThat(found).as("the stored file of %s", segment).hasSize(1);
            Files.delete(found.get(0));
        }
    }
}
