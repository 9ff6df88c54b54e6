package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A plain HTTP client for pgvault's API, the way ops tooling would call it. */
final class Api {

    static final JsonMapper JSON = JsonMapper.builder().build();
    /** The admin token every test server is configured with ({@code pgvault.security.admin-token}). */
    static final String ADMIN_TOKEN = "test-admin-token-5f1c2a9e7b";
    private static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final String token;

    /** A client with the admin token. */
    Api(int port) {
        this(port, ADMIN_TOKEN);
    }

    /** A client with {@code token} as its bearer token, or none when it is null. */
    Api(int port, String token) {
        this.base = "http://127.0.0.1:" + port;
        this.token = token;
    }

    /** {@code http://127.0.0.1:<port>}. */
    String base() {
        return base;
    }

    /** The same server with another token (null: none). */
    Api as(String otherToken) {
        return new Api(Integer.parseInt(base.substring(base.lastIndexOf(':') + 1)), otherToken);
    }

    /** {@code Authorization: Bearer <admin token>}, for tests that build requests themselves. */
    static HttpRequest.Builder authorized(HttpRequest.Builder request) {
        return request.header("Authorization", "Bearer " + ADMIN_TOKEN);
    }

    /** An HTTP answer. */
    record Response(int status, String contentType, String location, String body) {

        JsonNode json() {
            return JSON.readTree(body);
        }

        String field(String name) {
            return json().path(name).asString();
        }
    }

    Response get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    Response post(String path, String json) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    Response post(String path, Map<String, ?> body) {
        return post(path, JSON.writeValueAsString(body));
    }

