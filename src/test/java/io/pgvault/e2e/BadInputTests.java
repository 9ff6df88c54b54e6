package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Every bad input that a service decides on (an unknown cluster, backup or job, a server that does not answer,
 * options that do not fit together, a restore that would harm) gets application/problem+json with a clear detail
 * and starts no job. What never reaches a service (a malformed body, a value of the wrong form, paging, bean
 * validation) is checked in the web slices: BackupWebTests, ClusterWebTests, JobWebTests, AdministrationWebTests.
 */
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
    }

    @Test
    void invalidClusterRegistrations() {
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
    void deletingAClusterWithBackupsIsRefused() {
        api.awaitJob(api.startBackup(CLUSTER, Map.of("kind", "DUMP", "database", DB)).path("id").asString(),
                java.time.Duration.ofMinutes(1));
        jobsBefore = api.jobCount();
        problem(api.delete("/api/v1/clusters/" + CLUSTER), 409, "backup");
    }

    /** Reserved for this JVM and never listened on: no other fork's server can appear there. */
    private static int freePort() {
        return io.pgvault.testing.Ports.free();
    }
}
