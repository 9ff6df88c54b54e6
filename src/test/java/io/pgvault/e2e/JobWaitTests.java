package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Requests that wait for a job's end ({@code waitSeconds}) hold no server thread: while 300 of them wait
 * (more than Tomcat's 200 request threads), real WAL pushes and fetches with the cluster's archive token and
 * the liveness probe are each answered within their request's deadline; the waiters all get their answer, whole,
 * when the job ends; one more than {@code pgvault.jobs.max-waiters} is refused with 503. Jobs that end on another
 * instance (only the catalog says so) reach their waiters by the periodic re-check, and a deadline answers with
 * the job as it is. No time is measured here (a shared machine's timings decide nothing): the waits are bounded.
 */
class JobWaitTests extends EndToEndTest {

    /** The shared context's {@code pgvault.jobs.max-waiters} (see EndToEndTest). */
    static final int WAITERS = EndToEndTest.MAX_WAITERS;
    static final String CLUSTER = "waits";
    static final String DB = "waits db";
    static PgCluster pg;

    @Autowired
    JdbcTemplate catalog;

    @BeforeAll
    static void cluster() {
        // Finished segments stay in pg_wal, so that the test can push real ones as archive_command would. They
        // are 1 MiB: the figures are about threads, not about how fast this machine's disk takes 16 MiB.
        pg = PgCluster.start("waits", Map.of("wal_keep_size", "256MB"), List.of("--wal-segsize=1"));
        pg.createDatabase(DB);
        pg.execute(DB, "CREATE TABLE held AS SELECT g AS id FROM generate_series(1, 1000) g");
    }

    @AfterAll
    static void stop() {
        pg.close();
    }

    @BeforeEach
    void registered() {
        api.register(CLUSTER, pg);
    }

    @Test
    void threeHundredWaitersLeaveThreadsForWalAndProbes() throws Exception {
        String archiveToken = api.get("/api/v1/clusters/" + CLUSTER + "/archive-config").field("archiveToken");
        String viewer = viewerToken("waiting-scripts");
        List<Path> segments = realSegments(20);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        serve(http, archiveToken, segments.subList(0, 10), Duration.ofSeconds(30));

        try (Connection lock = pg.connect(DB); Statement st = lock.createStatement()) {
            lock.setAutoCommit(false);
            st.execute("LOCK TABLE held IN ACCESS EXCLUSIVE MODE");
            String jobId = api.startBackup(CLUSTER, Map.of("kind", "DUMP", "database", DB)).path("id").asString();
            api.awaitJob(jobId, Duration.ofSeconds(30), Set.of("RUNNING"));
            pg.awaitLockWaiter(DB);

            HttpClient waiting = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(8))
                    .connectTimeout(Duration.ofSeconds(10)).build();
            List<CompletableFuture<Answer>> waiters = new ArrayList<>();
            for (int i = 0; i < WAITERS; i++) {
                waiters.add(waiting.sendAsync(waitFor(jobId, viewer), HttpResponse.BodyHandlers.ofString())
                        .thenApply(Answer::new));
            }
            api.awaitWaiters(WAITERS);

            // the waiters hold no thread the WAL and the probes need: each is served within its request's deadline
            // (bench/ and the README give the times; a shared machine's timings decide nothing here)
            serve(http, archiveToken, segments.subList(10, 20), Duration.ofSeconds(10));
            // refused at once, not after a wait: the request's deadline is far below the 300 s it asks to wait
            HttpResponse<String> oneTooMany = http.send(HttpRequest.newBuilder(waitFor(jobId, viewer), (n, v) -> true)
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(oneTooMany.statusCode()).as(oneTooMany.body()).isEqualTo(503);
            assertThat(oneTooMany.headers().firstValue("Retry-After")).isPresent();
            assertThat(oneTooMany.headers().firstValue("Content-Type").orElse(""))
                    .startsWith("application/problem+json");
            assertThat(oneTooMany.body()).contains("pgvault.jobs.max-waiters");
            assertThat(waiters).noneMatch(CompletableFuture::isDone);

            lock.rollback();
            // the end is heard at once, far from the waiters' 300 s deadline; then all 300 are written
            CompletableFuture.anyOf(waiters.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            CompletableFuture.allOf(waiters.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
            Api.Response job = api.get("/api/v1/jobs/" + jobId);
            assertThat(job.field("status")).isEqualTo("SUCCEEDED");
            List<Answer> answers = waiters.stream().map(CompletableFuture::join).toList();
            for (Answer a : answers) {
                assertThat(a.response.statusCode()).as(a.response.body()).isEqualTo(200);
                assertThat(a.response.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
                // whole bodies: every waiter gets byte for byte the job as it is read afterwards
                assertThat(a.response.body()).isEqualTo(job.body());
            }
            api.awaitWaiters(0);
            // answered through the ASYNC re-dispatch as the VIEWER that asked: no refusal, and a read is no entry
            assertThat(api.get("/api/v1/audit?actor=waiting-scripts").json().path("totalElements").asLong())
                    .isZero();
        }
    }

    @Test
    void anEndOnlyTheCatalogKnowsAndADeadlineAnswerWaiters() throws Exception {
        UUID id = UUID.randomUUID();
        Timestamp now = Timestamp.from(Instant.now());
        // a job that another instance runs: this one hears no event when it ends, only the catalog changes
        catalog.update("insert into job (id, type, status, cluster, bytes_done, created_at, started_at, heartbeat_at, "
                + "owner, cancel_requested) values (?, 'BACKUP', 'RUNNING', ?, 0, ?, ?, ?, 'elsewhere', false)",
                id, CLUSTER, now, now, now);
        String viewer = viewerToken("deadline-script");
        Api asViewer = api.as(viewer);

        // it waits (a waiter is registered), and its own deadline answers it with the job as it is then
        CompletableFuture<Api.Response> timedOut = CompletableFuture.supplyAsync(
                () -> asViewer.get("/api/v1/jobs/" + id + "?waitSeconds=5"));
        api.awaitWaiters(1);
        Api.Response deadline = timedOut.get(60, TimeUnit.SECONDS);
        assertThat(deadline.status()).as(deadline.body()).isEqualTo(200);
        assertThat(deadline.field("status")).isEqualTo("RUNNING");
        api.awaitWaiters(0);

        CompletableFuture<Api.Response> waiter = CompletableFuture.supplyAsync(
                () -> asViewer.get("/api/v1/jobs/" + id + "?waitSeconds=120"));
        api.awaitWaiters(1);
        catalog.update("update job set status = 'SUCCEEDED', finished_at = ? where id = ?",
                Timestamp.from(Instant.now()), id);
        // seen by the 500 ms re-check of the catalog, long before the waiter's own 120 s deadline
        Api.Response ended = waiter.get(30, TimeUnit.SECONDS);
        assertThat(ended.status()).isEqualTo(200);
        assertThat(ended.field("status")).isEqualTo("SUCCEEDED");

        // waiting is no way around the token: refused before anything waits (answered well within the 60 s)
        assertThat(CompletableFuture.supplyAsync(() -> api.as(null).get("/api/v1/jobs/" + id + "?waitSeconds=60"))
                .get(30, TimeUnit.SECONDS).status()).isEqualTo(401);
        assertThat(CompletableFuture.supplyAsync(() -> api.as("pgv_not-a-token").get("/api/v1/jobs/" + id
                + "?waitSeconds=60")).get(30, TimeUnit.SECONDS).status()).isEqualTo(401);
        assertThat(api.get("/api/v1/jobs/" + UUID.randomUUID() + "?waitSeconds=60").status()).isEqualTo(404);
        api.awaitWaiters(0);
    }

    private String viewerToken(String name) {
        Api.Response created = api.post("/api/v1/tokens", Map.of("name", name, "role", "VIEWER"));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return created.field("token");
    }

    private HttpRequest waitFor(String jobId, String token) {
        return HttpRequest.newBuilder(URI.create(api.base() + "/api/v1/jobs/" + jobId + "?waitSeconds=300"))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofMinutes(3)).build();
    }

    /** One waiter's answer. */
    record Answer(HttpResponse<String> response) {
    }

    /**
     * Sends each of: a WAL push of a new segment, a fetch of it (both with the archive token, as archive_command
     * and restore_command send them) and the liveness probe; once per segment, each within {@code deadline}.
     */
    private void serve(HttpClient http, String archiveToken, List<Path> segments, Duration deadline) throws Exception {
        for (Path segment : segments) {
            String wal = api.base() + "/api/v1/clusters/" + CLUSTER + "/wal/" + segment.getFileName();
            HttpResponse<String> push = http.send(HttpRequest.newBuilder(URI.create(wal))
                    .header("Authorization", "Bearer " + archiveToken).timeout(deadline)
                    .PUT(HttpRequest.BodyPublishers.ofFile(segment)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(push.statusCode()).as(push.body()).isEqualTo(201);
            HttpResponse<byte[]> fetch = http.send(HttpRequest.newBuilder(URI.create(wal))
                    .header("Authorization", "Bearer " + archiveToken).timeout(deadline).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(fetch.statusCode()).isEqualTo(200);
            assertThat(Arrays.equals(fetch.body(), Files.readAllBytes(segment))).as("fetched " + segment).isTrue();
            HttpResponse<String> live = http.send(HttpRequest.newBuilder(URI.create(api.base()
                    + "/actuator/health/liveness")).timeout(deadline).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(live.statusCode()).isEqualTo(200);
        }
    }

    /** Completed WAL segments of the test cluster, copied out of its pg_wal (into the cluster's own directory). */
    private static List<Path> realSegments(int count) throws IOException {
        Path dir = Files.createDirectories(pg.baseDirectory().resolve("copied-wal"));
        List<Path> copies = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            pg.execute(DB, "INSERT INTO held SELECT g FROM generate_series(1, 100) g");
            String name = (String) pg.queryValue("postgres", "SELECT pg_walfile_name(pg_current_wal_lsn())");
            pg.execute("postgres", "SELECT pg_switch_wal()");
            copies.add(Files.copy(pg.dataDirectory().resolve("pg_wal").resolve(name), dir.resolve(name)));
        }
        return copies;
    }
}
