package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Schedules on the real job engine: a per-second cron produces backups, and everything is checked before it is stored. */
class ScheduleTests extends EndToEndTest {

    static final String CLUSTER = "scheduled";
    static final String DB = "scheduled db";
    static PgCluster pg;

    @BeforeAll
    static void seed() {
        pg = PgCluster.shared();
        if (!pg.databaseExists(DB)) {
            pg.createDatabase(DB);
            pg.execute(DB, "CREATE TABLE t (id int)", "INSERT INTO t SELECT generate_series(1, 100)");
        }
    }

    @Test
    void aPerSecondScheduleProducesVerifiedBackupsUntilItIsDisabled() throws Exception {
        api.register(CLUSTER, pg);
        Map<String, Object> body = new LinkedHashMap<>(Map.of("cluster", CLUSTER, "cron", "* * * * * *",
                "backup", Map.of("kind", "DUMP", "database", DB, "label", "every second"),
                "retention", Map.of("keepLast", 3), "verification", Map.of("after", "CHECKSUM")));
        Api.Response created = api.post("/api/v1/schedules", body);
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String id = created.field("id");
        assertThat(created.location()).isEqualTo("/api/v1/schedules/" + id);
        assertThat(created.json().path("timeZone").asString()).isEqualTo("UTC");
        assertThat(created.json().path("enabled").asBoolean()).isTrue();
        assertThat(Instant.parse(created.json().path("nextRunAt").asString())).isAfter(Instant.now().minusSeconds(1));
        assertThat(created.json().path("backup").path("format").asString()).as("defaults filled in").isEqualTo("CUSTOM");

        List<JsonNode> backups = awaitScheduledBackups(id, 2, Duration.ofSeconds(30));
        for (JsonNode b : backups) {
            JsonNode done = api.awaitJob(b.path("jobId").asString(), Duration.ofMinutes(1));
            assertThat(done.path("status").asString()).isEqualTo("SUCCEEDED");
            JsonNode verified = api.awaitVerification(b.path("id").asString(), Duration.ofMinutes(1));
            assertThat(verified.path("verification").path("level").asString()).isEqualTo("CHECKSUM");
            assertThat(verified.path("label").asString()).isEqualTo("every second");
        }
        JsonNode shown = api.get("/api/v1/schedules/" + id).json();
        assertThat(Instant.parse(shown.path("lastRunAt").asString())).isAfter(Instant.now().minusSeconds(60));
        assertThat(shown.path("lastJobId").asString()).matches("[0-9a-f-]{36}");
        assertThat(shown.path("lastOutcome").asString()).isIn("QUEUED", "RUNNING", "SUCCEEDED");

        body.put("enabled", false);
        Api.Response disabled = api.patch("/api/v1/schedules/" + id, body);
        assertThat(disabled.status()).as(disabled.body()).isEqualTo(200);
        assertThat(disabled.json().path("enabled").asBoolean()).isFalse();
        assertThat(disabled.json().path("nextRunAt").asString("")).as("no next run").isEmpty();
        Api.sleep(300);
        int count = scheduledBackups(id).size();
        Api.sleep(2500);
        assertThat(scheduledBackups(id)).as("no runs once disabled").hasSize(count);

        Api.Response run = api.post("/api/v1/schedules/" + id + "/runs", "");
        assertThat(run.status()).as(run.body()).isEqualTo(202);
        assertThat(api.awaitJob(run.field("id"), Duration.ofMinutes(1)).path("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(scheduledBackups(id)).hasSize(count + 1);

        assertThat(api.delete("/api/v1/clusters/" + CLUSTER).body()).contains("schedule");
        Api.Response deleted = api.delete("/api/v1/schedules/" + id);
        assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
        assertThat(deleted.json().path("backups").asString()).isEqualTo("keep");
        assertThat(api.get("/api/v1/schedules/" + id).status()).isEqualTo(404);
        assertThat(api.get("/api/v1/backups?size=100").body()).contains(id);
    }

    @Test
    void aDrillCronDrillsTheNewestBackupOfTheSchedule() {
        api.register(CLUSTER, pg);
        Api.Response created = api.post("/api/v1/schedules", Map.of("cluster", CLUSTER, "cron", "0 0 0 1 1 *",
                "backup", Map.of("kind", "DUMP", "database", DB), "verification", Map.of("drillCron", "*/2 * * * * *")));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String id = created.field("id");
        Api.Response run = api.post("/api/v1/schedules/" + id + "/runs", "");
        assertThat(api.awaitJob(run.field("id"), Duration.ofMinutes(1)).path("status").asString()).isEqualTo("SUCCEEDED");
        String backup = api.get("/api/v1/jobs/" + run.field("id")).json().path("backupId").asString();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        JsonNode drilled;
        do {
            Api.sleep(200);
            drilled = api.get("/api/v1/backups/" + backup).json();
        } while (!"RESTORE".equals(drilled.path("verification").path("level").asString()) && System.nanoTime() < deadline);
        assertThat(drilled.path("verification").path("level").asString()).as(drilled.toString()).isEqualTo("RESTORE");
        assertThat(drilled.path("verification").path("status").asString()).isEqualTo("PASSED");
        Api.Response deleted = api.delete("/api/v1/schedules/" + id);
        assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
        assertThat(deleted.json().path("backups").asString()).isEqualTo("keep");
    }

    @Test
    void badSchedulesAreRefusedBeforeAnythingIsStored() {
        api.register(CLUSTER + "-bad", pg);
        int before = api.get("/api/v1/schedules").json().size();
        Map<String, Object> good = Map.of("cluster", CLUSTER + "-bad", "cron", "0 0 2 * * *",
                "backup", Map.of("kind", "DUMP", "database", DB));
        List<Object[]> cases = List.of(
                new Object[] {with(good, "cron", "0 0 2 * *"), "cron"},
                new Object[] {with(good, "cron", "every night"), "six-field"},
                new Object[] {with(good, "cron", null), "cron is required"},
                new Object[] {with(good, "cron", "0 0 0 30 2 *"), "never fires"},
                new Object[] {with(good, "timeZone", "Mars/Olympus"), "timeZone"},
                new Object[] {with(good, "cluster", "nobody"), "no cluster named 'nobody'"},
                new Object[] {with(good, "backup", null), "backup is required"},
                new Object[] {with(good, "backup", Map.of("kind", "DUMP", "database", "missing")), "does not exist"},
                new Object[] {with(good, "backup", Map.of("kind", "DUMP")), "database"},
                new Object[] {with(good, "retention", Map.of("keepLast", 0)), "retention.keepLast"},
                new Object[] {with(with(good, "backup", Map.of("kind", "DUMP_ALL")), "verification",
                        Map.of("after", "RESTORE")), "RESTORE drills are available for DUMP"},
                new Object[] {with(good, "verification", Map.of("drillCron", "at three")), "drillCron"});
        for (Object[] c : cases) {
            Api.Response r = api.post("/api/v1/schedules", (Map<String, ?>) c[0]);
            assertThat(r.status()).as("%s -> %s", c[0], r.body()).isEqualTo(400);
            assertThat(r.contentType()).startsWith("application/problem+json");
            assertThat(r.body()).as("%s", c[0]).contains((String) c[1]);
        }
        assertThat(api.get("/api/v1/schedules").json().size()).isEqualTo(before);
        assertThat(api.get("/api/v1/schedules/00000000-0000-0000-0000-000000000000").status()).isEqualTo(404);
        assertThat(api.post("/api/v1/schedules/00000000-0000-0000-0000-000000000000/runs", "").status()).isEqualTo(404);
    }

    private static Map<String, Object> with(Map<String, Object> base, String key, Object value) {
        Map<String, Object> copy = new LinkedHashMap<>(base);
        copy.put(key, value);
        return copy;
    }

    private List<JsonNode> scheduledBackups(String scheduleId) {
        List<JsonNode> found = new ArrayList<>();
        api.get("/api/v1/backups?cluster=" + CLUSTER + "&size=500").json().path("content").forEach(b -> {
            if (scheduleId.equals(b.path("scheduleId").asString())) {
                found.add(b);
            }
        });
        return found;
    }

    private List<JsonNode> awaitScheduledBackups(String scheduleId, int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<JsonNode> found = scheduledBackups(scheduleId);
            if (found.size() >= count) {
                return found;
            }
            assertThat(System.nanoTime()).as("only %d scheduled backup(s)", found.size()).isLessThan(deadline);
            Api.sleep(200);
        }
    }
}
