package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * A schedule's backups keep the retention policy they were taken under when the schedule is edited,
 * re-scoped or deleted, until the user releases or expires them; the dry run says under whose policy each
 * entry is and why; the cluster's policy counts its days in the cluster's time zone.
 */
class ScheduleRetentionTests extends EndToEndTest {

    static final String DB = "schedule kept db";
    static final String OTHER = "schedule other db";
    static PgCluster pg;

    @BeforeAll
    static void seed() {
        pg = PgCluster.shared();
        for (String db : List.of(DB, OTHER)) {
            if (!pg.databaseExists(db)) {
                pg.createDatabase(db);
                pg.execute(db, "CREATE TABLE t (id int)", "INSERT INTO t SELECT generate_series(1, 10)");
            }
        }
    }

    @Test
    void aDeletedOrEditedScheduleNeverHandsItsBackupsToAStricterPolicy() {
        String cluster = "kept-by-schedule";
        putCluster(cluster, Map.of("keepLast", 1), null, 201);
        Map<String, Object> schedule = new LinkedHashMap<>(Map.of("cluster", cluster, "cron", "0 30 2 * * *",
                "timeZone", "Europe/Berlin", "enabled", false, "backup", Map.of("kind", "DUMP", "database", DB),
                "retention", Map.of("keepLast", 5)));
        Api.Response created = api.post("/api/v1/schedules", schedule);
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String id = created.field("id");
        List<String> taken = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            taken.add(run(id));
        }
        JsonNode first = api.get("/api/v1/backups/" + taken.get(0)).json();
        assertThat(first.path("retention").path("policy").path("keepLast").asInt()).as(first.toString()).isEqualTo(5);
        assertThat(first.path("retention").path("timeZone").asString()).isEqualTo("Europe/Berlin");

        JsonNode plan = dryRun(cluster);
        assertThat(kept(plan)).containsExactlyInAnyOrderElementsOf(taken);
        assertThat(decision(plan, taken.get(2)).path("policyName").asString()).isEqualTo("the policy of schedule " + id);
        assertThat(decision(plan, taken.get(2)).path("timeZone").asString()).isEqualTo("Europe/Berlin");

        // the schedule's policy removed: what was taken keeps keepLast 5, not the cluster's keepLast 1
        schedule.put("retention", null);
        assertThat(api.patch("/api/v1/schedules/" + id, schedule).status()).isEqualTo(200);
        plan = dryRun(cluster);
        assertThat(kept(plan)).containsExactlyInAnyOrderElementsOf(taken);
        assertThat(decision(plan, taken.get(0)).path("policyName").asString())
                .contains("recorded when schedule " + id + " took it", "no policy of its own now");
        assertThat(decision(plan, taken.get(0)).path("policy").path("keepLast").asInt()).isEqualTo(5);

        // another database is another group: the old database's dumps do not count toward the new keepLast 1
        schedule.put("retention", Map.of("keepLast", 1));
        schedule.put("backup", Map.of("kind", "DUMP", "database", OTHER));
        assertThat(api.patch("/api/v1/schedules/" + id, schedule).status()).isEqualTo(200);
        String other = run(id);
        String otherToo = run(id);
        retain(cluster);
        JsonNode gone = api.get("/api/v1/backups/" + other).json();
        assertThat(gone.path("status").asString()).as(gone.toString()).isEqualTo("EXPIRED");
        assertThat(gone.path("error").asString()).contains("kept by no rule of the policy of schedule " + id
                + " (keepLast 1)");
        plan = dryRun(cluster);
        assertThat(kept(plan)).containsExactlyInAnyOrderElementsOf(concat(taken, List.of(otherToo)));
        assertThat(decision(plan, taken.get(0)).path("policyName").asString())
                .contains("the schedule backs up DUMP of database " + OTHER + " now");
        assertThat(decision(plan, otherToo).path("group").asString())
                .isEqualTo("schedule " + id + ": DUMP of database " + OTHER);
        taken.add(otherToo);

