package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import io.pgvault.testing.S3Server;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Three pgvault instances on one PostgreSQL catalog and one S3 repository (S3Proxy), behind HAProxy
 * (round-robin, health-checked, as Debian packages it). A pgbench-loaded cluster archives its WAL through the
 * proxy while a schedule runs; the instance that takes a (throttled) BASE backup is killed with SIGKILL in the
 * middle of it and of the WAL pushes. Then: no WAL segment lost or duplicated, the archiver catches up, a survivor
 * fails the dead instance's backup as interrupted within the bound, the next scheduled backup runs, and a
 * recovery to latest through the proxy holds exactly the source's final data. Prints the figures.
 */
class FleetFailoverTests {

    static final Duration STALE_AFTER = Duration.ofSeconds(6);
    static final String HAPROXY = Files.isExecutable(Path.of("/usr/sbin/haproxy")) ? "/usr/sbin/haproxy" : "haproxy";

    @Test
    void threeInstancesBehindAProxyLoseNothingWhenOneIsKilledMidBackup() throws Exception {
        PgCluster catalogServer = PgCluster.shared();
        List<String> catalog = ServerProcess.sharedCatalog(catalogServer, "pgvault_fleet");
        Path dir = io.pgvault.testing.TempDirs.create("pgvault-fleet");
        Path recoveries = PgCluster.recoveryDirectory("fleet-");
        List<ServerProcess> instances = new ArrayList<>();
        Process haproxy = null;
        Path copy = recoveries.resolve("copy");
        try (S3Server s3 = S3Server.start("fleet");
                PgCluster pg = PgCluster.start("fleet", Map.of("archive_mode", "on", "archive_command", "",
                        "archive_timeout", "0", "max_wal_size", "256MB"))) {
            List<String> shared = new ArrayList<>(catalog);
            shared.addAll(List.of("--pgvault.security.key-file=" + dir.resolve("pgvault.key"),
                    "--pgvault.repository=fleet", "--pgvault.repositories.fleet.type=s3",
                    "--pgvault.repositories.fleet.endpoint=" + s3.endpoint(),
                    "--pgvault.repositories.fleet.bucket=" + s3.bucket(),
                    "--pgvault.repositories.fleet.path-style=true",
                    "--pgvault.repositories.fleet.access-key=" + S3Server.ACCESS_KEY,
                    "--pgvault.repositories.fleet.secret-key=" + S3Server.SECRET_KEY,
                    "--pgvault.jobs.heartbeat-interval=1s", "--pgvault.jobs.stale-after=" + STALE_AFTER.toSeconds() + "s",
                    "--pgvault.recovery.roots=" + PgCluster.recoveryRoot(),
                    "--pgvault.recovery.drill-directory=" + PgCluster.recoveryRoot().resolve("drills")));
            // the key is made by the first instance; the others start once it exists
            instances.add(start(dir, "i1", shared));
            List<CompletableFuture<ServerProcess>> rest = List.of(
                    CompletableFuture.supplyAsync(() -> start(dir, "i2", shared)),
                    CompletableFuture.supplyAsync(() -> start(dir, "i3", shared)));
            for (CompletableFuture<ServerProcess> f : rest) {
                instances.add(f.join());
            }
            int proxyPort = ServerProcess.freePort();
            haproxy = startHaproxy(dir, proxyPort, instances);
            Api api = new Api(proxyPort);
            assertThat(api.get("/api/v1/instances").json()).hasSize(3);

            api.register("fleet", pg);
            api.archiveThroughPgvault("fleet", pg);
            pgbench(pg, "-i", "-q", "-s", "5", "postgres");
            pg.createDatabase("fleet_small");
            pg.execute("fleet_small", "CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 1000) g");
            Api.Response schedule = api.post("/api/v1/schedules", Map.of("cluster", "fleet", "cron", "*/5 * * * * *",
                    "backup", Map.of("kind", "DUMP", "database", "fleet_small")));
            assertThat(schedule.status()).as(schedule.body()).isEqualTo(201);

            // load: pgbench in 2 s runs until the failover is over (the kill, its detection, a scheduled backup after
            // it) rather than for a fixed time, a WAL switch every 300 ms (many pushes), and the archiver's backlog
            AtomicBoolean loading = new AtomicBoolean(true);
            AtomicLong worstBacklog = new AtomicLong();
            CompletableFuture<Integer> load = CompletableFuture.supplyAsync(() -> {
                int runs = 0;
                while (loading.get()) {
                    try {
                        Process p = pgbenchProcess(pg, "-c", "2", "-T", "2", "postgres");
                        assertThat(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                        assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();
                        runs++;
                    } catch (IOException | InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }
                return runs;
            });
            CompletableFuture<Void> switcher = CompletableFuture.runAsync(() -> {
                while (loading.get()) {
                    try {
                        pg.switchWal();
                        long ready = ((Number) pg.queryValue("postgres", "SELECT count(*) FROM "
                                + "pg_ls_dir('pg_wal/archive_status') f WHERE f LIKE '%.ready'")).longValue();
                        worstBacklog.accumulateAndGet(ready, Math::max);
                        Thread.sleep(300);
                    } catch (InterruptedException e) {
                        return;
                    } catch (RuntimeException e) {
                        // the cluster is busy: try again
                    }
                }
            });

            // a BASE backup slow enough to be killed in the middle of
            JsonNode base = api.startBackup("fleet", Map.of("kind", "BASE", "maxRate", 4096));
            String baseJob = base.path("id").asString();
            JsonNode running = api.awaitJob(baseJob, Duration.ofSeconds(60), Set.of("RUNNING"));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (running.path("bytesDone").asLong() == 0 && running.path("status").asString().equals("RUNNING")) {
                assertThat(System.nanoTime()).isLessThan(deadline);
                Api.sleep(100);
                running = api.get("/api/v1/jobs/" + baseJob).json();
            }
            assertThat(running.path("status").asString()).as(running.toString()).isEqualTo("RUNNING");
            String victimName = running.path("instance").asString();
            ServerProcess victim = instances.stream().filter(i -> i.name.equals(victimName)).findFirst().orElseThrow();
            Instant killedAt = Instant.now();
            victim.kill();

            // stale-after, a quarter of it between two sweeps (every instance sweeps), and a margin for a loaded machine
            Duration bound = STALE_AFTER.plus(STALE_AFTER.dividedBy(4)).plusSeconds(10);
            JsonNode failed = api.awaitJob(baseJob, bound);
            assertThat(failed.path("status").asString()).as(failed.toString()).isEqualTo("FAILED");
            assertThat(failed.path("error").asString()).isEqualTo("interrupted");

            // the next scheduled backup runs on a survivor
            JsonNode scheduled = awaitScheduledBackupAfter(api, schedule.field("id"), killedAt);
            assertThat(scheduled.path("status").asString()).isEqualTo("SUCCEEDED");

            loading.set(false);
            assertThat(load.get(120, java.util.concurrent.TimeUnit.SECONDS)).as("pgbench runs during the failover")
                    .isPositive();
            switcher.get();
            assertThat(api.patch("/api/v1/schedules/" + schedule.field("id"), Map.of("enabled", false)).status())
                    .isEqualTo(200);

            // a BASE backup after the kill, then the last WAL: every segment archived once, none missing
            JsonNode after = api.backup("fleet", Map.of("kind", "BASE"));
            String last = pg.switchWal();
            api.awaitLastSegment("fleet", last, pg);
            // the archiver caught up: nothing waits in archive_status (a backup's .backup file may come last). A file
            // whose three attempts all met the killed instance waits for the archiver's next round: up to 60 s
            // (PostgreSQL's archiver sleeps that long after three failures), so the bound is above two rounds
            long caughtUp = System.nanoTime() + Duration.ofSeconds(150).toNanos();
            while (((Number) pg.queryValue("postgres", "SELECT count(*) FROM pg_ls_dir('pg_wal/archive_status') f "
                    + "WHERE f LIKE '%.ready'")).longValue() > 0) {
                assertThat(System.nanoTime()).as("the archiver never caught up: %s",
                        pg.query("postgres", "SELECT * FROM pg_stat_archiver")).isLessThan(caughtUp);
                Api.sleep(200);
            }
            Map<String, Object> archiver = pg.query("postgres", "SELECT archived_count, failed_count, "
                    + "last_archived_wal FROM pg_stat_archiver").get(0);
            JsonNode timeline = api.get("/api/v1/clusters/fleet/wal").json().path("timelines").get(0);
            assertThat(timeline.path("gaps")).as(timeline.toString()).isEmpty();
            long first = Long.parseLong(timeline.path("firstSegment").asString().substring(16), 16)
                    + Long.parseLong(timeline.path("firstSegment").asString().substring(8, 16), 16) * 256;
            // the archive may already hold a segment after the one switched from (archive_timeout, the checkpoint
            // after the backup): count up to its own last one, which is never before ours
            String newest = timeline.path("lastSegment").asString();
            assertThat(newest.compareTo(last)).as("the archive reaches %s: %s", last, timeline).isGreaterThanOrEqualTo(0);
            long end = Long.parseLong(newest.substring(16), 16) + Long.parseLong(newest.substring(8, 16), 16) * 256;
            assertThat(timeline.path("segments").asLong()).as("one archived copy of each segment, none missing")
                    .isEqualTo(end - first + 1);

            // a recovery to latest through another instance holds the source's final data
            Map<String, Object> expected = totals(pg.connect("postgres"));
            JsonNode recovered = api.awaitSucceeded(api.post("/api/v1/clusters/fleet/recoveries", Map.of(
                    "target", Map.of("latest", true), "backupId", after.path("id").asString(),
                    "dataDirectory", copy.toString())).json().path("id").asString());
            assertThat(recovered.path("instance").asString()).isNotEqualTo(victimName);
            Map<String, Object> actual = totals(DriverManager.getConnection("jdbc:postgresql://127.0.0.1:"
                    + recovered.path("result").path("port").asInt() + "/postgres", pg.superuser(), ""));
            assertThat(actual).isEqualTo(expected);

            System.out.printf("FleetFailoverTests: 3 instances behind HAProxy, S3 repository; SIGKILL of %s during a "
                    + "BASE backup and WAL pushes: job FAILED by a survivor within the bound of %d s "
                    + "after the kill (stale-after %d s); worst WAL backlog %d segment(s) waiting to be archived; pushes retried "
                    + "by PostgreSQL %s, archived %s; %d segments in the archive, no gap; scheduled backup after "
                    + "the kill on %s; recovery to latest on %s equals the source%n", victimName,
                    bound.toSeconds(), STALE_AFTER.toSeconds(),
                    worstBacklog.get(), archiver.get("failed_count"),
                    archiver.get("archived_count"), timeline.path("segments").asLong(),
                    scheduled.path("jobInstance").asString(), recovered.path("instance").asString());
        } finally {
            if (haproxy != null) {
                haproxy.destroyForcibly();
            }
            for (ServerProcess i : instances) {
                i.kill();
            }
            PgCluster.removeForeignServer(copy, recoveries);
        }
    }

    private static ServerProcess start(Path dir, String name, List<String> shared) {
        try {
            List<String> args = new ArrayList<>(shared);
            args.add("--pgvault.jobs.instance-name=" + name);
            args.add("--pgvault.storage.local.root=" + dir.resolve(name).resolve("store"));
            ServerProcess server = ServerProcess.start(Files.createDirectories(dir.resolve(name)),
                    ServerProcess.freePort(), args.toArray(String[]::new));
            server.name = name;
            return server;
        } catch (Exception e) {
            throw new IllegalStateException("instance " + name + " did not start", e);
        }
    }

    private static Process startHaproxy(Path dir, int port, List<ServerProcess> instances) throws Exception {
        StringBuilder cfg = new StringBuilder("""
                global
                    maxconn 512
                defaults
                    mode http
                    timeout connect 2s
                    timeout client 660s
                    timeout server 660s
                    retries 3
                    option redispatch
                frontend pgvault
                    bind 127.0.0.1:%d
                    default_backend instances
                backend instances
                    balance roundrobin
                    option httpchk GET /actuator/health/liveness
                """.formatted(port));
        for (ServerProcess i : instances) {
            cfg.append("    server ").append(i.name).append(" 127.0.0.1:").append(i.port)
                    .append(" check inter 500 fall 2 rise 2\n");
        }
        Path file = dir.resolve("haproxy.cfg");
        Files.writeString(file, cfg.toString());
        Process p = new ProcessBuilder(HAPROXY, "-db", "-f", file.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("haproxy.log").toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                break;
            } catch (IOException e) {
                assertThat(p.isAlive()).as("haproxy: %s", Files.readString(dir.resolve("haproxy.log"))).isTrue();
                assertThat(System.nanoTime()).as("haproxy never listened").isLessThan(deadline);
                Thread.sleep(100);
            }
        }
        // every backend checked UP before the test relies on round-robin
        Api.sleep(1500);
        return p;
    }

    private static void pgbench(PgCluster pg, String... args) throws Exception {
        Process p = pgbenchProcess(pg, args);
        assertThat(p.waitFor(300, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();
    }

    private static Process pgbenchProcess(PgCluster pg, String... args) throws IOException {
        List<String> argv = new ArrayList<>(List.of(pg.serverBinDirectory().resolve("pgbench").toString(),
                "-h", "127.0.0.1", "-p", Integer.toString(pg.port()), "-U", pg.superuser()));
        argv.addAll(List.of(args));
        return new ProcessBuilder(argv).redirectErrorStream(true).start();
    }

    /** The pgbench tables' row counts and balances: what a recovery must reproduce exactly. */
    private static Map<String, Object> totals(Connection connection) throws Exception {
        Map<String, Object> totals = new LinkedHashMap<>();
        try (connection; Statement st = connection.createStatement()) {
            for (String q : List.of("SELECT count(*), sum(abalance) FROM pgbench_accounts",
                    "SELECT count(*), sum(bbalance) FROM pgbench_branches",
                    "SELECT count(*), sum(tbalance) FROM pgbench_tellers",
                    "SELECT count(*), sum(delta) FROM pgbench_history")) {
                try (ResultSet rs = st.executeQuery(q)) {
                    rs.next();
                    totals.put(q, rs.getLong(1) + "/" + rs.getLong(2));
                }
            }
        }
        return totals;
    }

    /** The first backup of the schedule queued after {@code after}, once it has ended. */
    private static JsonNode awaitScheduledBackupAfter(Api api, String scheduleId, Instant after) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            for (JsonNode b : api.get("/api/v1/backups?cluster=fleet&kind=DUMP&size=50").json().path("content")) {
                if (scheduleId.equals(b.path("scheduleId").asString())
                        && Instant.parse(b.path("queuedAt").asString()).isAfter(after)
                        && Set.of("SUCCEEDED", "FAILED").contains(b.path("status").asString())) {
                    JsonNode job = api.get("/api/v1/jobs/" + b.path("jobId").asString()).json();
                    ((tools.jackson.databind.node.ObjectNode) b).put("jobInstance", job.path("instance").asString());
                    return b;
                }
            }
            assertThat(System.nanoTime()).as("no scheduled backup after the kill").isLessThan(deadline);
            Api.sleep(500);
        }
    }
}
