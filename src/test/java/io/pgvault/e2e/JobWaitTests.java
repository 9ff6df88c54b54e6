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
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Requests that wait for a job's end ({@code waitSeconds}) hold no server thread: while 300 of them wait
 * (more than Tomcat's 200 request threads), real WAL pushes and fetches with the cluster's archive token and
 * the liveness probe each answer within a second; the waiters all get their answer, whole, as soon as the job
 * ends; one more than {@code pgvault.jobs.max-waiters} is refused with 503. Jobs that end on another instance
 * (only the catalog says so) reach their waiters by the periodic re-check, and a deadline answers with the
 * job as it is. Prints the figures it measured.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class JobWaitTests {

    static final int WAITERS = 300;
    static final String CLUSTER = "waits";
    static final String DB = "waits db";
    static final Path STORAGE;
    static PgCluster pg;

    static {
        try {
            STORAGE = Files.createTempDirectory("pgvault-waits-storage");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @DynamicPropertySource
    static void pgvault(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> "jdbc:h2:mem:pgvault-waits;DB_CLOSE_DELAY=-1");
        registry.add("pgvault.storage.local.root", STORAGE::toString);
        registry.add("pgvault.security.key-file", () -> STORAGE.resolve("pgvault.key").toString());
        registry.add("pgvault.storage.local.min-free-bytes", () -> "0");
        registry.add("pgvault.security.admin-token", () -> Api.ADMIN_TOKEN);
        registry.add("pgvault.jobs.instance-name", () -> "waits");
        registry.add("pgvault.jobs.poll-interval", () -> "200ms");
        registry.add("pgvault.jobs.max-waiters", () -> Integer.toString(WAITERS));
        registry.add("pgvault.jobs.wait-recheck", () -> "500ms");
    }

    @LocalServerPort
    int port;
    @Autowired
    JdbcTemplate catalog;
    Api api;

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
    void client() {
        api = new Api(port);
        api.register(CLUSTER, pg);
    }

    @Test
    void threeHundredWaitersLeaveThreadsForWalAndProbes() throws Exception {
        String archiveToken = api.get("/api/v1/clusters/" + CLUSTER + "/archive-config").field("archiveToken");
        String viewer = viewerToken("waiting-scripts");
        List<Path> segments = realSegments(20);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        List<double[]> before = measure(http, archiveToken, segments.subList(0, 10));

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
                        .thenApply(r -> new Answer(r, Instant.now())));
            }
            api.awaitWaiters(WAITERS);

            List<double[]> during = measure(http, archiveToken, segments.subList(10, 20));
            for (double[] op : during) {
                assertThat(max(op)).as("ms while %d requests wait", WAITERS).isLessThan(1000);
            }
            long t = System.nanoTime();
            HttpResponse<String> oneTooMany = http.send(waitFor(jobId, viewer), HttpResponse.BodyHandlers.ofString());
            assertThat(oneTooMany.statusCode()).as(oneTooMany.body()).isEqualTo(503);
            assertThat((System.nanoTime() - t) / 1e6).as("refused at once").isLessThan(1000);
            assertThat(oneTooMany.headers().firstValue("Retry-After")).isPresent();
            assertThat(oneTooMany.headers().firstValue("Content-Type").orElse(""))
                    .startsWith("application/problem+json");
            assertThat(oneTooMany.body()).contains("pgvault.jobs.max-waiters");
            assertThat(waiters).noneMatch(CompletableFuture::isDone);

            lock.rollback();
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
            Instant finished = Instant.parse(job.field("finishedAt"));
            double first = Duration.between(finished, answers.stream().map(Answer::at).min(Instant::compareTo)
                    .orElseThrow()).toNanos() / 1e6;
            double last = Duration.between(finished, answers.stream().map(Answer::at).max(Instant::compareTo)
                    .orElseThrow()).toNanos() / 1e6;
            // The end is heard at once, far from the 300 s deadline. Then 300 answers are written by the container's
            // threads; how long that takes depends on how busy this (shared, 2-core) machine is: the bound is loose.
            assertThat(first).as("the first waiter answered %.0f ms after the job ended", first).isLessThan(2000);
            assertThat(last).as("the last of %d waiters answered %.0f ms after the job ended", WAITERS, last)
                    .isLessThan(30_000);
            api.awaitWaiters(0);
            // answered through the ASYNC re-dispatch as the VIEWER that asked: no refusal, and a read is no entry
            assertThat(api.get("/api/v1/audit?actor=waiting-scripts").json().path("totalElements").asLong())
                    .isZero();
            print(before, during, first, last);
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

        long t = System.nanoTime();
        Api.Response deadline = asViewer.get("/api/v1/jobs/" + id + "?waitSeconds=2");
        double waited = (System.nanoTime() - t) / 1e9;
        assertThat(deadline.status()).as(deadline.body()).isEqualTo(200);
        assertThat(deadline.field("status")).isEqualTo("RUNNING");
        assertThat(waited).as("answered at its 2 s deadline").isBetween(1.8, 5.0);

        CompletableFuture<Api.Response> waiter = CompletableFuture.supplyAsync(
                () -> asViewer.get("/api/v1/jobs/" + id + "?waitSeconds=120"));
        api.awaitWaiters(1);
        catalog.update("update job set status = 'SUCCEEDED', finished_at = ? where id = ?",
                Timestamp.from(Instant.now()), id);
        t = System.nanoTime();
        Api.Response ended = waiter.get(30, TimeUnit.SECONDS);
        double after = (System.nanoTime() - t) / 1e9;
        assertThat(ended.status()).isEqualTo(200);
        assertThat(ended.field("status")).isEqualTo("SUCCEEDED");
        assertThat(after).as("seen by the 500 ms re-check").isLessThan(3.0);

        // waiting is no way around the token: refused before anything waits
        t = System.nanoTime();
        assertThat(api.as(null).get("/api/v1/jobs/" + id + "?waitSeconds=60").status()).isEqualTo(401);
        assertThat(api.as("pgv_not-a-token").get("/api/v1/jobs/" + id + "?waitSeconds=60").status()).isEqualTo(401);
        assertThat((System.nanoTime() - t) / 1e9).isLessThan(5.0);
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

    private static void print(List<double[]> before, List<double[]> during, double first, double last) {
        System.out.printf("%n| %d requests wait for a job | median ms without | max ms without | median ms "
                + "with | max ms with |%n| --- | ---: | ---: | ---: | ---: |%n", WAITERS);
        String[] names = {"WAL push (a real 1 MiB segment, archive token)", "WAL fetch (restore_command)",
                "/actuator/health/liveness"};
        for (int i = 0; i < names.length; i++) {
            System.out.printf("| %s | %.1f | %.1f | %.1f | %.1f |%n", names[i], median(before.get(i)),
                    max(before.get(i)), median(during.get(i)), max(during.get(i)));
        }
        System.out.printf("| the first and the last of %d waiters answered, after the job's end | | | %.0f | %.0f "
                + "|%n", WAITERS, first, last);
    }

    /** One waiter's answer and when it arrived. */
    record Answer(HttpResponse<String> response, Instant at) {
    }

    /**
     * Times each of: a WAL push of a new segment, a fetch of it (both with the archive token, as archive_command
     * and restore_command send them) and the liveness probe; once per segment. Milliseconds per operation.
     */
    private List<double[]> measure(HttpClient http, String archiveToken, List<Path> segments) throws Exception {
        double[] pushes = new double[segments.size()];
        double[] fetches = new double[segments.size()];
        double[] probes = new double[segments.size()];
        for (int i = 0; i < segments.size(); i++) {
            Path segment = segments.get(i);
            String wal = api.base() + "/api/v1/clusters/" + CLUSTER + "/wal/" + segment.getFileName();
            long t = System.nanoTime();
            HttpResponse<String> push = http.send(HttpRequest.newBuilder(URI.create(wal))
                    .header("Authorization", "Bearer " + archiveToken).timeout(Duration.ofSeconds(30))
                    .PUT(HttpRequest.BodyPublishers.ofFile(segment)).build(), HttpResponse.BodyHandlers.ofString());
            pushes[i] = (System.nanoTime() - t) / 1e6;
            assertThat(push.statusCode()).as(push.body()).isEqualTo(201);

            t = System.nanoTime();
            HttpResponse<byte[]> fetch = http.send(HttpRequest.newBuilder(URI.create(wal))
                    .header("Authorization", "Bearer " + archiveToken).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            fetches[i] = (System.nanoTime() - t) / 1e6;
            assertThat(fetch.statusCode()).isEqualTo(200);
            assertThat(Arrays.equals(fetch.body(), Files.readAllBytes(segment))).as("fetched " + segment).isTrue();

            t = System.nanoTime();
            HttpResponse<String> live = http.send(HttpRequest.newBuilder(URI.create(api.base()
                    + "/actuator/health/liveness")).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            probes[i] = (System.nanoTime() - t) / 1e6;
            assertThat(live.statusCode()).isEqualTo(200);
        }
        return List.of(pushes, fetches, probes);
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

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static double max(double[] values) {
        return Arrays.stream(values).max().orElseThrow();
    }
}
