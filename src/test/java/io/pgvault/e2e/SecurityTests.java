package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import io.pgvault.testing.WalSegments;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.jdbc.core.JdbcTemplate;
import tools.jackson.databind.JsonNode;

/**
 * The API lets in only bearer tokens, each role only as far as it reaches, archive tokens only to their own
 * cluster's WAL; refusals are problem+json, start nothing, and land in the audit trail with everything else.
 */
@ExtendWith(OutputCaptureExtension.class)
class SecurityTests extends EndToEndTest {

    static final String DB = "security db";

    @Autowired
    JdbcTemplate catalog;

    private String token(String name, String role) {
        Api.Response created = api.post("/api/v1/tokens", Map.of("name", name, "role", role));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String value = created.field("token");
        assertThat(value).startsWith("pgv_").hasSizeGreaterThan(40);
        return value;
    }

    private static void assertProblem(Api.Response r, int status) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.contentType()).startsWith("application/problem+json");
        assertThat(r.json().path("status").asInt()).isEqualTo(status);
        assertThat(r.json().path("detail").asString()).isNotBlank();
    }

    @Test
    void withoutATokenOnlyTheProbesAndTheDocsAnswer() throws Exception {
        Api anonymous = api.as(null);
        for (String path : List.of("/api/v1/clusters", "/api/v1/backups", "/api/v1/jobs", "/actuator/health/clusters",
                "/actuator/prometheus", "/actuator/metrics", "/api/v1/no-such-thing")) {
            assertProblem(anonymous.get(path), 401);
        }
        assertProblem(anonymous.post("/api/v1/clusters", Map.of("name", "x")), 401);
        assertProblem(api.as("pgv_not-a-real-token").get("/api/v1/clusters"), 401);
        assertProblem(api.as("Basic YWRtaW46YWRtaW4=").get("/api/v1/clusters"), 401);

        // the overall status answers anyone, as Docker's HEALTHCHECK and load balancers expect; its parts need a token
        Api.Response health = anonymous.get("/actuator/health");
        assertThat(health.status()).isIn(200, 503);
        assertThat(health.json().path("status").asString()).isIn("UP", "DOWN");
        assertThat(health.json().has("components")).as("no components without a token: %s", health.body()).isFalse();
        assertThat(health.body()).doesNotContain("catalog").doesNotContain("repositories");
        Api viewer = api.as(token("health-viewer-" + System.nanoTime(), "VIEWER"));
        assertThat(viewer.get("/actuator/health").json().path("components").has("catalog")).isTrue();
        for (String probe : List.of("/actuator/health/liveness", "/actuator/health/readiness")) {
            Api.Response r = anonymous.get(probe);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().path("status").asString()).isEqualTo("UP");
            assertThat(r.json().has("components")).as("no details without a token: %s", r.body()).isFalse();
            assertThat(r.json().has("details")).isFalse();
        }
        assertThat(anonymous.get("/v3/api-docs").status()).isEqualTo(200);
        assertThat(api.get("/actuator/health").json().path("components").has("catalog")).isTrue();
    }

    @Test
    void corsIsClosed() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> preflight = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/api/v1/clusters"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", "http://evil.example")
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        HttpResponse<String> get = http.send(Api.authorized(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/api/v1/clusters"))).header("Origin", "http://evil.example")
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(get.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    }

    @Test
    void eachRoleReachesOnlyItsOwnEndpoints(CapturedOutput output) {
        PgCluster pg = PgCluster.shared();
        if (!pg.databaseExists(DB)) {
            pg.createDatabase(DB);
            pg.execute(DB, "CREATE TABLE t (id int)", "INSERT INTO t SELECT generate_series(1, 100)");
        }
        api.register("roles", pg);
        String viewerToken = token("viewer-" + System.nanoTime(), "VIEWER");
        String operatorName = "operator-" + System.nanoTime();
        String operatorToken = token(operatorName, "OPERATOR");
        Api viewer = api.as(viewerToken);
        Api operator = api.as(operatorToken);

        // only the SHA-256 is stored, and listing never shows a value
        assertThat(catalog.queryForObject("select count(*) from api_token where token_hash = ? or token_hash = ?",
                Long.class, viewerToken, operatorToken)).isZero();
        assertThat(api.get("/api/v1/tokens").body()).doesNotContain(viewerToken).doesNotContain(operatorToken)
                .contains(operatorName);

        long jobs = api.jobCount();
        assertThat(viewer.get("/api/v1/clusters").status()).isEqualTo(200);
        assertThat(viewer.get("/api/v1/clusters/roles/wal").status()).isEqualTo(200);
        assertProblem(viewer.post("/api/v1/clusters/roles/backups", Map.of("kind", "DUMP", "database", DB)), 403);
        assertProblem(viewer.get("/api/v1/clusters/roles/archive-config"), 403);
        assertProblem(viewer.get("/api/v1/tokens"), 403);
        assertProblem(viewer.get("/api/v1/audit"), 403);
        assertThat(api.jobCount()).as("a refused request starts nothing").isEqualTo(jobs);

        JsonNode backup = operator.backup("roles", Map.of("kind", "DUMP", "database", DB));
        String id = backup.path("id").asString();
        assertProblem(viewer.get("/api/v1/backups/" + id + "/content"), 403);
        assertThat(operator.get("/api/v1/backups/" + id + "/content").status()).isEqualTo(200);
        assertProblem(operator.post("/api/v1/clusters", Map.of("name", "nope", "host", pg.host(), "port", pg.port(),
                "username", pg.superuser())), 403);
        assertProblem(operator.delete("/api/v1/backups/" + id), 403);
        assertProblem(operator.post("/api/v1/clusters/roles/retention", Map.of()), 403);
        assertProblem(operator.post("/api/v1/schedules", Map.of("cluster", "roles")), 403);
        assertProblem(operator.post("/api/v1/tokens", Map.of("name", "escalate", "role", "ADMIN")), 403);
        jobs = api.jobCount();
        Api.Response overwrite = operator.post("/api/v1/backups/" + id + "/restores",
                Map.of("targetCluster", "roles", "targetDatabase", DB, "overwrite", true));
        assertProblem(overwrite, 403);
        assertThat(overwrite.field("detail")).contains("ADMIN");
        assertProblem(operator.post("/api/v1/clusters/roles/recoveries", Map.of("target", Map.of("latest", true),
                "dataDirectory", PgCluster.recoveryRoot().resolve("refused-to-an-operator").toString(),
                "replaceExisting", true)), 403);
        assertProblem(operator.post("/api/v1/backups/" + id + "/restores", Map.of("targetCluster", "roles",
                "targetDatabase", "postgres")), 403);
        assertThat(api.jobCount()).isEqualTo(jobs);
        assertThat(api.get("/api/v1/backups/" + id).json().path("status").asString()).isEqualTo("SUCCEEDED");
        // a restore into a database it creates is a new target: OPERATOR may
        String copy = "copy " + System.nanoTime();
        assertThat(operator.restore(id, Map.of("targetCluster", "roles", "targetDatabase", copy,
                "createDatabase", true)).path("status").asString()).isEqualTo("SUCCEEDED");
        pg.dropDatabase(copy);
        // WAL goes into an archive only from its archive_command (or an admin)
        assertProblem(operator.put("/api/v1/clusters/roles/wal/000000010000000000000001", Map.of()), 403);
        assertThat(viewer.send("HEAD", "/api/v1/clusters")).isEqualTo(200);

        // revoked: refused at once
        String tokenId = api.get("/api/v1/tokens").json().valueStream()
                .filter(t -> t.path("name").asString().equals(operatorName)).findFirst().orElseThrow()
                .path("id").asString();
        assertThat(api.delete("/api/v1/tokens/" + tokenId).status()).isEqualTo(204);
        assertProblem(operator.get("/api/v1/clusters"), 401);

        // the audit trail: who did what to which cluster, with the job, and what was refused
        JsonNode trail = api.get("/api/v1/audit?actor=" + operatorName + "&size=100").json().path("content");
        List<JsonNode> entries = trail.valueStream().toList();
        assertThat(entries).anySatisfy(e -> {
            assertThat(e.path("action").asString()).isEqualTo("POST /api/v1/clusters/{name}/backups");
            assertThat(e.path("cluster").asString()).isEqualTo("roles");
            assertThat(e.path("outcome").asString()).isEqualTo("SUCCEEDED");
            assertThat(e.path("jobId").asString()).isNotBlank();
            assertThat(e.path("role").asString()).isEqualTo("OPERATOR");
        });
        assertThat(entries).anySatisfy(e -> {
            assertThat(e.path("action").asString()).isEqualTo("GET /api/v1/backups/{id}/content");
            assertThat(e.path("backupId").asString()).isEqualTo(id);
        });
        assertThat(entries).anySatisfy(e -> {
            assertThat(e.path("path").asString()).isEqualTo("/api/v1/backups/" + id);
            assertThat(e.path("outcome").asString()).isEqualTo("DENIED");
            assertThat(e.path("status").asInt()).isEqualTo(403);
        });
        assertThat(entries.get(0).path("at").asString()).isGreaterThanOrEqualTo(entries.get(entries.size() - 1)
                .path("at").asString());
        assertThat(api.get("/api/v1/audit?cluster=roles").json().path("totalElements").asLong()).isPositive();

        assertThat(output.getAll()).doesNotContain(viewerToken).doesNotContain(operatorToken);
    }

    @Test
    void anArchiveTokenMovesOnlyItsOwnClustersWal(CapturedOutput output) throws Exception {
        PgCluster pg = PgCluster.shared();
        api.register("archive-a", pg);
        api.register("archive-b", pg);
        JsonNode config = api.get("/api/v1/clusters/archive-a/archive-config").json();
        String token = config.path("archiveToken").asString();
        assertThat(token).startsWith("pgva_");
        assertThat(config.path("headerFileContent").asString()).isEqualTo("Authorization: Bearer " + token + "\n");
        assertThat(config.path("archiveCommand").asString()).contains("-H @" + config.path("headerFile").asString())
                .doesNotContain(token);
        assertThat(catalog.queryForObject("select archive_token from cluster where name = 'archive-a'", String.class))
                .as("sealed at rest").startsWith("v2:").doesNotContain(token);
        Api archiver = api.as(token);

        String segment = "000000010000000000000001";
        WalSegments wal = WalSegments.of(pg);
        byte[] bytes = wal.segment(segment);
        assertThat(push(token, "archive-a", segment, bytes)).isEqualTo(201);
        assertThat(archiver.get("/api/v1/clusters/archive-a/wal/" + segment).status()).isEqualTo(200);
        assertThat(push(token, "archive-b", segment, bytes)).as("another cluster's archive").isEqualTo(401);
        assertProblem(archiver.get("/api/v1/clusters/archive-b/wal/" + segment), 401);
        assertProblem(archiver.get("/api/v1/clusters"), 401);
        assertProblem(archiver.get("/api/v1/clusters/archive-a/wal"), 401);
        assertProblem(archiver.post("/api/v1/clusters/archive-a/backups", Map.of("kind", "BASE")), 401);
        byte[] second = wal.segment("000000010000000000000002");
        assertThat(push(null, "archive-a", "000000010000000000000002", second)).isEqualTo(401);
        assertThat(push(Api.ADMIN_TOKEN, "archive-a", "000000010000000000000003",
                wal.segment("000000010000000000000003"))).isEqualTo(201);
        assertThat(api.get("/api/v1/audit?cluster=archive-a").json().path("content").valueStream()
                .map(e -> e.path("path").asString()))
                .as("an admin's WAL push is audited, the archive token's are not")
                .contains("/api/v1/clusters/archive-a/wal/000000010000000000000003")
                .doesNotContain("/api/v1/clusters/archive-a/wal/" + segment);

        JsonNode rotated = api.post("/api/v1/clusters/archive-a/archive-token", Map.of()).json();
        String newToken = rotated.path("archiveToken").asString();
        assertThat(newToken).isNotEqualTo(token).startsWith("pgva_");
        assertThat(push(token, "archive-a", "000000010000000000000002", second)).as("old token").isEqualTo(401);
        assertThat(push(newToken, "archive-a", "000000010000000000000002", second)).isEqualTo(201);
        assertThat(output.getAll()).doesNotContain(token).doesNotContain(newToken);
    }

    @Test
    void storedBackupsAndWalAreOwnerOnly() throws Exception {
        PgCluster pg = PgCluster.shared();
        if (!pg.databaseExists(DB)) {
            pg.createDatabase(DB);
            pg.execute(DB, "CREATE TABLE t (id int)", "INSERT INTO t SELECT generate_series(1, 100)");
        }
        api.register("owner-only", pg);
        String id = api.backup("owner-only", Map.of("kind", "DUMP", "database", DB, "format", "DIRECTORY"))
                .path("id").asString();
        assertThat(push(Api.ADMIN_TOKEN, "owner-only", "000000010000000000000001",
                WalSegments.of(pg).segment("000000010000000000000001"))).isEqualTo(201);
        assertThat(java.nio.file.Files.getPosixFilePermissions(STORAGE))
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        List<java.nio.file.Path> stored;
        try (var walk = java.nio.file.Files.walk(STORAGE.resolve("owner-only"))) {
            stored = walk.filter(p -> p.toString().contains(id) || p.toString().contains("/wal/")).toList();
        }
        assertThat(stored).hasSizeGreaterThan(3);
        for (java.nio.file.Path p : stored) {
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
                    java.nio.file.Files.getPosixFilePermissions(p))).as(p.toString())
                    .isEqualTo(java.nio.file.Files.isDirectory(p) ? "rwx------" : "rw-------");
        }
    }

    @Test
    void tokensAreValidatedLikeEverythingElse() {
        assertProblem(api.post("/api/v1/tokens", Map.of("name", "bad name; rm -rf /", "role", "VIEWER")), 400);
        assertProblem(api.post("/api/v1/tokens", Map.of("name", "no-role")), 400);
        assertProblem(api.post("/api/v1/tokens", Map.of("name", "system", "role", "ADMIN")), 400);
        assertProblem(api.post("/api/v1/tokens", Map.of("name", "far", "role", "VIEWER",
                "expiresAt", "9999-01-01T00:00:00Z")), 400);
        assertProblem(api.post("/api/v1/tokens", Map.of("name", "x", "role", "ROOT")), 400);
        assertProblem(api.post("/api/v1/tokens", Map.of("name", "past", "role", "VIEWER",
                "expiresAt", Instant.now().minus(Duration.ofMinutes(1)).toString())), 400);
        String name = "dup-" + System.nanoTime();
        token(name, "VIEWER");
        assertProblem(api.post("/api/v1/tokens", Map.of("name", name, "role", "VIEWER")), 409);
    }

    private int push(String token, String cluster, String file, byte[] body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/api/v1/clusters/" + cluster + "/wal/" + file)).PUT(HttpRequest.BodyPublishers.ofByteArray(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }
}
