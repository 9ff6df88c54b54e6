package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Every bad input gets application/problem+json with a clear detail and starts no job. */
class BadInputTests extends EndToEndTest {

    static final String CLUSTER = "bad-input";
    static final String DB = "bad input db";
    static PgCluster pg;
    long jobsBefore;

    @BeforeAll
    static void seed() {
        pg = PgCluster.shared();
        if (!pg.databaseExists(DB)) {
            pg.createDatabase(DB);
            pg.execute(DB, "CREATE TABLE t (id int)", "INSERT INTO t VALUES (1)");
        }
    }

    @BeforeEach
    void countJobs() {
        api.register(CLUSTER, pg);
        jobsBefore = api.jobCount();
    }

    @AfterEach
    void noJobStarted() {
        assertThat(api.jobCount()).as("a bad request started a job").isEqualTo(jobsBefore);
    }

    private static JsonNode problem(Api.Response r, int status, String detailContains) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.contentType()).startsWith("application/problem+json");
        JsonNode body = r.json();
        assertThat(body.path("status").asInt()).isEqualTo(status);
        assertThat(body.path("detail").asString()).containsIgnoringCase(detailContains);
        return body;
    }

    private Api.Response backup(Object body) {
        return body instanceof String s ? api.post("/api/v1/clusters/" + CLUSTER + "/backups", s)
                : api.post("/api/v1/clusters/" + CLUSTER + "/backups", (Map<String, ?>) body);
    }

    @Test
    void unknownClusterOrBackupOrJob() {
        problem(api.post("/api/v1/clusters/nobody/backups", Map.of("kind", "DUMP", "database", DB)), 404, "nobody");
        problem(api.get("/api/v1/clusters/nobody"), 404, "no cluster");
        String id = UUID.randomUUID().toString();
        problem(api.get("/api/v1/backups/" + id), 404, id);
        problem(api.post("/api/v1/backups/" + id + "/restores", Map.of("targetDatabase", "x")), 404, id);
        problem(api.post("/api/v1/backups/" + id + "/verifications", Map.of("level", "LIST")), 404, id);
        problem(api.post("/api/v1/jobs/" + id + "/cancel", ""), 404, id);
        problem(api.get("/api/v1/backups/not-a-uuid"), 400, "id");
    }

    @Test
    void invalidClusterRegistrations() {
        JsonNode body = problem(api.post("/api/v1/clusters", Map.of("name", "Bad Name!", "host", "h;rm -rf /",
                "port", 70000, "username", "postgres")), 400, "name");
        assertThat(body.path("errors").findValuesAsString("field")).contains("name", "host", "port");
        problem(api.post("/api/v1/clusters", Map.of("host", "127.0.0.1", "port", 5432, "username", "x")), 400, "name");
        problem(api.post("/api/v1/clusters", Map.of("name", CLUSTER, "host", pg.host(), "port", pg.port(),
                "username", pg.superuser())), 409, "already registered");
        problem(api.post("/api/v1/clusters", Map.of("name", "nowhere", "host", "127.0.0.1", "port", freePort(),
                "username", "postgres")), 400, "cannot connect");
        problem(api.post("/api/v1/clusters", Map.of("name", "badssl", "host", "127.0.0.1", "port", pg.port(),
                "username", "postgres", "sslMode", "sometimes")), 400, "sslMode");
        problem(api.post("/api/v1/clusters", Map.of("name", "badrpo", "host", "127.0.0.1", "port", pg.port(),
                "username", "postgres", "rpo", "daily")), 400, "rpo");
        problem(api.post("/api/v1/clusters", Map.of("name", "streamed", "host", "127.0.0.1", "port", pg.port(),
                "username", "postgres", "walArchive", "SOMETIMES")), 400, "walArchive");
        assertThat(api.get("/api/v1/clusters/nowhere").status()).isEqualTo(404);
    }

    @Test
    void malformedBodies() {
        problem(backup("{\"kind\": \"DUMP\", \"database\": "), 400, "JSON");
        problem(backup(""), 400, "body");
        problem(backup("{\"kind\": \"DUMP\", \"database\": \"x\", \"databse\": \"y\"}"), 400, "unknown field 'databse'");
        problem(backup("{\"kind\": \"DUMP\", \"database\": \"x\", \"jobs\": \"many\"}"), 400, "jobs");
        problem(backup("{\"kind\": \"SNAPSHOT\"}"), 400, "kind");
        problem(backup("[1, 2]"), 400, "");
    }

    @Test
    void valuesOfTheWrongFormNameTheFieldAndTheExpectedForm() {
        String recoveries = "/api/v1/clusters/" + CLUSTER + "/recoveries";
        JsonNode time = problem(api.post(recoveries, Map.of("target", Map.of("time", "2026-11-25T10:42:00"),
                "dataDirectory", "/var/lib/postgresql/recovered")), 400, "field 'target.time'");
        assertThat(time.path("detail").asString()).contains("with a UTC offset").contains("2026-11-25T10:42:00+01:00")
                .contains("2026-11-25T10:42:00Z").contains("not \"2026-11-25T10:42:00\"");
        problem(api.post(recoveries, Map.of("target", Map.of("latest", true), "action", "explode",
                "dataDirectory", "/var/lib/postgresql/recovered")), 400, "field 'action': expected one of promote, "
                + "pause, shutdown");
        problem(api.post(recoveries, Map.of("target", Map.of("xid", "many"), "dataDirectory", "/x")), 400,
                "field 'target.xid': expected a whole number");
        problem(backup("{\"kind\": \"SNAPSHOT\"}"), 400, "field 'kind': expected one of DUMP");
        // an enum is its name: {"kind": 0} is not DUMP
        problem(backup("{\"kind\": 0, \"database\": \"x\"}"), 400, "field 'kind'");
        problem(backup("{\"kind\": \"DUMP\", \"database\": \"x\", \"tables\": \"t\"}"), 400,
                "field 'tables': expected a JSON array");
        problem(api.post("/api/v1/tokens", Map.of("name", "late", "role", "VIEWER", "expiresAt", "tomorrow")), 400,
                "field 'expiresAt': expected an ISO-8601 date and time with a UTC offset");
        problem(api.get("/api/v1/backups?kind=NOPE"), 400, "parameter 'kind' must be one of DUMP");
        problem(api.get("/api/v1/jobs/" + UUID.randomUUID() + "?waitSeconds=soon"), 400,
                "parameter 'waitSeconds' must be a whole number, not \"soon\"");
        problem(api.get("/api/v1/jobs/not-a-job"), 400, "parameter 'id' must be a UUID");
    }

    @Test
    void unsupportedOptionCombinations() {
        problem(backup(Map.of("kind", "DUMP", "database", DB, "format", "CUSTOM", "jobs", 4)), 400, "DIRECTORY");
        problem(backup(Map.of("kind", "DUMP", "database", DB, "format", "TAR", "compression", 5)), 400, "TAR");
        problem(backup(Map.of("kind", "DUMP", "database", DB, "compression", 11)), 400, "compression");
        problem(backup(Map.of("kind", "DUMP", "database", DB, "schemaOnly", true, "dataOnly", true)), 400, "schemaOnly");
        problem(backup(Map.of("kind", "DUMP_ALL", "database", DB)), 400, "database");
        problem(backup(Map.of("kind", "DUMP", "database", DB, "globalsOnly", true)), 400, "globalsOnly");
        problem(backup(Map.of("kind", "DUMP", "database", DB, "tables", List.of("--file=/etc/passwd"))), 400, "'-'");
        problem(backup(Map.of("kind", "DUMP", "database", DB, "label", "a\nb")), 400, "control");
        problem(backup(Map.of("kind", "BASE", "database", "shop")), 400, "BASE");
        problem(backup(Map.of("kind", "BASE", "compressionWorkers", 0)), 400, "compressionWorkers must be from 1 to 64");
        problem(backup(Map.of("kind", "BASE", "compressionWorkers", 65)), 400, "compressionWorkers must be from 1 to 64");
        problem(backup(Map.of("kind", "BASE", "compressionMethod", "GZIP", "compressionWorkers", 2)), 400,
                "ZSTD only");
        problem(backup(Map.of("kind", "DUMP", "database", DB, "compressionWorkers", 2)), 400, "BASE backups only");
        problem(backup("{\"kind\": \"BASE\", \"compressionWorkers\": \"many\"}"), 400, "compressionWorkers");
        problem(backup(Map.of("database", DB)), 400, "kind");
    }

    @Test
    void aDatabaseThatDoesNotExist() {
        problem(backup(Map.of("kind", "DUMP", "database", "no such db")), 400, "does not exist");
    }

    @Test
    void restoresThatWouldHarmOrCannotWork() {
        api.awaitJob(api.startBackup(CLUSTER, Map.of("kind", "DUMP", "database", DB)).path("id").asString(),
                java.time.Duration.ofMinutes(1));
        jobsBefore = api.jobCount();
        JsonNode backup = api.get("/api/v1/backups?cluster=" + CLUSTER + "&status=SUCCEEDED&size=1").json()
                .path("content").get(0);
        String restores = "/api/v1/backups/" + backup.path("id").asString() + "/restores";
        problem(api.post(restores, Map.of("targetDatabase", DB)), 409, "overwrite");
        problem(api.post(restores, Map.of("targetDatabase", DB, "createDatabase", true, "overwrite", true)), 409,
                "already exists");
        problem(api.post(restores, Map.of("targetDatabase", "absent db")), 400, "createDatabase");
        problem(api.post(restores, Map.of()), 400, "targetDatabase");
        problem(api.post(restores, Map.of("targetDatabase", "x", "createDatabase", true, "targetCluster", "nobody")),
                404, "nobody");
        problem(api.post(restores, Map.of("targetDatabase", "x", "createDatabase", true, "tables",
                List.of("-x"))), 400, "tables");
        problem(api.post(restores, Map.of("targetDatabase", "x", "createDatabase", true, "jobs", 0)), 400, "jobs");
        problem(api.post(restores, Map.of("targetDatabase", "x", "bogus", true)), 400, "bogus");
        problem(api.post("/api/v1/backups/" + backup.path("id").asString() + "/verifications",
                Map.of("level", "CHECKSUM", "drillCluster", "bad-input")), 400, "drillCluster");
        problem(api.post("/api/v1/backups/" + backup.path("id").asString() + "/verifications",
                Map.of("level", "RESTORE", "drillCluster", "nobody")), 404, "nobody");
        problem(api.post("/api/v1/backups/" + backup.path("id").asString() + "/verifications", Map.of()), 400,
                "level");
    }

    @Test
    void badPagingAndFilters() {
        problem(api.get("/api/v1/backups?size=0"), 400, "size");
        problem(api.get("/api/v1/jobs?page=-1"), 400, "page");
        problem(api.get("/api/v1/backups?kind=NOPE"), 400, "kind");
        problem(api.get("/api/v1/jobs/" + UUID.randomUUID() + "?waitSeconds=601"), 400, "waitSeconds");
    }

    @Test
    void deletingAClusterWithBackupsIsRefused() {
        api.awaitJob(api.startBackup(CLUSTER, Map.of("kind", "DUMP", "database", DB)).path("id").asString(),
                java.time.Duration.ofMinutes(1));
        jobsBefore = api.jobCount();
        problem(api.delete("/api/v1/clusters/" + CLUSTER), 409, "backup");
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
