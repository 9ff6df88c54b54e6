package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Hostile input, class by class: each request gets a 4xx application/problem+json answer and starts no job.
 * (Random bodies at every endpoint: {@link FuzzTests}; what a service decides: {@link BadInputTests}; cluster
 * names, hosts, users and ports that bean validation refuses, and paging numbers: the web slice's ClusterWebTests
 * and BackupWebTests.)
 */
class HostileInputTests extends EndToEndTest {

    static final String CLUSTER = "hostile";
    static final String DB = "hostile db";
    /** Where an injected command would write: this class's own directory, so its absence means something. */
    @TempDir
    static Path canaries;
    long jobsBefore;

    @BeforeAll
    static void seed() {
        PgCluster pg = PgCluster.shared();
        if (!pg.databaseExists(DB)) {
            pg.createDatabase(DB);
            pg.execute(DB, "CREATE TABLE t (id int)", "INSERT INTO t VALUES (1)");
        }
    }

    @BeforeEach
    void countJobs() {
        api.register(CLUSTER, PgCluster.shared());
        jobsBefore = api.jobCount();
    }

    @AfterEach
    void noJobStarted() {
        assertThat(api.jobCount()).as("a hostile request started a job").isEqualTo(jobsBefore);
    }

    private static void refused(Api.Response r, String what) {
        assertThat(r.status()).as("%s: %s", what, r.body()).isBetween(400, 499);
        assertThat(r.contentType()).as(what).startsWith("application/problem+json");
        assertThat(r.json().path("status").asInt()).as(what).isEqualTo(r.status());
    }

    private Api.Response backup(Map<String, ?> body) {
        return api.post("/api/v1/clusters/" + CLUSTER + "/backups", body);
    }

    private static Map<String, Object> dump(String key, Object value) {
        Map<String, Object> body = new HashMap<>(Map.of("kind", "DUMP", "database", DB));
        body.put(key, value);
        return body;
    }

    @Test
    void pathTraversalInWalNamesBackupIdsAndLabels() {
        for (String wal : List.of("..%2F..%2Fetc%2Fpasswd", "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "..", "..%5C..%5Cwin.ini",
                "000000010000000000000001%2F..%2F..%2Fx")) {
            refused(api.get("/api/v1/clusters/" + CLUSTER + "/wal/" + wal), "WAL " + wal);
        }
        for (String id : List.of("..%2F..%2Fetc%2Fpasswd", "%2E%2E", "..;",
                "00000000-0000-0000-0000-000000000000%2F..")) {
            refused(api.get("/api/v1/backups/" + id), "backup id " + id);
            refused(api.delete("/api/v1/backups/" + id), "delete " + id);
            refused(api.post("/api/v1/backups/" + id + "/restores", Map.of("targetDatabase", "x")), "restore " + id);
        }
        for (String label : List.of("../../etc/passwd", "..\\..\\boot.ini", "a/b")) {
            refused(backup(dump("label", label)), "label " + label);
            refused(backup(Map.of("kind", "BASE", "label", label)), "BASE label " + label);
        }
    }

    @Test
    void databaseNamesWithShellMetacharactersQuotesNewlinesAndNul() {
        Path owned = canaries.resolve("owned");
        for (String database : List.of("x\u0000y", "x\ny", "-x", "--file=" + owned, "\"; DROP DATABASE postgres; --",
                "$(touch " + owned + ")")) {
            refused(backup(dump("database", database)), "database " + database);
        }
        refused(backup(dump("label", "nightly\u0000")), "label with NUL");
        assertThat(owned).doesNotExist();
    }

    @Test
    void tableAndSchemaFiltersThatTryOptionInjection() {
        Path owned = canaries.resolve("owned-by-a-filter");
        for (String field : List.of("tables", "excludeTables", "schemas", "excludeSchemas")) {
            for (String pattern : List.of("--file=" + owned, "-f" + owned, "-", "--", "t\u0000", "t\n--file=x")) {
                refused(backup(dump(field, List.of("public.t", pattern))), field + " " + pattern);
            }
        }
        JsonNode done = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", DB));
        jobsBefore = api.jobCount();
        refused(api.post("/api/v1/backups/" + done.path("id").asString() + "/restores", Map.of("targetDatabase",
                "other", "createDatabase", true, "tables", List.of("--file=" + owned))), "restore tables");
        refused(api.post("/api/v1/backups/" + done.path("id").asString() + "/restores", Map.of("targetDatabase",
                "-C", "createDatabase", true)), "restore into a database named like an option");
        assertThat(owned).doesNotExist();
    }

