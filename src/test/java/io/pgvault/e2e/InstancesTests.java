package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Two pgvault processes on one PostgreSQL catalog and one repository, declaring two hosts: both list each
 * other with GET /instances; a job running on one is read, waited for and cancelled (within 5 s) through the
 * other; work placed on a cluster's dataHost runs on that host's instance, and is refused up
 * front when no instance there is alive; when one instance is killed (SIGKILL) the survivor fails its running
 * job as interrupted within the documented bound and shows it dead.
 */
class InstancesTests {

    static final String DB = "instances db";
    static final Duration STALE_AFTER = Duration.ofSeconds(5);

    @Test
    void instancesSeeEachOtherPlaceLocalWorkOnTheirHostAndFailTheJobsOfADeadOne() throws Exception {
        PgCluster pg = PgCluster.shared();
        if (!pg.databaseExists(DB)) {
            pg.createDatabase(DB);
            pg.execute(DB, "CREATE TABLE held (id int)", "INSERT INTO held SELECT generate_series(1, 100)");
        }
        Path dir = io.pgvault.testing.TempDirs.create("pgvault-instances");
        List<String> shared = new ArrayList<>(ServerProcess.sharedCatalog(pg, "pgvault_instances"));
        shared.addAll(List.of("--pgvault.storage.local.root=" + dir.resolve("store"),
                "--pgvault.security.key-file=" + dir.resolve("pgvault.key"),
                "--pgvault.jobs.heartbeat-interval=1s", "--pgvault.jobs.stale-after=" + STALE_AFTER.toSeconds() + "s",
                // drills' throwaway servers below the harness's root, which the PostgreSQL OS user may enter
                "--pgvault.recovery.roots=" + PgCluster.recoveryRoot(),
                "--pgvault.recovery.drill-directory=" + PgCluster.recoveryRoot().resolve("drills")));
        try (ServerProcess a = ServerProcess.start(Files.createDirectories(dir.resolve("a")), ServerProcess.freePort(),
                args(shared, "--pgvault.jobs.instance-name=a", "--pgvault.instance.host=host-a"));
                ServerProcess b = ServerProcess.start(Files.createDirectories(dir.resolve("b")),
                        ServerProcess.freePort(), args(shared, "--pgvault.jobs.instance-name=b",
                                "--pgvault.instance.host=host-b"))) {
            Api onA = new Api(a.port);
            Api onB = new Api(b.port);

            JsonNode listed = onA.get("/api/v1/instances").json();
            assertThat(listed).extracting(i -> i.path("name").asString() + "@" + i.path("host").asString())
                    .containsExactlyInAnyOrder("a@host-a", "b@host-b");
            listed.forEach(i -> {
                assertThat(i.path("alive").asBoolean()).as(i.toString()).isTrue();
                assertThat(i.path("self").asBoolean()).isEqualTo(i.path("name").asString().equals("a"));
            });

            // a BASE drill writes a throwaway server's directory: it runs on the cluster's data host
            onA.register("placed", pg);
            assertThat(onA.patch("/api/v1/clusters/placed", Map.of("dataHost", "host-b")).status()).isEqualTo(200);
            JsonNode placedFor = onA.get("/api/v1/instances").json();
            placedFor.forEach(i -> assertThat(i.path("placedFor").toString())
                    .isEqualTo(i.path("name").asString().equals("b") ? "[\"placed\"]" : "[]"));
            JsonNode base = onA.backup("placed", Map.of("kind", "BASE", "label", "placement"));
            // whichever instance took it, both download the same bytes
            byte[] fromA = onA.download("/api/v1/backups/" + base.path("id").asString() + "/content");
            byte[] fromB = onB.download("/api/v1/backups/" + base.path("id").asString() + "/content");
            assertThat(fromA).hasSizeGreaterThan(1024);
            assertThat(fromB).isEqualTo(fromA);
            Api.Response drill = onA.post("/api/v1/backups/" + base.path("id").asString() + "/verifications",
                    Map.of("level", "RESTORE"));
            assertThat(drill.status()).as(drill.body()).isEqualTo(202);
            assertThat(drill.json().path("placement").asString()).isEqualTo("host-b");
            JsonNode drilled = onA.awaitSucceeded(drill.json().path("id").asString());
            assertThat(drilled.path("instance").asString()).as("the drill ran on host-b's instance").isEqualTo("b");

            // no instance on the named host: refused up front, naming it
            assertThat(onB.patch("/api/v1/clusters/placed", Map.of("dataHost", "host-z")).status()).isEqualTo(200);
            long jobs = onA.jobCount();
            Api.Response refused = onA.post("/api/v1/backups/" + base.path("id").asString() + "/verifications",
                    Map.of("level", "RESTORE"));
            assertThat(refused.status()).as(refused.body()).isEqualTo(409);
            assertThat(refused.body()).contains("host 'host-z'").contains("no pgvault instance there is alive");
            assertThat(onA.jobCount()).isEqualTo(jobs);

            // a job held by a lock, on whichever instance took it: its log, its end and its cancel reach the other
            try (Connection lock = pg.connect(DB); Statement st = lock.createStatement()) {
                lock.setAutoCommit(false);
                st.execute("LOCK TABLE held IN ACCESS EXCLUSIVE MODE");
                String id = onA.startBackup("placed", Map.of("kind", "DUMP", "database", DB)).path("id").asString();
                String owner = onA.awaitJob(id, Duration.ofSeconds(30), Set.of("RUNNING")).path("instance").asString();
                Api other = owner.equals("a") ? onB : onA;
                long logDeadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (!other.get("/api/v1/jobs/" + id + "/log").body().contains("pg_dump")) {
                    assertThat(System.nanoTime()).as("the running job's log, read on the other instance")
                            .isLessThan(logDeadline);
                    Api.sleep(200);
                }
                CompletableFuture<JsonNode> waiting = CompletableFuture.supplyAsync(
                        () -> other.get("/api/v1/jobs/" + id + "?waitSeconds=60").json());
                assertThat(other.post("/api/v1/jobs/" + id + "/cancel", "").status()).isEqualTo(200);
                // the process on the other instance stops within the deadline (the cancel flag is polled)
                JsonNode cancelled = other.awaitJob(id, Duration.ofSeconds(15));
                assertThat(cancelled.path("status").asString()).as("cancelled on the other instance, run on %s", owner)
                        .isEqualTo("CANCELLED");
                assertThat(waiting.get(30, java.util.concurrent.TimeUnit.SECONDS).path("status").asString())
                        .as("a wait on the other instance ends with the job").isEqualTo("CANCELLED");
                lock.rollback();
            }

            // a job held by a lock, on whichever instance took it; that instance is killed
            try (Connection lock = pg.connect(DB); Statement st = lock.createStatement()) {
                lock.setAutoCommit(false);
                st.execute("LOCK TABLE held IN ACCESS EXCLUSIVE MODE");
                JsonNode job = onA.startBackup("placed", Map.of("kind", "DUMP", "database", DB));
                String id = job.path("id").asString();
                JsonNode running = onA.awaitJob(id, Duration.ofSeconds(30), Set.of("RUNNING"));
                String owner = running.path("instance").asString();
                assertThat(owner).isIn("a", "b");
                ServerProcess victim = owner.equals("a") ? a : b;
                Api survivor = owner.equals("a") ? onB : onA;
                JsonNode onSurvivor = survivor.get("/api/v1/instances").json();
                assertThat(onSurvivor.toString()).contains(id);

                victim.kill();
                // stale-after, a quarter of it between sweeps (every instance sweeps), and a margin for a loaded machine
                Duration bound = STALE_AFTER.plus(STALE_AFTER.dividedBy(4)).plusSeconds(10);
                JsonNode failed = survivor.awaitJob(id, bound);
                assertThat(failed.path("status").asString()).isEqualTo("FAILED");
                assertThat(failed.path("error").asString()).isEqualTo("interrupted");
                List<String> dead = new ArrayList<>();
                survivor.get("/api/v1/instances").json().forEach(i -> {
                    if (!i.path("alive").asBoolean()) {
                        dead.add(i.path("name").asString());
                    }
                });
                assertThat(dead).containsExactly(owner);
                lock.rollback();
            }
        }
    }

    private static String[] args(List<String> shared, String... more) {
        List<String> all = new ArrayList<>(shared);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }
}
