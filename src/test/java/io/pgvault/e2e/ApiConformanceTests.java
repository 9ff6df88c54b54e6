package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Every answer of a representative set of requests, successes and refusals (400 bad body, 401 without a
 * token, 403 for a VIEWER, 404 unknown id, 409 conflict), must match the document the server serves at
 * /v3/api-docs right now (not the api/openapi.json snapshot): a documented status, a documented media type and
 * a body of the documented schema (see {@link OpenApiConformance}). Every operation of the document must be
 * exercised. The test lists all mismatches at once.
 */
class ApiConformanceTests extends EndToEndTest {

    static final String CLUSTER = "conformance";

    /**
     * Operations that no request here reaches, each with the reason. Empty today: even the costly ones (a
     * recovery needs an archiving cluster and a base backup, a WAL push a real segment) are reached through
     * their refusals, which are documented answers too; their successes are driven by GeneratedClientTests,
     * PointInTimeRecoveryTests and WalArchiveTests.
     */
    static final Set<String> NOT_EXERCISED = Set.of();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private OpenApiConformance conformance;
    private String viewerToken;

    @Test
    void everyAnswerMatchesTheServedDocument() {
        conformance = new OpenApiConformance(api.get("/v3/api-docs").body());
        PgCluster pg = PgCluster.shared();

        viewerToken = tokens();
        clusters(pg);
        UUID backup = backups();
        jobs(backup);
        schedules();
        notifications();
        wal();
        send("audit", "GET", "/api/v1/audit?size=5", null);
        send("instances", "GET", "/api/v1/instances", null);
        send("what is at risk", "GET", "/api/v1/status", null);
        finish(backup);

        Set<String> missed = new TreeSet<>(conformance.operations());
        missed.removeAll(conformance.exercised());
        missed.removeAll(NOT_EXERCISED);
        // both lists in one report
        SoftAssertions.assertSoftly(soft -> {
            soft.assertThat(conformance.mismatches()).as("answers that differ from the served OpenAPI %s document:%n%s%n",
                    conformance.version(), String.join(System.lineSeparator(), conformance.mismatches())).isEmpty();
            soft.assertThat(missed).as("operations of the document that no request exercised").isEmpty();
        });
    }

