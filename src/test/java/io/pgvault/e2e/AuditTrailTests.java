package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import tools.jackson.databind.JsonNode;

/**
 * What the audit trail records, as the README states it: WAL downloads by OPERATOR and ADMIN tokens (not
 * those of the cluster's own archive token), refusals of a role (403), failed changes (4xx), never requests
 * without a valid token (401, logged only) or ordinary reads that fail.
 */
@ExtendWith(OutputCaptureExtension.class)
class AuditTrailTests extends EndToEndTest {

    static final String CLUSTER = "audit-wal";
    static PgCluster pg;

    @BeforeAll
    static void cluster() {
        pg = PgCluster.start("audit-wal", Map.of("wal_keep_size", "64MB"), List.of("--wal-segsize=1"));
    }

    @AfterAll
    static void stop() {
        pg.close();
    }

    @Test
    void walDownloadsByPeopleAreAuditedAndTheArchiveTokensAreNot() throws Exception {
        api.register(CLUSTER, pg);
        String archiveToken = api.get("/api/v1/clusters/" + CLUSTER + "/archive-config").field("archiveToken");
        String operatorName = "wal-reader-" + System.nanoTime();
        String operator = token(operatorName, "OPERATOR");
        String viewerName = "wal-viewer-" + System.nanoTime();
        String viewer = token(viewerName, "VIEWER");
        pg.execute("postgres", "CREATE TABLE t AS SELECT 1 AS x");
        String segment = (String) pg.queryValue("postgres", "SELECT pg_walfile_name(pg_current_wal_lsn())");
        pg.execute("postgres", "SELECT pg_switch_wal()");
        byte[] bytes = Files.readAllBytes(pg.dataDirectory().resolve("pg_wal").resolve(segment));
        String wal = "/api/v1/clusters/" + CLUSTER + "/wal/";

        // as archive_command and restore_command do: not in the trail
        HttpResponse<String> pushed = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(api.base()
                + wal + segment)).header("Authorization", "Bearer " + archiveToken)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(pushed.statusCode()).as(pushed.body()).isEqualTo(201);
        assertThat(api.as(archiveToken).get(wal + segment).status()).isEqualTo(200);
        assertThat(api.as(archiveToken).get(wal + "00000001000000000000007F").status()).isEqualTo(404);

        // as people do: in the trail, with who, which cluster and how it ended
        assertThat(api.as(operator).download(wal + segment)).isEqualTo(bytes);
        assertThat(api.download(wal + segment)).isEqualTo(bytes);
        assertThat(api.as(operator).get(wal + "00000001000000000000007F").status()).isEqualTo(404);
        assertThat(api.as(viewer).get(wal + segment).status()).isEqualTo(403);

        List<JsonNode> trail = api.get("/api/v1/audit?cluster=" + CLUSTER + "&size=100").json().path("content")
                .valueStream().filter(e -> e.path("action").asString().endsWith("/wal/{file}")).toList();
        assertThat(trail).extracting(e -> e.path("actor").asString() + " " + e.path("action").asString() + " "
                + e.path("status").asInt() + " " + e.path("outcome").asString()).containsExactlyInAnyOrder(
                        operatorName + " GET /api/v1/clusters/{name}/wal/{file} 200 SUCCEEDED",
                        "admin-token (configuration) GET /api/v1/clusters/{name}/wal/{file} 200 SUCCEEDED",
                        operatorName + " GET /api/v1/clusters/{name}/wal/{file} 404 FAILED",
                        viewerName + " GET /api/v1/clusters/{name}/wal/{file} 403 DENIED");
        // the viewer's 403 is recorded by the security layer, with the path it asked for
        assertThat(api.get("/api/v1/audit?actor=" + viewerName).json().path("content").valueStream()
                .map(e -> e.path("path").asString() + " " + e.path("outcome").asString()))
                .containsExactly(wal + segment + " DENIED");
    }

    @Test
    void whichRefusalsAreRecorded(CapturedOutput output) {
        api.register(CLUSTER, pg);
        String name = "refused-" + System.nanoTime();
        String viewer = token(name, "VIEWER");
        String missing = UUID.randomUUID().toString();

        assertThat(api.as(null).post("/api/v1/clusters/" + CLUSTER + "/backups", Map.of("kind", "BASE")).status())
                .isEqualTo(401);
        assertThat(api.as(viewer).post("/api/v1/clusters/" + CLUSTER + "/backups", Map.of("kind", "BASE"))
                .status()).isEqualTo(403);
        assertThat(api.as(viewer).get("/api/v1/clusters/" + CLUSTER + "/archive-config").status()).isEqualTo(403);
        assertThat(api.as(viewer).get("/api/v1/backups/" + missing).status()).isEqualTo(404);
        assertThat(api.post("/api/v1/clusters/" + CLUSTER + "/backups", Map.of("kind", "SNAPSHOT")).status())
                .isEqualTo(400);
        assertThat(api.post("/api/v1/clusters", Map.of("name", CLUSTER, "host", pg.host(), "port", pg.port(),
                "username", pg.superuser())).status()).isEqualTo(409);
        assertThat(api.get("/api/v1/backups/" + missing + "/content").status()).isEqualTo(404);

        assertThat(api.get("/api/v1/audit?actor=" + name).json().path("content").valueStream()
                .map(e -> e.path("path").asString() + " " + e.path("status").asInt()))
                .as("a role's refusals, reads included").containsExactlyInAnyOrder(
                        "/api/v1/clusters/" + CLUSTER + "/backups 403",
                        "/api/v1/clusters/" + CLUSTER + "/archive-config 403");
        List<String> admin = api.get("/api/v1/audit?size=200&actor="
                + java.net.URLEncoder.encode("admin-token (configuration)", java.nio.charset.StandardCharsets.UTF_8)).json()
                .path("content").valueStream().map(e -> e.path("path").asString() + " " + e.path("status").asInt())
                .toList();
        assertThat(admin).as("failed changes and failed audited reads").contains(
                "/api/v1/clusters/" + CLUSTER + "/backups 400", "/api/v1/clusters 409",
                "/api/v1/backups/" + missing + "/content 404");
        assertThat(api.get("/api/v1/audit?actor=anonymous&size=200").json().path("content").valueStream()
                .map(e -> e.path("path").asString())).as("401s are not stored")
                .doesNotContain("/api/v1/clusters/" + CLUSTER + "/backups");
        assertThat(output.getAll()).contains("audit: refused POST /api/v1/clusters/" + CLUSTER
                + "/backups without a valid token");
        assertThat(api.get("/api/v1/audit?size=200").json().path("content").valueStream()
                .map(e -> e.path("path").asString())).as("an ordinary read that fails is not recorded")
                .doesNotContain("/api/v1/backups/" + missing);
    }

    private String token(String name, String role) {
        Api.Response created = api.post("/api/v1/tokens", Map.of("name", name, "role", role));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return created.field("token");
    }
}
