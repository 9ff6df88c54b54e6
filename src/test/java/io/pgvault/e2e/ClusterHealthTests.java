package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import io.pgvault.testing.WalSegments;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Per-cluster health in the group {@code backups}: DOWN with a reason when the RPO is exceeded, the last backup
 * failed or WAL is not arriving; the instance's own health ({@code /actuator/health}) and its probes stay UP.
 */
class ClusterHealthTests extends EndToEndTest {

    static final String DB = "health db";
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
    void goesDownPastTheRpoOrAfterAFailedBackupAndUpAgainAfterABackup() {
        String cluster = "fresh";
        Map<String, Object> body = new LinkedHashMap<>(Map.of("name", cluster, "host", pg.host(), "port", pg.port(),
                "username", pg.superuser(), "rpo", "PT4S"));
        assertThat(api.post("/api/v1/clusters", body).status()).isEqualTo(201);

        assertThat(component(cluster).path("status").asString()).isEqualTo("DOWN");
        assertThat(component(cluster).path("details").path("problems").toString()).contains("no successful backup yet");
        assertThat(api.get("/actuator/health/backups").status()).isEqualTo(503);
        Api.Response anonymous = api.as(null).get("/actuator/health/backups");
        assertThat(anonymous.status()).isEqualTo(503);
        assertThat(anonymous.json().path("status").asString()).isEqualTo("DOWN");
        assertThat(anonymous.json().has("components")).as("the reasons need a token: %s", anonymous.body()).isFalse();
        Api.Response instance = api.get("/actuator/health");
        assertThat(instance.status()).as("a late database is not a sick pgvault: %s", instance.body()).isEqualTo(200);
        assertThat(instance.json().path("components").has("clusters")).isFalse();
        assertThat(api.get("/actuator/health/liveness").status()).as("liveness stays UP").isEqualTo(200);
        assertThat(api.get("/actuator/health/readiness").status()).as("readiness stays UP").isEqualTo(200);

        api.backup(cluster, Map.of("kind", "DUMP", "database", DB));
        JsonNode up = component(cluster);
        assertThat(up.path("status").asString()).as(up.toString()).isEqualTo("UP");
        assertThat(up.path("details").path("rpo").asString()).isEqualTo("PT4S");

        // the RPO (4 s) passes without a backup: a condition with a deadline, not a fixed wait
        org.awaitility.Awaitility.await("RPO breached").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250)).until(() -> component(cluster).path("status").asString()
                        .equals("DOWN"));
        JsonNode stale = component(cluster);
        assertThat(stale.path("status").asString()).isEqualTo("DOWN");
        assertThat(stale.path("details").path("problems").toString()).contains("RPO breached");
        api.backup(cluster, Map.of("kind", "DUMP", "database", DB, "schemaOnly", true));
        assertThat(component(cluster).path("details").path("problems").toString())
                .as("a schema-only dump holds no data: the RPO is still breached").contains("RPO breached");

        JsonNode failing = api.startBackup(cluster, Map.of("kind", "DUMP", "database", DB, "tables", java.util.List.of("nope")));
        assertThat(api.awaitJob(failing.path("id").asString(), Duration.ofMinutes(1)).path("status").asString())
                .isEqualTo("FAILED");
        assertThat(component(cluster).path("details").path("problems").toString())
                .contains("the last backup job (" + failing.path("id").asString() + ") failed");

        api.backup(cluster, Map.of("kind", "DUMP", "database", DB));
        assertThat(component(cluster).path("status").asString()).isEqualTo("UP");

        body.remove("name");
        body.remove("rpo");
        assertThat(api.patch("/api/v1/clusters/" + cluster, body).status()).isEqualTo(200);
    }

    @Test
    void aClusterThatPushesWalIsDownUntilWalArrives() throws Exception {
        String cluster = "lagging";
        assertThat(api.post("/api/v1/clusters", Map.of("name", cluster, "host", pg.host(), "port", pg.port(),
                "username", pg.superuser(), "walArchive", "PUSH")).status()).isEqualTo(201);
        JsonNode down = component(cluster);
        assertThat(down.path("status").asString()).isEqualTo("DOWN");
        assertThat(down.path("details").path("problems").toString()).contains("no WAL archived yet");

        HttpResponse<String> pushed = HttpClient.newHttpClient().send(Api.authorized(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + port + "/api/v1/clusters/" + cluster + "/wal/000000010000000000000001")))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(WalSegments.of(pg).segment("000000010000000000000001")))
                .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(pushed.statusCode()).isEqualTo(201);
        JsonNode up = component(cluster);
        assertThat(up.path("status").asString()).as(up.toString()).isEqualTo("UP");
        assertThat(up.path("details").path("walLagSeconds").asLong()).isLessThan(60);
        Api.Response kept = api.delete("/api/v1/clusters/" + cluster);
        assertThat(kept.status()).as("archived WAL is never deleted implicitly").isEqualTo(409);
        assertThat(kept.body()).contains("archived WAL");
    }

    private JsonNode component(String cluster) {
        return api.get("/actuator/health/backups").json().path("components").path("clusters").path("components")
                .path(cluster);
    }
}
