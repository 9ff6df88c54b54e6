package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import io.pgvault.wal.Lsn;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The WAL archive proven by replay: a real server archives through pgvault, a BASE backup is taken, more WAL is
 * archived; a proof restores the backup to a scratch server that replays every archived segment, and the proven
 * point is what PostgreSQL replayed, up to the archive's last segment. Then one segment is removed from storage
 * behind pgvault's back (the catalog still lists it, so nothing but replay can notice): the next proof fails and
 * names that segment, in the proof, the WAL summary and the backups' health. 1 MiB segments keep it quick.
 */
class ProofTests extends EndToEndTest {

    static final String CLUSTER = "proven";
    static PgCluster pg;

    @BeforeAll
    static void server() {
        pg = PgCluster.start("proof", Map.of("archive_mode", "on", "archive_command", "", "archive_timeout", "0"),
                List.of("--wal-segsize=1"));
    }

    @AfterAll
    static void stop() {
        pg.close();
    }

    @Test
    void replayProvesTheArchiveAndNamesTheSegmentThatIsGone() throws Exception {
        api.register(CLUSTER, pg);
        assertThat(api.patch("/api/v1/clusters/" + CLUSTER, Map.of("walArchive", "PUSH")).status()).isEqualTo(200);
        assertThat(api.post("/api/v1/clusters/" + CLUSTER + "/proof/runs", Map.of()).status())
                .as("no BASE backup to replay from yet").isEqualTo(409);
        api.archiveThroughPgvault(CLUSTER, pg);
        api.backup(CLUSTER, Map.of("kind", "BASE"));

        List<String> segments = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            pg.execute("postgres", "CREATE TABLE IF NOT EXISTS t (id int, note text)",
                    "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 3000) g");
            segments.add((String) pg.queryValue("postgres", "SELECT pg_walfile_name(pg_switch_wal())"));
        }
        String last = segments.get(segments.size() - 1);
        api.awaitArchived(CLUSTER, last);

        JsonNode proven = runProof("SUCCEEDED");
        assertThat(proven.path("state").asString()).as(proven.toString()).isEqualTo("PROVEN");
        assertThat(proven.path("archiveEnd").asString()).isEqualTo(last);
        long segmentSize = 1024 * 1024;
        assertThat(Lsn.parse(proven.path("provenLsn").asString()).segment(segmentSize))
                .as("replayed into the archive's last segment %s: %s", last, proven)
                .isGreaterThanOrEqualTo(Long.parseLong(last.substring(8, 16), 16) * 0x100000000L / segmentSize
                        + Long.parseLong(last.substring(16), 16));
        assertThat(proven.path("provenTime").isNull()).isFalse();
        JsonNode job = api.get("/api/v1/jobs/" + proven.path("lastJobId").asString()).json();
        assertThat(job.path("result").path("integrity").asString()).as("amcheck ran on the replayed copy: %s", job)
                .contains("amcheck: ")
                .contains("no corruption").doesNotContain("not run");
        JsonNode summary = api.get("/api/v1/clusters/" + CLUSTER + "/wal").json();
        assertThat(summary.path("proven").path("state").asString()).isEqualTo("PROVEN");
        assertThat(summary.path("proven").path("provenLsn").asString()).isEqualTo(proven.path("provenLsn").asString());
        // the per-cluster figures are refreshed after each job's end, off the request's path
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(api.get("/actuator/prometheus").body()).contains("pgvault_proof_lag_seconds{cluster=\"proven\"")
                        .contains("pgvault_proof_failures_total{cluster=\"proven\""));

        // the RPO measured against what replay proved: the newest proven transaction is older than a second by now
        assertThat(api.put("/api/v1/clusters/" + CLUSTER + "/proof", Map.of("mode", "OFF", "rpoBasis", "PROVEN"))
                .status()).isEqualTo(200);
        assertThat(api.patch("/api/v1/clusters/" + CLUSTER, Map.of("rpo", "PT1S")).status()).isEqualTo(200);
        JsonNode late = api.get("/actuator/health/backups").json().path("components").path("clusters")
                .path("components").path(CLUSTER);
        assertThat(late.path("details").path("problems").toString()).as(late.toString())
                .contains("measured against the archive proven by replay");

        String removed = segments.get(1);
        removeFromStorage(removed);
        JsonNode failed = runProof("FAILED");
        assertThat(failed.path("state").asString()).as(failed.toString()).isEqualTo("FAILED");
        assertThat(failed.path("failedSegment").asString()).as(failed.toString()).isEqualTo(removed);
        assertThat(failed.path("failure").asString()).contains(removed);
        assertThat(failed.path("failures").asLong()).isEqualTo(1);
        JsonNode health = api.get("/actuator/health/backups").json().path("components").path("clusters")
                .path("components").path(CLUSTER);
        assertThat(health.path("status").asString()).as(health.toString()).isEqualTo("DOWN");
        assertThat(health.path("details").path("problems").toString()).contains("proof by replay failed")
                .contains(removed);
    }

    /** Runs a proof now and waits for its job to end as expected; the cluster's proof afterwards. */
    private JsonNode runProof(String expected) {
        Api.Response started = api.post("/api/v1/clusters/" + CLUSTER + "/proof/runs", Map.of());
        assertThat(started.status()).as(started.body()).isEqualTo(202);
        JsonNode job = api.awaitJob(started.json().path("id").asString(), Duration.ofMinutes(3));
        assertThat(job.path("status").asString()).as(job.toString()).isEqualTo(expected);
        return api.get("/api/v1/clusters/" + CLUSTER + "/proof").json();
    }

    /** Deletes a segment's stored file, as a lost disk or a careless hand would, leaving its catalog row. */
    private void removeFromStorage(String segment) throws Exception {
        assertThat(stored().storedWalSize(CLUSTER, segment)).as("the stored file of %s", segment).isPositive();
        stored().deleteWal(CLUSTER, segment);
    }
}
