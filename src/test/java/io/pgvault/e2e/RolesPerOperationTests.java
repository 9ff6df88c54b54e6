package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Every operation of the served API document, called with no token and with each role, answers as the table in
 * docs/roles.md says: 401 without a token, 403 below the operation's least role, and neither at or above it.
 * The calls name clusters, backups and jobs that do not exist, with empty bodies, so nothing starts: only the
 * access decision is asserted (the answer is then 404, 400 or 200).
 */
class RolesPerOperationTests extends EndToEndTest {

    private static final List<String> ROLES = List.of("VIEWER", "OPERATOR", "ADMIN");
    private static final Pattern ROW = Pattern.compile("^\\| `(GET|PUT|POST|PATCH|DELETE) (/\\S+)` \\| (VIEWER|OPERATOR|ADMIN) \\|");

    private final HttpClient http = HttpClient.newHttpClient();

    /** "METHOD /path" to the least role, from the documentation. */
    private static Map<String, String> documented() throws IOException {
        Map<String, String> roles = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of("docs", "roles.md"))) {
            Matcher m = ROW.matcher(line);
            if (m.find()) {
                roles.put(m.group(1) + " " + m.group(2), m.group(3));
            }
        }
        return roles;
    }

    private String token(String role) {
        Api.Response created = api.post("/api/v1/tokens", Map.of("name", "walk-" + role + "-" + System.nanoTime(),
                "role", role));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return created.field("token");
    }

    @Test
    void everyOperationAnswersEachRoleAsDocumented() throws Exception {
        Map<String, String> documented = documented();
        Map<String, String> tokens = new LinkedHashMap<>();
        ROLES.forEach(role -> tokens.put(role, token(role)));
        java.time.Instant jobs = newestJob();
        List<String> clusters = existingNames();
        int tokenCount = api.get("/api/v1/tokens").json().size();

        JsonNode paths = api.as(null).get("/v3/api-docs").json().path("paths");
        List<String> operations = new ArrayList<>();
        SoftAssertions softly = new SoftAssertions();
        for (String path : paths.propertyNames()) {
            for (String method : paths.path(path).propertyNames()) {
                if (!List.of("get", "put", "post", "patch", "delete").contains(method)) {
                    continue;
                }
                String operation = method.toUpperCase() + " " + path;
                operations.add(operation);
                String least = documented.get(operation);
                softly.assertThat(least).as("docs/roles.md names the least role of %s", operation).isNotNull();
                if (least == null) {
                    continue;
                }
                JsonNode body = paths.path(path).path(method).path("requestBody").path("content");
                String contentType = body.isMissingNode() ? null : body.propertyNames().iterator().next();
                String concrete = path.replace("{name}", "no-such-cluster").replace("{id}", UUID.randomUUID()
                        .toString()).replace("{file}", "000000010000000000000001");
                int anonymous = call(method, concrete, contentType, null);
                softly.assertThat(anonymous).as("%s without a token", operation).isEqualTo(401);
                for (String role : ROLES) {
                    int status = call(method, concrete, contentType, tokens.get(role));
                    if (ROLES.indexOf(role) < ROLES.indexOf(least)) {
                        softly.assertThat(status).as("%s as %s", operation, role).isEqualTo(403);
                    } else {
                        softly.assertThat(status).as("%s as %s", operation, role).isNotIn(401, 403);
                    }
                }
            }
        }
        softly.assertThat(documented.keySet()).as("docs/roles.md lists only operations of the API")
                .containsExactlyInAnyOrderElementsOf(operations);
        softly.assertAll();
        assertNothingStartedBy(jobs, clusters);
        assertThat(api.get("/api/v1/tokens").json().size()).as("no token made").isEqualTo(tokenCount);
    }

    /** The clusters and repositories there are: the names a job started by something else can carry. */
    private List<String> existingNames() {
        List<String> names = new ArrayList<>();
        api.get("/api/v1/clusters").json().forEach(c -> names.add(c.path("name").asString()));
        api.get("/api/v1/repositories").json().forEach(r -> names.add(r.path("name").asString()));
        return names;
    }

    /**
     * No job began during the walk except the tail of earlier test classes on this shared server (a verification
     * or drill that a backup's success starts, a schedule's run): every job created since the newest one before the
     * walk belongs to a cluster (or, re-encrypting, a repository) there was before it, which the walk never names
     * (it names no-such-cluster and random ids).
     */
    private void assertNothingStartedBy(java.time.Instant newestBefore, List<String> namesBefore) {
        JsonNode newest = api.get("/api/v1/jobs?size=500").json().path("content");
        for (JsonNode job : newest) {
            if (!java.time.Instant.parse(job.path("createdAt").asString()).isAfter(newestBefore)) {
                break;
            }
            assertThat(job.path("cluster").asString(""))
                    .as("nothing started by the walk: %s", job)
                    .isNotEqualTo("no-such-cluster").isIn(namesBefore);
        }
    }

    /** When the newest job there is was created (the epoch when there is none). */
    private java.time.Instant newestJob() {
        JsonNode newest = api.get("/api/v1/jobs?size=1").json().path("content");
        return newest.isEmpty() ? java.time.Instant.EPOCH : java.time.Instant.parse(newest.get(0).path("createdAt")
                .asString());
    }

    @Test
    void optionsThatNeedAdminAreRefusedToAnOperatorBeforeAnythingElse() throws Exception {
        String operator = token("OPERATOR");
        String admin = Api.ADMIN_TOKEN;
        java.time.Instant jobs = newestJob();
        List<String> clusters = existingNames();
        for (String options : List.of("{\"replace\": true}", "{\"allowSystemDatabase\": true}")) {
            for (String path : List.of("/api/v1/clusters/no-such-cluster/extractions",
                    "/api/v1/clusters/no-such-cluster/extractions/preview")) {
                assertThat(call("post", path, "application/json", operator, options)).as(path + options)
                        .isEqualTo(403);
                assertThat(call("post", path, "application/json", admin, options)).as(path + options)
                        .isNotIn(401, 403);
            }
        }
        String inPlace = "{\"target\": {\"latest\": true}, \"dataDirectory\": \"/tmp/x\", \"replaceExisting\": true}";
        assertThat(call("post", "/api/v1/clusters/no-such-cluster/recoveries", "application/json", operator, inPlace))
                .isEqualTo(403);
        assertThat(call("post", "/api/v1/clusters/no-such-cluster/recoveries", "application/json", admin, inPlace))
                .isEqualTo(404);
        // a body that cannot be read is refused for the role all the same: the role is checked first
        String viewer = token("VIEWER");
        assertThat(call("post", "/api/v1/clusters/no-such-cluster/backups", "application/json", viewer, "{not json"))
                .isEqualTo(403);
        assertThat(call("post", "/api/v1/clusters/no-such-cluster/backups", "application/json", operator,
                "{not json")).isEqualTo(400);
        assertNothingStartedBy(jobs, clusters);
    }

    private int call(String method, String path, String contentType, String token) throws Exception {
        return call(method, path, contentType, token, contentType == null ? null
                : contentType.contains("json") ? "{}" : "");
    }

    private int call(String method, String path, String contentType, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).header("Accept", "*/*")
                .method(method.toUpperCase(), body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 401 || response.statusCode() == 403) {
            assertThat(response.headers().firstValue("Content-Type").orElse(""))
                    .startsWith("application/problem+json");
        }
        return response.statusCode();
    }
}
