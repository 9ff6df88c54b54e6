package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import io.pgvault.testing.WalSegments;
import io.pgvault.wal.WalFileName;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import tools.jackson.databind.JsonNode;

/**
 * Retention with each policy against real backups whose finish times are set in the catalog: exactly the
 * expected entries expire (files gone, entries kept as EXPIRED), pinned and newest verified ones stay, and
 * WAL before the oldest retained BASE backup goes while the segments it needs stay.
 */
class RetentionTests extends EndToEndTest {

    static final String DB = "retention db";
    static PgCluster pg;
    static PgCluster physical;

    @Autowired
    JdbcTemplate catalog;

    @BeforeAll
    static void seed() {
        pg = PgCluster.shared();
        if (!pg.databaseExists(DB)) {
            pg.createDatabase(DB);
            pg.execute(DB, "CREATE TABLE t (id int)", "INSERT INTO t SELECT generate_series(1, 10)");
        }
    }

    @AfterAll
    static void stop() {
        if (physical != null) {
            physical.close();
        }
    }

    @Test
    void eachPolicyExpiresExactlyWhatItDoesNotKeep() throws Exception {
        String cluster = "retained";
        api.register(cluster, pg);
        // newest first: b0 .. b5
        String[] finished = {"2026-11-20T12:00:00Z", "2026-11-19T12:00:00Z", "2026-11-19T06:00:00Z",
                "2026-11-12T12:00:00Z", "2026-10-15T12:00:00Z", "2026-09-15T12:00:00Z"};
        List<String> ids = new ArrayList<>();
        for (int i = finished.length - 1; i >= 0; i--) {
            JsonNode b = api.backup(cluster, Map.of("kind", "DUMP", "database", DB));
            api.awaitVerification(b.path("id").asString(), Duration.ofMinutes(1));
            ids.add(0, b.path("id").asString());
        }
        for (int i = 0; i < finished.length; i++) {
            catalog.update("update backup set finished_at = ? where id = ?",
                    Timestamp.from(Instant.parse(finished[i])), UUID.fromString(ids.get(i)));
        }

        assertThat(kept(plan(cluster, null))).as("no policy keeps everything").containsExactlyElementsOf(ids);

        JsonNode lastTwo = plan(cluster, Map.of("keepLast", 2));
        assertThat(kept(lastTwo)).containsExactly(ids.get(0), ids.get(1));
        assertThat(reasons(lastTwo, ids.get(0))).contains("one of the last 2 verified", "the newest verified backup of its group");
        assertThat(reasons(lastTwo, ids.get(3)).get(0)).contains("kept by no rule").contains("keepLast 2");

        assertThat(api.put("/api/v1/backups/" + ids.get(4) + "/pin", Map.of()).status()).isEqualTo(200);
        assertThat(kept(plan(cluster, Map.of("keepLast", 2)))).containsExactly(ids.get(0), ids.get(1), ids.get(4));

        // the days are UTC days, the weeks ISO weeks; buckets count only when they hold a backup
        JsonNode gfs = plan(cluster, Map.of("daily", 2, "weekly", 2, "monthly", 3));
        assertThat(kept(gfs)).containsExactly(ids.get(0), ids.get(1), ids.get(3), ids.get(4), ids.get(5));
        assertThat(reasons(gfs, ids.get(3))).contains("newest of 2026-W46 (weekly 2)");
        assertThat(reasons(gfs, ids.get(5))).contains("newest of 2026-09 (monthly 3)");

        catalog.update("update backup set finished_at = ? where id = ?", Timestamp.from(Instant.now().minusSeconds(3600)),
                UUID.fromString(ids.get(0)));
        assertThat(kept(plan(cluster, Map.of("keepDays", 3)))).containsExactly(ids.get(0), ids.get(4));

        // carried out: only what the plan said, the entry kept as EXPIRED with its files gone
        setPolicy(cluster, pg, Map.of("keepLast", 2));
        Api.Response started = api.post("/api/v1/clusters/" + cluster + "/retention", "");
        assertThat(started.status()).as(started.body()).isEqualTo(202);
        JsonNode job = api.awaitJob(started.field("id"), Duration.ofMinutes(1));
        assertThat(job.path("status").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
        assertThat(job.path("result").path("expired").asInt()).isEqualTo(3);
        for (int i = 0; i < ids.size(); i++) {
            JsonNode b = api.get("/api/v1/backups/" + ids.get(i)).json();
            boolean expired = i == 2 || i == 3 || i == 5;
            assertThat(b.path("status").asString()).as("b%d", i).isEqualTo(expired ? "EXPIRED" : "SUCCEEDED");
            assertThat(stored().anythingStored(ids.get(i))).as("b%d's files", i).isEqualTo(!expired);
            if (expired) {
                assertThat(b.path("sizeBytes").asLong()).as("metadata kept").isPositive();
                assertThat(b.path("error").asString()).contains("expired by retention");
                assertThat(api.get("/api/v1/backups/" + ids.get(i) + "/content").status()).isEqualTo(409);
            }
        }
        assertThat(api.get("/api/v1/backups?cluster=" + cluster + "&status=EXPIRED").json().path("totalElements")
                .asLong()).isEqualTo(3);
        assertThat(api.post("/api/v1/clusters/nobody/retention?dryRun=true", "").status()).isEqualTo(404);
        assertThat(api.patch("/api/v1/clusters/" + cluster, clusterBody(pg, Map.of("keepLast", -1))).status()).isEqualTo(400);
    }

    @Test
    void walBeforeTheOldestRetainedBaseBackupGoesAndWhatItNeedsStays() throws Exception {
        physical = PgCluster.start("retention-wal");
        String cluster = "retained-wal";
        api.register(cluster, physical);
        JsonNode first = api.backup(cluster, Map.of("kind", "BASE"));
        physical.execute("postgres", "SELECT pg_switch_wal()", "CREATE TABLE t AS SELECT 1 AS x", "SELECT pg_switch_wal()");
        JsonNode second = api.backup(cluster, Map.of("kind", "BASE"));
        api.awaitVerification(first.path("id").asString(), Duration.ofMinutes(2));
        api.awaitVerification(second.path("id").asString(), Duration.ofMinutes(2));

        long segment = 16L * 1024 * 1024;
        long from = WalFileName.parse(second.path("firstWal").asString()).position(segment);
        long to = WalFileName.parse(second.path("lastWal").asString()).position(segment);
        List<String> before = new ArrayList<>();
        for (long p = Math.max(1, from - 4); p < from; p++) {
            before.add(WalFileName.segmentName(1, p, segment));
        }
        List<String> needed = new ArrayList<>();
        for (long p = from; p <= to + 1; p++) {
            needed.add(WalFileName.segmentName(1, p, segment));
        }
        for (String name : concat(before, needed, List.of("00000002.history"))) {
            push(cluster, name);
        }

        setPolicy(cluster, physical, Map.of("keepLast", 1));
        JsonNode plan = api.post("/api/v1/clusters/" + cluster + "/retention?dryRun=true", "").json();
        assertThat(kept(plan)).containsExactly(second.path("id").asString());
        assertThat(plan.path("wal").path("firstKept").asString()).isEqualTo(second.path("firstWal").asString());
        assertThat(plan.path("wal").path("files").asLong()).isEqualTo(before.size());

        Api.Response started = api.post("/api/v1/clusters/" + cluster + "/retention", "");
        assertThat(api.awaitJob(started.field("id"), Duration.ofMinutes(1)).path("status").asString())
                .isEqualTo("SUCCEEDED");
        for (String name : before) {
            assertThat(api.get("/api/v1/clusters/" + cluster + "/wal/" + name).status()).as(name).isEqualTo(404);
            assertThat(stored().hasWal("local", cluster, name)).as(name).isFalse();
        }
        for (String name : concat(needed, List.of(), List.of("00000002.history"))) {
            assertThat(api.get("/api/v1/clusters/" + cluster + "/wal/" + name).status()).as(name).isEqualTo(200);
        }
        assertThat(api.get("/api/v1/backups/" + first.path("id").asString()).field("status")).isEqualTo("EXPIRED");
        JsonNode summary = api.get("/api/v1/clusters/" + cluster + "/wal").json();
        assertThat(summary.path("timelines").get(0).path("firstSegment").asString())
                .isEqualTo(second.path("firstWal").asString());
        assertThat(summary.path("recoveryWindow").path("fromBackup").asString()).isEqualTo(second.path("id").asString());
    }

    /** Pushes a valid file of that name for the {@code physical} cluster: a history file or a segment. */
    private void push(String cluster, String name) throws Exception {
        byte[] body = name.endsWith(".history") ? WalSegments.history(WalFileName.parse(name).timeline())
                : WalSegments.of(physical).segment(name);
        HttpResponse<String> r = HttpClient.newHttpClient().send(Api.authorized(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + port + "/api/v1/clusters/" + cluster + "/wal/" + name)))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(name + ": " + r.body()).isIn(200, 201);
    }