    Response put(String path, Map<String, ?> body) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
    }

    /** A request without a body; answers the status only. */
    int send(String method, String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).method(method,
                HttpRequest.BodyPublishers.noBody())).status();
    }

    /** A JSON Merge Patch (RFC 7396). */
    Response patch(String path, Map<String, ?> body) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/merge-patch+json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
    }

    Response delete(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).DELETE());
    }

    byte[] download(String path) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.send(withToken(HttpRequest.newBuilder(URI.create(base + path))).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    /** Registers a cluster of the harness as its superuser (no password: trust auth). */
    void register(String name, PgCluster cluster) {
        Response r = post("/api/v1/clusters", Map.of("name", name, "host", cluster.host(), "port", cluster.port(),
                "username", cluster.superuser()));
        assertThat(r.status()).as(r.body()).isIn(201, 409);
    }

    /**
     * Points the cluster's archive_command at pgvault, as the README says: the header file with its archive token
     * in the data directory, then the command from archive-config, reloaded.
     */
    void archiveThroughPgvault(String cluster, PgCluster pg) {
        JsonNode config = get("/api/v1/clusters/" + cluster + "/archive-config").json();
        pg.writeDataFile(config.path("headerFile").asString(), config.path("headerFileContent").asString());
        pg.execute("postgres", "ALTER SYSTEM SET archive_command = '"
                + config.path("archiveCommand").asString().replace("'", "''") + "'", "SELECT pg_reload_conf()");
    }

    /**
     * The settings of a server a test class starts for itself (not the shared {@link EndToEndTest} one): an
     * in-memory catalog named {@code name}, storage and key below {@code home}, the tests' admin token, quick job
     * polling, recoveries and drills below the harness's recovery root.
     */
    static void ownServer(org.springframework.test.context.DynamicPropertyRegistry registry, String name,
            java.nio.file.Path home) {
        registry.add("spring.datasource.url", () -> "jdbc:h2:mem:pgvault-" + name + ";DB_CLOSE_DELAY=-1");
        registry.add("pgvault.storage.local.min-free-bytes", () -> "0");
        registry.add("pgvault.security.key-file", () -> home.resolve("pgvault.key").toString());
        // its own, not ./data/pgpass of the working directory that the servers of both test forks would share
        registry.add("pgvault.tools.pass-file-directory", () -> home.resolve("pgpass").toString());
        registry.add("pgvault.security.admin-token", () -> ADMIN_TOKEN);
        registry.add("pgvault.jobs.instance-name", () -> name);
        registry.add("pgvault.jobs.poll-interval", () -> "200ms");
        registry.add("pgvault.recovery.roots", () -> PgCluster.recoveryRoot().toString());
        registry.add("pgvault.recovery.drill-directory", () -> PgCluster.recoveryRoot().resolve("drills").toString());
    }

    /** A new temporary directory for a test class's own server (its storage, keys, catalog files). */
    /** A temp directory of the test's own, removed when the test JVM exits. */
    static java.nio.file.Path tempDirectory(String prefix) {
        return io.pgvault.testing.TempDirs.create(prefix);
    }

    /** Starts a backup and returns the accepted job. */
    JsonNode startBackup(String cluster, Map<String, ?> request) {
        Response r = post("/api/v1/clusters/" + cluster + "/backups", request);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(r.location()).isEqualTo("/api/v1/jobs/" + r.field("id"));
        return r.json();
    }

    /** Polls a job until it ends; fails the test after {@code timeout}. */
    JsonNode awaitJob(String jobId, Duration timeout) {
        return awaitJob(jobId, timeout, TERMINAL);
    }

    JsonNode awaitJob(String jobId, Duration timeout, Set<String> states) {
        long deadline = System.nanoTime() + timeout.toNanos();
        // for an end, let the server answer when it comes (waitSeconds); other states are polled
        String query = states.equals(TERMINAL) ? "?waitSeconds=" + Math.min(50, Math.max(1, timeout.toSeconds())) : "";
        while (true) {
            JsonNode job = get("/api/v1/jobs/" + jobId + query).json();
            if (states.contains(job.path("status").asString())) {
                return job;
            }
            assertThat(System.nanoTime()).as("job %s still %s", jobId, job).isLessThan(deadline);
            sleep(100);
        }
    }

    /** Waits until exactly {@code expected} requests wait for jobs' ends (the pgvault.jobs.waiting gauge). */
    void awaitWaiters(int expected) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        double now;
        while ((now = get("/actuator/metrics/pgvault.jobs.waiting").json().path("measurements").get(0)
                .path("value").asDouble()) != expected) {
            assertThat(System.nanoTime()).as("%s requests wait for jobs, not %d", now, expected).isLessThan(deadline);
            sleep(100);
        }
    }

    /** Recovers the cluster from a backup into a new data directory, to {@code target}; returns the SUCCEEDED job. */
    JsonNode recoverInto(String cluster, Map<String, ?> target, String backupId, java.nio.file.Path dataDirectory) {
        Response r = post("/api/v1/clusters/" + cluster + "/recoveries", Map.of("target", target, "backupId",
                backupId, "dataDirectory", dataDirectory.toString()));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        return awaitSucceeded(r.field("id"));
    }

    /** Waits up to 3 minutes for a job's end and asserts it SUCCEEDED (showing its log if not); returns the job. */
    JsonNode awaitSucceeded(String jobId) {
        JsonNode done = awaitJob(jobId, Duration.ofMinutes(3));
        assertThat(done.path("status").asString()).as("job %s, log:%n%s", done,
                get("/api/v1/jobs/" + jobId + "/log").body()).isEqualTo("SUCCEEDED");
        return done;
    }

    /** Waits until a WAL file of the cluster can be fetched from the archive. */
    void awaitArchived(String cluster, String file) {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (get("/api/v1/clusters/" + cluster + "/wal/" + file).status() != 200) {
            assertThat(System.nanoTime()).as("%s archived by cluster %s", file, cluster).isLessThan(deadline);
            sleep(200);
        }
    }

    /** Waits until {@code segment} is the newest archived segment of the cluster's first timeline. */
    void awaitLastSegment(String cluster, String segment, PgCluster pg) {
        // a bound on a hang: the archiver may have dozens of segments to catch up, one curl each, and on a shared
        // 2-core machine with both test forks busy 60 s were not enough (FleetFailoverTests, at a load of 22)
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (!segment.equals(get("/api/v1/clusters/" + cluster + "/wal").json().path("timelines").path(0)
                .path("lastSegment").asString())) {
            assertThat(System.nanoTime()).as("segment %s never archived: %s", segment,
                    pg.query("postgres", "SELECT * FROM pg_stat_archiver")).isLessThan(deadline);
            sleep(200);
        }
    }

    /** Runs a backup to its end and asserts it succeeded; returns the backup entry. */
    JsonNode backup(String cluster, Map<String, ?> request) {
        JsonNode job = startBackup(cluster, request);
        JsonNode done = awaitJob(job.path("id").asString(), Duration.ofMinutes(3));
        assertThat(done.path("status").asString()).as("backup job %s, log:%n%s", done,
                get("/api/v1/jobs/" + done.path("id").asString() + "/log").body()).isEqualTo("SUCCEEDED");
        return get("/api/v1/backups/" + job.path("backupId").asString()).json();
    }

    /** Waits until the backup's automatic verification has recorded a result. */
    JsonNode awaitVerification(String backupId, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode backup = get("/api/v1/backups/" + backupId).json();
            if (!"UNVERIFIED".equals(backup.path("verification").path("status").asString())) {
                return backup;
            }
            assertThat(System.nanoTime()).as("backup %s still unverified", backupId).isLessThan(deadline);
            sleep(100);
        }
    }

    /** Runs a restore to its end and asserts it succeeded. */
    JsonNode restore(String backupId, Map<String, ?> request) {
        Response r = post("/api/v1/backups/" + backupId + "/restores", request);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode done = awaitJob(r.field("id"), Duration.ofMinutes(3));
        assertThat(done.path("status").asString()).as("restore job %s, log:%n%s", done,
                get("/api/v1/jobs/" + r.field("id") + "/log").body()).isEqualTo("SUCCEEDED");
        return done;
    }

    long jobCount() {
        return get("/api/v1/jobs?size=1").json().path("totalElements").asLong();
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private HttpRequest.Builder withToken(HttpRequest.Builder request) {
        return token == null ? request : request.header("Authorization", "Bearer " + token);
    }

    private Response send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> r = http.send(withToken(request).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""),
                    r.headers().firstValue("Location").orElse(null), r.body());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
