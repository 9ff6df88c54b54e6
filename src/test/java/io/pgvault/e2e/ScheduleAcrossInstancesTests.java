package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgvault.testing.PgCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Schedules fire once per due time: with two pgvault instances on one PostgreSQL catalog, and after a
 * server was down when a run was due (it fires once when it comes back).
 */
class ScheduleAcrossInstancesTests {

    static final String DB = "schedule instances db";
    static PgCluster pg;

    @BeforeAll
    static void seed() {
        pg = PgCluster.shared();
        if (!pg.databaseExists(DB)) {
            pg.createDatabase(DB);
            pg.execute(DB, "CREATE TABLE t (id int)", "INSERT INTO t VALUES (1)");
        }
    }

    @Test
    void twoInstancesOnOneCatalogRunEachDueTimeOnce() throws Exception {
        String catalog = "pgvault_two_instances";
        if (pg.databaseExists(catalog)) {
            pg.dropDatabase(catalog);
        }
        pg.createDatabase(catalog);
        Path dir = io.pgvault.testing.TempDirs.create("pgvault-two-instances");
        String[] shared = {"--spring.datasource.url=" + pg.jdbcUrl(catalog),
                "--spring.datasource.username=" + pg.superuser(),
                "--pgvault.storage.local.root=" + dir.resolve("store"),
                // instances of one catalog share its key, or each cannot read what the other sealed
                "--pgvault.security.key-file=" + dir.resolve("pgvault.key")};
        try (ServerProcess a = ServerProcess.start(Files.createDirectories(dir.resolve("a")), ServerProcess.freePort(),
                concat(shared, "--pgvault.jobs.instance-name=a"));
                ServerProcess b = ServerProcess.start(Files.createDirectories(dir.resolve("b")),
                        ServerProcess.freePort(), concat(shared, "--pgvault.jobs.instance-name=b"))) {
            Api onA = new Api(a.port);
            Api onB = new Api(b.port);
            onA.register("two", pg);
            Api.Response created = onA.post("/api/v1/schedules", Map.of("cluster", "two", "cron", "* * * * * *",
                    "backup", Map.of("kind", "DUMP", "database", DB)));
            assertThat(created.status()).as(created.body()).isEqualTo(201);
            String id = created.field("id");
            // enough due times for a double firing to show, however busy the machine: a count, not a fixed wait
            await("4 due times of a per-second schedule").atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(250)).until(() -> queuedTimes(onB, "two", id).size() >= 4);
            Api.Response disabled = onB.patch("/api/v1/schedules/" + id, Map.of("cron", "* * * * * *", "enabled", false,
                    "backup", Map.of("kind", "DUMP", "database", DB)));
            assertThat(disabled.status()).as(disabled.body()).isEqualTo(200);

            List<Instant> due = dueTimes(onB, "two", id);
            assertThat(due).as("a per-second schedule").hasSizeGreaterThanOrEqualTo(4);
            // two instances firing one due time would queue two backups for it (the time a backup was queued is no
            // proxy: a run queued late on a busy machine shares its second with the next one)
            assertThat(due).as("due times served").doesNotContainNull().doesNotHaveDuplicates();
        }
    }

    @Test
    void aRunDueWhileTheServerWasDownFiresOnceWhenItComesBack() throws Exception {
        Path dir = io.pgvault.testing.TempDirs.create("pgvault-missed-run");
        int port = ServerProcess.freePort();
        String id;
        Instant due;
        try (ServerProcess server = ServerProcess.start(dir, port)) {
            Api api = new Api(server.port);
            api.register("missed", pg);
            // once a minute, at a second that comes while the server is down
            due = Instant.now().plusSeconds(4);
            int second = due.atOffset(ZoneOffset.UTC).getSecond();
            Api.Response created = api.post("/api/v1/schedules", Map.of("cluster", "missed",
                    "cron", second + " * * * * *", "backup", Map.of("kind", "DUMP", "database", DB)));
            assertThat(created.status()).as(created.body()).isEqualTo(201);
            id = created.field("id");
        }
        while (Instant.now().isBefore(due.plusSeconds(2))) {
            Api.sleep(200);
        }
        try (ServerProcess server = ServerProcess.start(dir, port)) {
            Api api = new Api(server.port);
            // done with the missed run when it is queued and the next run is a minute on: then it must be there once
            await("the missed run queued and the next one planned").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200)).until(() -> !queuedTimes(api, "missed", id).isEmpty()
                            && Instant.parse(api.get("/api/v1/schedules/" + id).json().path("nextRunAt").asString())
                                    .isAfter(due.plusSeconds(30)));
            assertThat(queuedTimes(api, "missed", id)).as("the missed run, once").hasSize(1);
            // and it says which due time it served: the missed one, to the second
            assertThat(dueTimes(api, "missed", id)).singleElement()
                    .isEqualTo(due.truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
            assertThat(api.delete("/api/v1/schedules/" + id).status()).isEqualTo(200);
        }
    }

    private static List<Instant> queuedTimes(Api api, String cluster, String scheduleId) {
        return times(api, cluster, scheduleId, "queuedAt");
    }

    /** The due times the schedule's backups were queued for ({@code scheduledFor}; null where one has none). */
    private static List<Instant> dueTimes(Api api, String cluster, String scheduleId) {
        return times(api, cluster, scheduleId, "scheduledFor");
    }

    private static List<Instant> times(Api api, String cluster, String scheduleId, String field) {
        List<Instant> times = new ArrayList<>();
        api.get("/api/v1/backups?cluster=" + cluster + "&size=500").json().path("content").forEach(b -> {
            if (scheduleId.equals(b.path("scheduleId").asString())) {
                times.add(b.path(field).isMissingNode() || b.path(field).isNull() ? null
                        : Instant.parse(b.path(field).asString()));
            }
        });
        times.sort(java.util.Comparator.nullsFirst(java.util.Comparator.naturalOrder()));
        return times;
    }

    private static String[] concat(String[] shared, String extra) {
        String[] all = java.util.Arrays.copyOf(shared, shared.length + 1);
        all[shared.length] = extra;
        return all;
    }
}