    private JsonNode plan(String cluster, Map<String, Integer> policy) {
        setPolicy(cluster, pg, policy);
        Api.Response r = api.post("/api/v1/clusters/" + cluster + "/retention?dryRun=true", "");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    /** Replaces the cluster's policy: a merge patch would merge the new policy's fields into the old one's. */
    private void setPolicy(String cluster, PgCluster target, Map<String, Integer> policy) {
        Map<String, Object> none = new java.util.HashMap<>();
        none.put("retention", null);
        assertThat(api.patch("/api/v1/clusters/" + cluster, none).status()).isEqualTo(200);
        Api.Response r = api.patch("/api/v1/clusters/" + cluster, clusterBody(target, policy));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    private static Map<String, Object> clusterBody(PgCluster target, Map<String, Integer> policy) {
        Map<String, Object> body = new LinkedHashMap<>(Map.of("host", target.host(), "username", target.superuser()));
        body.put("port", target.port());
        if (policy != null) {
            body.put("retention", policy);
        }
        return body;
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

    private static List<String> reasons(JsonNode plan, String id) {
        List<String> reasons = new ArrayList<>();
        plan.path("backups").forEach(d -> {
            if (d.path("backupId").asString().equals(id)) {
                d.path("reasons").forEach(r -> reasons.add(r.asString()));
            }
        });
        return reasons;
    }

    @SafeVarargs
    private static List<String> concat(List<String>... lists) {
        List<String> all = new ArrayList<>();
        for (List<String> l : lists) {
            all.addAll(l);
        }
        return all;
    }
}