    @Test
    void oversizedBodiesAndHeaders() throws IOException {
        String huge = "{\"kind\":\"DUMP\",\"database\":\"" + "x".repeat(3 * 1024 * 1024) + "\"}";
        refused(api.post("/api/v1/clusters/" + CLUSTER + "/backups", huge), "a 3 MiB body");
        refused(backup(dump("tables", java.util.Collections.nCopies(5000, "t"))), "5000 table patterns");
        refused(backup(dump("label", "l".repeat(10_000))), "a 10,000-character label");
        String raw = rawRequest("GET /api/v1/clusters HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                + Api.ADMIN_TOKEN + "\r\nX-Big: " + "h".repeat(64 * 1024) + "\r\nConnection: close\r\n\r\n");
        assertThat(raw).as("a 64 KiB header").startsWith("HTTP/1.1 400");
        assertThat(raw).containsIgnoringCase("content-type: application/problem+json");
        String nul = rawRequest("GET /api/v1/clusters/a%00b HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                + Api.ADMIN_TOKEN + "\r\nConnection: close\r\n\r\n");
        assertThat(nul).as("a NUL in the path").startsWith("HTTP/1.1 400");
        assertThat(nul).containsIgnoringCase("content-type: application/problem+json");
        assertThat(api.get("/api/v1/clusters").status()).as("still serving").isEqualTo(200);
    }

    @Test
    void negativeAndHugeNumbers() {
        for (Object jobs : List.of(-1, 0, 1_000_000, 9_999_999_999L)) {
            refused(backup(Map.of("kind", "DUMP", "database", DB, "format", "DIRECTORY", "jobs", jobs)),
                    "jobs " + jobs);
        }
        for (Object level : List.of(-1, 10, 1L << 40)) {
            refused(backup(dump("compression", level)), "compression " + level);
        }
        for (Object rate : List.of(-1, 0, 1L << 40)) {
            refused(backup(Map.of("kind", "BASE", "maxRate", rate)), "maxRate " + rate);
        }
        refused(api.post("/api/v1/clusters/" + CLUSTER + "/recoveries", Map.of("target", Map.of("xid", -5),
                "dataDirectory", canaries.resolve("x").toString())), "negative xid");
        refused(api.post("/api/v1/clusters/" + CLUSTER + "/recoveries", Map.of("target", Map.of("latest", true),
                "dataDirectory", canaries.resolve("x").toString(), "port", 70000)), "port 70000");
    }

    @Test
    void invalidCronAndTimeZones() {
        for (Map.Entry<String, String> bad : Map.of("cron", "* * * * *; rm -rf /", "timeZone", "Mars/Olympus",
                "cron ", "0 0 25 * * *").entrySet()) {
            Map<String, Object> body = new HashMap<>(Map.of("cluster", CLUSTER, "cron", "0 0 2 * * *",
                    "backup", Map.of("kind", "DUMP", "database", DB)));
            body.put(bad.getKey().strip(), bad.getValue());
            refused(api.post("/api/v1/schedules", body), bad.getKey() + " " + bad.getValue());
        }
        refused(api.post("/api/v1/schedules", Map.of("cluster", CLUSTER, "cron", "0 0 2 * * *", "timeZone",
                "../../../etc/localtime", "backup", Map.of("kind", "DUMP", "database", DB))), "zone as a path");
    }

    @Test
    void recoveryTargetsAndDirectoriesThatCannotBeRight() {
        String recoveries = "/api/v1/clusters/" + CLUSTER + "/recoveries";
        refused(api.post(recoveries, Map.of("target", Map.of("time", java.time.OffsetDateTime.now().plusYears(1)
                .toString()), "dataDirectory", canaries.resolve("x").toString())), "a target in the future");
        refused(api.post(recoveries, Map.of("target", Map.of("time", "1999-01-01T00:00:00Z"), "dataDirectory",
                canaries.resolve("x").toString())), "a target before any backup");
        refused(api.post(recoveries, Map.of("target", Map.of("latest", true), "dataDirectory", "/")), "/");
        refused(api.post(recoveries, Map.of("target", Map.of("latest", true),
                "dataDirectory", "/etc")), // fixed-path-ok: a refused request's value
                "a directory that is not empty");
        refused(api.post(recoveries, Map.of("target", Map.of("latest", true), "dataDirectory",
                STORAGE.resolve("restored").toString())), "inside pgvault's storage");
        refused(api.post(recoveries, Map.of("target", Map.of("latest", true), "dataDirectory",
                canaries.resolve("..").resolve("etc").toString())), "a path with ..");
        refused(api.post(recoveries, Map.of("target", Map.of("latest", true), "dataDirectory", "relative/dir")),
                "a relative path");
    }

    /** One request over a plain socket, so that nothing in an HTTP client rewrites or refuses it first. */
    private String rawRequest(String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