        // deleted with the default: the answer says so, and the backups keep their policy
        Api.Response deleted = api.delete("/api/v1/schedules/" + id);
        assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
        assertThat(deleted.json().path("backups").asString()).isEqualTo("keep");
        assertThat(deleted.json().path("scheduleDeleted").asBoolean()).isTrue();
        assertThat(ids(deleted.json().path("affected"))).containsExactlyInAnyOrderElementsOf(taken);
        assertThat(deleted.json().path("detail").asString()).contains("4 backup(s) keep the retention policy they were "
                + "taken under", "backups=release");
        plan = dryRun(cluster);
        assertThat(kept(plan)).containsExactlyInAnyOrderElementsOf(taken);
        assertThat(decision(plan, taken.get(1)).path("policyName").asString()).contains("the schedule is deleted");
        // another backup's retention run (which any schedule's success triggers) expires none of them
        String manual = api.backup(cluster, Map.of("kind", "DUMP", "database", DB)).path("id").asString();
        api.awaitVerification(manual, Duration.ofMinutes(1));
        assertThat(retain(cluster).path("result").path("expired").asInt()).isZero();

        // bad input changes nothing; a schedule that never existed is 404
        Api.Response bad = api.delete("/api/v1/schedules/" + id + "?backups=forget");
        assertThat(bad.status()).as(bad.body()).isEqualTo(400);
        assertThat(bad.body()).contains("keep", "release", "expire");
        assertThat(api.delete("/api/v1/schedules/" + UUID.randomUUID() + "?backups=release").status()).isEqualTo(404);
        assertThat(api.delete("/api/v1/schedules/" + id).status()).as("keep on a deleted schedule: nothing to do")
                .isEqualTo(404);

