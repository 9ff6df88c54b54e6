package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * PATCH (JSON Merge Patch) changes only the fields it names; PUT needs the whole representation and names
 * what is missing instead of resetting it, for clusters, schedules and webhooks.
 */
class PartialUpdateTests extends EndToEndTest {

    @Test
    void clusterPatchChangesOnlyWhatItNamesAndPutNeedsEveryField() throws Exception {
        PgCluster pg = PgCluster.shared();
        Map<String, Object> full = new LinkedHashMap<>(Map.of("name", "patched", "host", pg.host(), "port", pg.port(),
                "username", pg.superuser(), "walArchive", "PUSH", "rpo", "PT24H", "timeZone", "Europe/Berlin",
                "retention", Map.of("keepLast", 5, "daily", 7),
                "sanityQueries", List.of(Map.of("name", "rows", "sql", "select 1", "expect", "1"))));
        Api.Response created = api.post("/api/v1/clusters", full);
        assertThat(created.status()).as(created.body()).isEqualTo(201);

        // the README's own example: PATCH the RPO, nothing else moves
        Api.Response patched = api.patch("/api/v1/clusters/patched", Map.of("rpo", "PT6H"));
        assertThat(patched.status()).as(patched.body()).isEqualTo(200);
        JsonNode c = patched.json();
        assertThat(c.path("rpo").asString()).isEqualTo("PT6H");
        assertThat(c.path("walArchive").asString()).isEqualTo("PUSH");
        assertThat(c.path("timeZone").asString()).isEqualTo("Europe/Berlin");
        assertThat(c.path("retention").path("keepLast").asInt()).isEqualTo(5);
        assertThat(c.path("sanityQueries").size()).isEqualTo(1);

        // objects merge field by field, null removes a field
        c = api.patch("/api/v1/clusters/patched", new HashMap<>(Map.of("retention", new HashMap<>(Map.of("daily", 3)))))
                .json();
        assertThat(c.path("retention").path("keepLast").asInt()).isEqualTo(5);
        assertThat(c.path("retention").path("daily").asInt()).isEqualTo(3);
        Map<String, Object> clear = new HashMap<>();
        clear.put("rpo", null);
        c = api.patch("/api/v1/clusters/patched", clear).json();
        assertThat(c.has("rpo")).as(c.toString()).isFalse();
        assertThat(c.path("walArchive").asString()).isEqualTo("PUSH");

        // a patched result is checked like a registration; nothing changes when it is refused
        assertProblem(api.patch("/api/v1/clusters/patched", Map.of("port", 0)), "port");
        assertProblem(api.patch("/api/v1/clusters/patched", Map.of("rpo", "a day")), "rpo");
        assertProblem(api.patch("/api/v1/clusters/patched", Map.of("walArchiv", "NONE")), "walArchiv");
        assertProblem(api.patch("/api/v1/clusters/patched", Map.of("name", "other")), "renamed");
        assertThat(api.get("/api/v1/clusters/patched").json().path("port").asInt()).isEqualTo(pg.port());

        // a password set by PATCH, and removed by PATCH with null
        assertThat(api.patch("/api/v1/clusters/patched", Map.of("password", "s3cret-Pw")).json()
                .path("passwordSet").asBoolean()).isTrue();
        Map<String, Object> noPassword = new HashMap<>();
        noPassword.put("password", null);
        assertThat(api.patch("/api/v1/clusters/patched", noPassword).json().path("passwordSet").asBoolean()).isFalse();

        // PUT with fields left out: 400 naming each, and the cluster keeps its settings
        Api.Response partial = api.put("/api/v1/clusters/patched", Map.of("host", pg.host(), "port", pg.port(),
                "username", pg.superuser()));
        assertThat(partial.status()).as(partial.body()).isEqualTo(400);
        assertThat(partial.field("detail")).contains("walArchive", "rpo", "retention", "sanityQueries", "timeZone",
                "repository", "walCopyTo", "PATCH");
        assertThat(partial.json().path("errors").findValuesAsString("field")).contains("walArchive", "retention");
        assertThat(api.get("/api/v1/clusters/patched").json().path("walArchive").asString()).isEqualTo("PUSH");

        // PUT with the whole representation, null where a setting is to be cleared
        Map<String, Object> whole = new HashMap<>(full);
        whole.put("walArchive", "NONE");
        whole.put("retention", null);
        whole.put("maintenanceDatabase", "postgres");
        whole.put("sslMode", "prefer");
        whole.put("repository", null);
        whole.put("walCopyTo", null);
        whole.put("dataHost", null);
        Api.Response replaced = api.put("/api/v1/clusters/patched", whole);
        assertThat(replaced.status()).as(replaced.body()).isEqualTo(200);
        assertThat(replaced.json().path("walArchive").asString()).isEqualTo("NONE");
        assertThat(replaced.json().has("retention")).isFalse();
        assertThat(replaced.json().path("rpo").asString()).isEqualTo("PT24H");

        // plain application/json is accepted for PATCH too; a body that is not an object is refused
        HttpResponse<String> json = HttpClient.newHttpClient().send(Api.authorized(HttpRequest.newBuilder(
                URI.create(api.base() + "/api/v1/clusters/patched"))).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"rpo\": \"PT1H\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(json.statusCode()).as(json.body()).isEqualTo(200);
        HttpResponse<String> array = HttpClient.newHttpClient().send(Api.authorized(HttpRequest.newBuilder(
                URI.create(api.base() + "/api/v1/clusters/patched"))).header("Content-Type", "application/merge-patch+json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("[1]")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(array.statusCode()).isEqualTo(400);
        assertThat(array.headers().firstValue("Content-Type").orElse("")).contains("application/problem+json");
        assertThat(api.get("/api/v1/clusters/patched").json().path("rpo").asString()).isEqualTo("PT1H");
        assertThat(api.patch("/api/v1/clusters/nobody", Map.of("rpo", "PT1H")).status()).isEqualTo(404);
        assertThat(api.delete("/api/v1/clusters/patched").status()).isEqualTo(204);
    }

    @Test
    void schedulesAndWebhooksPatchAndPutTheSameWay() {
        PgCluster pg = PgCluster.shared();
        api.register("patched-schedules", pg);
        Api.Response created = api.post("/api/v1/schedules", Map.of("cluster", "patched-schedules",
                "cron", "0 30 2 * * *", "timeZone", "Europe/Berlin", "backup", Map.of("kind", "DUMP_ALL"),
                "retention", Map.of("keepLast", 7), "copyTo", List.of()));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String id = created.field("id");

        JsonNode paused = api.patch("/api/v1/schedules/" + id, Map.of("enabled", false)).json();
        assertThat(paused.path("enabled").asBoolean()).isFalse();
        assertThat(paused.path("cron").asString()).isEqualTo("0 30 2 * * *");
        assertThat(paused.path("timeZone").asString()).isEqualTo("Europe/Berlin");
        assertThat(paused.path("retention").path("keepLast").asInt()).isEqualTo(7);
        assertThat(paused.path("backup").path("kind").asString()).isEqualTo("DUMP_ALL");
        assertProblem(api.patch("/api/v1/schedules/" + id, Map.of("cron", "every day")), "cron");
        assertProblem(api.patch("/api/v1/schedules/" + id, Map.of("cluster", "elsewhere")), "cluster");

        Api.Response partial = api.put("/api/v1/schedules/" + id, Map.of("cron", "0 0 3 * * *",
                "backup", Map.of("kind", "DUMP_ALL")));
        assertThat(partial.status()).isEqualTo(400);
        assertThat(partial.field("detail")).contains("timeZone", "enabled", "retention", "verification", "copyTo")
                .doesNotContain("cron,");
        assertThat(api.get("/api/v1/schedules/" + id).json().path("cron").asString()).isEqualTo("0 30 2 * * *");
        Map<String, Object> whole = new HashMap<>(Map.of("cluster", "patched-schedules", "cron", "0 0 3 * * *",
                "enabled", true, "backup", Map.of("kind", "DUMP_ALL"), "copyTo", List.of()));
        whole.put("timeZone", null);
        whole.put("retention", null);
        whole.put("verification", null);
        JsonNode replaced = api.put("/api/v1/schedules/" + id, whole).json();
        assertThat(replaced.path("cron").asString()).isEqualTo("0 0 3 * * *");
        assertThat(replaced.path("timeZone").asString()).isEqualTo("UTC");
        assertThat(replaced.has("retention")).isFalse();
        assertThat(api.delete("/api/v1/schedules/" + id).status()).isEqualTo(200);

        Api.Response hook = api.post("/api/v1/notifications", Map.of("url", "https://alerts.example.com/pgvault",
                "events", List.of("JOB_FAILED"), "secret", "a-secret-of-16-chars-or-more"));
        assertThat(hook.status()).as(hook.body()).isEqualTo(201);
        String hookId = hook.field("id");
        JsonNode changed = api.patch("/api/v1/notifications/" + hookId, Map.of("enabled", false)).json();
        assertThat(changed.path("enabled").asBoolean()).isFalse();
        assertThat(changed.path("url").asString()).isEqualTo("https://alerts.example.com/pgvault");
        assertThat(changed.path("events").toString()).contains("JOB_FAILED");
        Api.Response hookPartial = api.put("/api/v1/notifications/" + hookId, Map.of("url",
                "https://alerts.example.com/other"));
        assertThat(hookPartial.status()).isEqualTo(400);
        assertThat(hookPartial.field("detail")).contains("events", "enabled").doesNotContain("secret");
        assertThat(api.put("/api/v1/notifications/" + hookId, Map.of("url", "https://alerts.example.com/other",
                "events", List.of("RPO_BREACHED"), "enabled", true)).json().path("events").toString())
                .contains("RPO_BREACHED").doesNotContain("JOB_FAILED");
        assertThat(api.as(null).patch("/api/v1/notifications/" + hookId, Map.of("enabled", true)).status())
                .isEqualTo(401);
        assertThat(api.delete("/api/v1/notifications/" + hookId).status()).isEqualTo(204);
    }

    private static void assertProblem(Api.Response r, String mentioned) {
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.contentType()).contains("application/problem+json");
        assertThat(r.field("detail")).contains(mentioned);
    }
}