    /**
     * Generated clients list the error type the document gives (application/problem+json) in Accept, with the
     * success type or, for a success that is not JSON (openapi-generator's Python client), instead of it. Every
     * operation answers its own success type all the same: no 406, and no JSON success labelled as a problem.
     */
    @Test
    void successesAnswerTheirOwnTypeWhateverErrorTypeIsAccepted() throws Exception {
        PgCluster pg = PgCluster.shared();
        String cluster = "conformance-accept";
        api.register(cluster, pg);
        JsonNode job = api.startBackup(cluster, Map.of("kind", "DUMP", "database", "postgres"));
        api.awaitSucceeded(job.path("id").asString());
        String segment = "000000010000000000000001";
        HttpResponse<String> pushed = http.send(Api.authorized(HttpRequest.newBuilder(URI.create(api.base()
                + "/api/v1/clusters/" + cluster + "/wal/" + segment)))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(io.pgvault.testing.WalSegments.of(pg).segment(segment)))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(pushed.statusCode()).as(pushed.body()).isIn(200, 201);

        Map<String, String> successes = new LinkedHashMap<>();
        successes.put("/api/v1/jobs/" + job.path("id").asString() + "/log", "text/plain");
        successes.put("/api/v1/clusters/" + cluster + "/wal/" + segment, "application/octet-stream");
        successes.put("/api/v1/backups/" + job.path("backupId").asString() + "/content", "application/octet-stream");
        successes.put("/api/v1/clusters/" + cluster, "application/json");
        successes.put("/api/v1/jobs/" + job.path("id").asString(), "application/json");
        SoftAssertions.assertSoftly(soft -> successes.forEach((path, type) -> {
            for (String accept : new String[] {"application/problem+json", type + ", application/problem+json",
                    "application/problem+json;q=1, " + type + ";q=0.5"}) {
                try {
                    HttpResponse<byte[]> r = http.send(Api.authorized(HttpRequest.newBuilder(URI.create(api.base()
                            + path))).header("Accept", accept).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
                    soft.assertThat(r.statusCode()).as("GET %s, Accept: %s", path, accept).isEqualTo(200);
                    soft.assertThat(r.headers().firstValue("Content-Type").orElse(""))
                            .as("GET %s, Accept: %s", path, accept).startsWith(type);
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
        }));
        // an error is a problem whatever was accepted
        HttpResponse<String> missing = http.send(Api.authorized(HttpRequest.newBuilder(URI.create(api.base()
                + "/api/v1/jobs/" + UUID.randomUUID() + "/log"))).header("Accept", "text/plain").GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
    }

    /** Tokens: a VIEWER token for the 403s, listed; revoked in {@link #finish(UUID)}. */
    private String tokens() {
        JsonNode viewer = send("create a VIEWER token", "POST", "/api/v1/tokens",
                Map.of("name", "conformance-viewer", "role", "VIEWER"));
        send("bad role", "POST", "/api/v1/tokens", Map.of("name", "x", "role", "KING"));
        send("list tokens", "GET", "/api/v1/tokens", null);
        return viewer.path("token").asString();
    }

    private void clusters(PgCluster pg) {
        Map<String, Object> cluster = new LinkedHashMap<>(Map.of("name", CLUSTER, "host", pg.host(), "port", pg.port(),
                "username", pg.superuser()));
        send("register", "POST", "/api/v1/clusters", cluster);
        send("register again", "POST", "/api/v1/clusters", cluster);
        send("bad name", "POST", "/api/v1/clusters", Map.of("name", "Not A Slug!", "host", "h", "port", 1,
                "username", "u"));
        send("not JSON", "POST", "/api/v1/clusters", "{\"name\": ");
        sendAs(null, "no token", "GET", "/api/v1/clusters", null);
        sendAs("pgv_not-a-token", "unknown token", "GET", "/api/v1/clusters", null);
        send("list", "GET", "/api/v1/clusters", null);
        send("one", "GET", "/api/v1/clusters/" + CLUSTER, null);
        send("unknown", "GET", "/api/v1/clusters/nobody-here", null);
        cluster.put("rpo", "PT24H");
        send("replace", "PUT", "/api/v1/clusters/" + CLUSTER, cluster);
        Map<String, Object> unknown = new LinkedHashMap<>(cluster);
        unknown.put("name", "nobody-here");
        send("replace unknown", "PUT", "/api/v1/clusters/nobody-here", unknown);
        send("patch", "PATCH", "/api/v1/clusters/" + CLUSTER, Map.of("rpo", "PT12H"));
        send("patch invalid", "PATCH", "/api/v1/clusters/" + CLUSTER, Map.of("port", 0));
        send("patch unknown", "PATCH", "/api/v1/clusters/nobody-here", Map.of("rpo", "PT12H"));
        send("check", "POST", "/api/v1/clusters/" + CLUSTER + "/check", null);
        send("archive config", "GET", "/api/v1/clusters/" + CLUSTER + "/archive-config", null);
        sendAs(viewerToken, "rotate as VIEWER", "POST", "/api/v1/clusters/" + CLUSTER + "/archive-token", null);
        send("rotate", "POST", "/api/v1/clusters/" + CLUSTER + "/archive-token", null);
        send("retention dry run", "POST", "/api/v1/clusters/" + CLUSTER + "/retention?dryRun=true", null);
        send("recovery without target", "POST", "/api/v1/clusters/" + CLUSTER + "/recoveries",
                Map.of("dataDirectory", PgCluster.recoveryRoot().resolve("conformance").toString()));
        send("recovery of unknown cluster", "POST", "/api/v1/clusters/nobody-here/recoveries",
                Map.of("target", Map.of("latest", true), "dataDirectory",
                        PgCluster.recoveryRoot().resolve("conformance").toString()));

        Map<String, Object> doomed = new LinkedHashMap<>(cluster);
        doomed.put("name", CLUSTER + "-gone");
        send("register another", "POST", "/api/v1/clusters", doomed);
        sendAs(viewerToken, "delete as VIEWER", "DELETE", "/api/v1/clusters/" + CLUSTER + "-gone", null);
        send("delete", "DELETE", "/api/v1/clusters/" + CLUSTER + "-gone", null);
    }

    /** A small DUMP backup of the shared cluster: started, refused, read, pinned, verified, restored. */
    private UUID backups() {
        String backups = "/api/v1/clusters/" + CLUSTER + "/backups";
        JsonNode job = send("DUMP backup", "POST", backups, Map.of("kind", "DUMP", "database", "postgres"));
        send("unknown kind", "POST", backups, Map.of("kind", "NOPE"));
        sendAs(viewerToken, "backup as VIEWER", "POST", backups, Map.of("kind", "DUMP", "database", "postgres"));
        send("backup of unknown cluster", "POST", "/api/v1/clusters/nobody-here/backups", Map.of("kind", "DUMP",
                "database", "postgres"));
        awaitEnd(job.path("id").asString());
        String id = job.path("backupId").asString();
        String backup = "/api/v1/backups/" + id;

        send("list", "GET", "/api/v1/backups?cluster=" + CLUSTER + "&size=5", null);
        send("one", "GET", backup, null);
        send("unknown", "GET", "/api/v1/backups/" + UUID.randomUUID(), null);
        send("not a UUID", "GET", "/api/v1/backups/not-a-uuid", null);
        send("contents", "GET", backup + "/contents", null);
        send("contents of unknown", "GET", "/api/v1/backups/" + UUID.randomUUID() + "/contents", null);
        String extractions = "/api/v1/clusters/" + CLUSTER + "/extractions";
        send("extraction dry run", "POST", extractions, Map.of("backupId", id, "dryRun", true));
        send("extraction preview", "POST", extractions + "/preview", Map.of("backupId", id));
        send("extraction without target", "POST", extractions, Map.of("database", "postgres"));
        send("extraction of unknown table", "POST", extractions, Map.of("backupId", id,
                "tables", java.util.List.of("public.no_such_table_here")));
        sendAs(viewerToken, "extraction as VIEWER", "POST", extractions, Map.of("backupId", id));
        send("extraction preview of unknown cluster", "POST", "/api/v1/clusters/nobody-here/extractions/preview",
                Map.of("backupId", id));
        send("download", "GET", backup + "/content", null);
        send("pin", "PUT", backup + "/pin", null);
        send("delete pinned", "DELETE", backup, null);
        send("unpin", "DELETE", backup + "/pin", null);
        awaitEnd(send("verify", "POST", backup + "/verifications", Map.of("level", "CHECKSUM")).path("id").asString());
        send("bad level", "POST", backup + "/verifications", Map.of("level", "PERFECT"));
        awaitEnd(send("restore", "POST", backup + "/restores", Map.of("targetDatabase", "conformance_restored",
                "createDatabase", true)).path("id").asString());
        send("restore without target", "POST", backup + "/restores", Map.of());
        send("copies", "GET", backup + "/copies", null);
        send("copy to unknown repository", "POST", backup + "/copies", Map.of("repository", "nowhere"));
        send("repositories", "GET", "/api/v1/repositories", null);
        send("keys of an unencrypted repository", "GET", "/api/v1/repositories/local/keys", null);
        send("new key for an unknown repository", "POST", "/api/v1/repositories/nowhere/keys", null);
        send("re-encryption of an unencrypted repository", "POST", "/api/v1/repositories/local/reencryptions", null);
        send("key removal in an unknown repository", "DELETE", "/api/v1/repositories/nowhere/keys/1a2b3c4d", null);
        return UUID.fromString(id);
    }

    private void jobs(UUID backup) {
        JsonNode page = send("list", "GET", "/api/v1/jobs?cluster=" + CLUSTER + "&size=5", null);
        String job = page.path("content").path(0).path("id").asString();
        send("one, waiting", "GET", "/api/v1/jobs/" + job + "?waitSeconds=1", null);
        send("unknown", "GET", "/api/v1/jobs/" + UUID.randomUUID(), null);
        send("log", "GET", "/api/v1/jobs/" + job + "/log", null);
        send("cancel an ended job", "POST", "/api/v1/jobs/" + job + "/cancel", null);
        send("bad status filter", "GET", "/api/v1/jobs?status=SLEEPING", null);
    }

    private void schedules() {
        Map<String, Object> schedule = new LinkedHashMap<>(Map.of("cluster", CLUSTER, "cron", "0 0 3 * * *",
                "backup", Map.of("kind", "DUMP", "database", "postgres")));
        String id = send("create", "POST", "/api/v1/schedules", schedule).path("id").asString();
        send("without cron", "POST", "/api/v1/schedules", Map.of("cluster", CLUSTER, "backup", Map.of("kind", "DUMP")));
        send("list", "GET", "/api/v1/schedules?cluster=" + CLUSTER, null);
        send("one", "GET", "/api/v1/schedules/" + id, null);
        send("unknown", "GET", "/api/v1/schedules/" + UUID.randomUUID(), null);
        schedule.put("enabled", false);
        send("replace", "PUT", "/api/v1/schedules/" + id, schedule);
        send("patch", "PATCH", "/api/v1/schedules/" + id, Map.of("enabled", true));
        send("patch invalid", "PATCH", "/api/v1/schedules/" + id, Map.of("cron", "every day"));
        awaitEnd(send("run now", "POST", "/api/v1/schedules/" + id + "/runs", null).path("id").asString());
        send("delete", "DELETE", "/api/v1/schedules/" + id + "?backups=keep", null);
    }

    private void notifications() {
        // nothing listens on port 9 of the loopback; no event happens here that this webhook subscribes to
        Map<String, Object> hook = new LinkedHashMap<>(Map.of("url", "http://127.0.0.1:9/hook",
                "events", java.util.List.of("SIZE_ANOMALY")));
        String id = send("create", "POST", "/api/v1/notifications", hook).path("id").asString();
        send("no URL", "POST", "/api/v1/notifications", Map.of("events", java.util.List.of("JOB_FAILED")));
        send("list", "GET", "/api/v1/notifications", null);
        send("one", "GET", "/api/v1/notifications/" + id, null);
        hook.put("enabled", false);
        send("replace", "PUT", "/api/v1/notifications/" + id, hook);
        send("patch", "PATCH", "/api/v1/notifications/" + id, Map.of("enabled", true));
        send("deliveries", "GET", "/api/v1/notifications/" + id + "/deliveries", null);
        send("delete", "DELETE", "/api/v1/notifications/" + id, null);
        send("delete again", "DELETE", "/api/v1/notifications/" + id, null);
    }

    private void wal() {
        String wal = "/api/v1/clusters/" + CLUSTER + "/wal";
        send("summary", "GET", wal, null);
        send("missing segment", "GET", wal + "/000000010000000000000042", null);
        send("not a segment", "PUT", wal + "/000000010000000000000042", "not a WAL segment");
        awaitEnd(send("verify the archive", "POST", wal + "/verifications", null).path("id").asString());
        String proof = "/api/v1/clusters/" + CLUSTER + "/proof";
        send("proof by replay", "GET", proof, null);
        send("proof mode not one of the three", "PUT", proof, Map.of("mode", "SOMETIMES"));
        send("proof mode", "PUT", proof, Map.of("mode", "OFF"));
        send("proof run without a BASE backup", "POST", proof + "/runs", null);
    }

    private void finish(UUID backup) {
        send("delete backup", "DELETE", "/api/v1/backups/" + backup, null);
        JsonNode tokens = send("list tokens again", "GET", "/api/v1/tokens", null);
        for (JsonNode token : tokens) {
            if ("conformance-viewer".equals(token.path("name").asString())) {
                send("revoke", "DELETE", "/api/v1/tokens/" + token.path("id").asString(), null);
            }
        }
    }

    /** Waits for a job's end through the documented long poll, whose answers are checked too. */
    private void awaitEnd(String jobId) {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        JsonNode job = send("wait for the job", "GET", "/api/v1/jobs/" + jobId + "?waitSeconds=20", null);
        while (!Set.of("SUCCEEDED", "FAILED", "CANCELLED").contains(job.path("status").asString())) {
            assertThat(System.nanoTime()).as("job %s", job).isLessThan(deadline);
            job = send("wait for the job", "GET", "/api/v1/jobs/" + jobId + "?waitSeconds=20", null);
        }
        assertThat(job.path("status").asString()).as("job %s", job).isEqualTo("SUCCEEDED");
    }

    private JsonNode send(String what, String method, String path, Object body) {
        return sendAs(Api.ADMIN_TOKEN, what, method, path, body);
    }

    /**
     * Sends a request with {@code token} (null: none) and a JSON body (a String is sent as it is, for bodies that
     * are not valid JSON), checks the answer against the document and returns its JSON (missing when not JSON).
     */
    private JsonNode sendAs(String token, String what, String method, String path, Object body) {
        URI uri = URI.create(api.base() + path);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            String text = body instanceof String s ? s : Api.JSON.writeValueAsString(body);
            request.header("Content-Type", body instanceof String && !text.startsWith("{")
                    ? "application/octet-stream" : "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(text));
        }
        try {
            HttpResponse<byte[]> answer = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            conformance.check(what, method, uri, answer);
            return json(answer);
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode json(HttpResponse<byte[]> answer) {
        String type = answer.headers().firstValue("Content-Type").orElse("");
        if (!type.contains("json") || answer.body().length == 0) {
            return Api.JSON.missingNode();
        }
        return Api.JSON.readTree(new String(answer.body(), StandardCharsets.UTF_8));
    }
}