        // released, by deleting again: the cluster's keepLast 1 now decides about the DB dumps (with the manual one)
        Api.Response released = api.delete("/api/v1/schedules/" + id + "?backups=release");
        assertThat(released.status()).as(released.body()).isEqualTo(200);
        assertThat(released.json().path("scheduleDeleted").asBoolean()).isFalse();
        assertThat(ids(released.json().path("affected"))).hasSize(4);
        assertThat(released.json().path("detail").asString()).contains("keepLast 1");
        plan = dryRun(cluster);
        assertThat(kept(plan)).containsExactlyInAnyOrder(manual, otherToo);
        assertThat(decision(plan, taken.get(0)).path("policyName").asString())
                .isEqualTo("the policy of cluster '" + cluster + "'");
        assertThat(api.get("/api/v1/backups/" + taken.get(0)).json().has("retention")).isFalse();
    }

    @Test
    void expiringWithTheScheduleSparesPinnedBackups() {
        String cluster = "expired-with-schedule";
        putCluster(cluster, null, null, 201);
        Api.Response created = api.post("/api/v1/schedules", Map.of("cluster", cluster, "cron", "0 0 3 * * *",
                "enabled", false, "backup", Map.of("kind", "DUMP", "database", DB)));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String id = created.field("id");
        String pinned = run(id);
        String plain = run(id);
        assertThat(api.put("/api/v1/backups/" + pinned + "/pin", Map.of()).status()).isEqualTo(200);

        Api.Response deleted = api.delete("/api/v1/schedules/" + id + "?backups=expire");
        assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
        assertThat(ids(deleted.json().path("affected"))).containsExactly(plain);
        assertThat(ids(deleted.json().path("leftAlone"))).containsExactly(pinned);
        assertThat(api.get("/api/v1/backups/" + plain).json().path("status").asString()).isEqualTo("EXPIRED");
        assertThat(api.get("/api/v1/backups/" + pinned).json().path("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(api.get("/api/v1/schedules/" + id).status()).isEqualTo(404);
    }

    @Test
    void theClusterPolicyCountsDaysInTheClustersTimeZone() {
        String cluster = "zoned-policy";
        putCluster(cluster, Map.of("daily", 7), null, 201);
        Api.Response bad = putCluster(cluster, Map.of("daily", 7), "Mars/Olympus_Mons", 400);
        assertThat(bad.body()).contains("timeZone", "Europe/Berlin");
        assertThat(api.get("/api/v1/clusters/" + cluster).json().path("timeZone").asString()).isEqualTo("UTC");

        Api.Response zoned = putCluster(cluster, Map.of("daily", 7), "America/New_York", 200);
        assertThat(zoned.json().path("timeZone").asString()).isEqualTo("America/New_York");
        String backup = api.backup(cluster, Map.of("kind", "DUMP", "database", DB)).path("id").asString();
        api.awaitVerification(backup, Duration.ofMinutes(1));
        JsonNode d = decision(dryRun(cluster), backup);
        assertThat(d.path("timeZone").asString()).isEqualTo("America/New_York");
        String day = java.time.Instant.parse(d.path("finishedAt").asString()).atZone(java.time.ZoneId.of(
                "America/New_York")).toLocalDate().toString();
        assertThat(d.path("reasons").toString()).contains("newest of " + day + " (daily 7)");
    }

    private Api.Response putCluster(String cluster, Map<String, Integer> policy, String timeZone, int expected) {
        Map<String, Object> body = new LinkedHashMap<>(Map.of("name", cluster, "host", pg.host(), "port", pg.port(),
                "username", pg.superuser()));
        if (policy != null) {
            body.put("retention", policy);
        }
        if (timeZone != null) {
            body.put("timeZone", timeZone);
        }
        if (expected != 201 && policy != null) {
            // a new policy replaces the old one (a merge patch alone would merge their fields)
            Map<String, Object> none = new java.util.HashMap<>();
            none.put("retention", null);
            assertThat(api.patch("/api/v1/clusters/" + cluster, none).status()).isEqualTo(200);
        }
        Api.Response r = expected == 201 ? api.post("/api/v1/clusters", body) : api.patch("/api/v1/clusters/" + cluster, body);
        assertThat(r.status()).as(r.body()).isEqualTo(expected);
        return r;
    }

    /** Runs the schedule now; returns its verified backup. */
    private String run(String schedule) {
        Api.Response run = api.post("/api/v1/schedules/" + schedule + "/runs", "");
        assertThat(run.status()).as(run.body()).isEqualTo(202);
        String backup = api.awaitSucceeded(run.field("id")).path("backupId").asString();
        api.awaitVerification(backup, Duration.ofMinutes(1));
        return backup;
    }

    private JsonNode dryRun(String cluster) {
        Api.Response r = api.post("/api/v1/clusters/" + cluster + "/retention?dryRun=true", "");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    /** A retention run, to its end (after any the schedule's successes queued: one runs per cluster at a time). */
    private JsonNode retain(String cluster) {
        Api.Response started = api.post("/api/v1/clusters/" + cluster + "/retention", "");
        assertThat(started.status()).as(started.body()).isEqualTo(202);
        return api.awaitSucceeded(started.field("id"));
    }

    private static JsonNode decision(JsonNode plan, String backup) {
        for (JsonNode d : plan.path("backups")) {
            if (d.path("backupId").asString().equals(backup)) {
                return d;
            }
        }
        throw new AssertionError("no decision about " + backup + " in " + plan);
    }

    private static List<String> kept(JsonNode plan) {
        List<String> kept = new ArrayList<>();
        plan.path("backups").forEach(d -> {
            if (d.path("keep").asBoolean()) {
                kept.add(d.path("backupId").asString());
            }
        });
        return kept;
    }

    private static List<String> ids(JsonNode array) {
        List<String> ids = new ArrayList<>();
        array.forEach(n -> ids.add(n.asString()));
        return ids;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
