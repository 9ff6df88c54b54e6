package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.pgvault.storage.Repositories;
import io.pgvault.storage.RepositorySweeps;
import io.pgvault.storage.Sha256;
import io.pgvault.wal.WalArchiveAccess;
import io.pgvault.wal.WalArchiveService;
import io.pgvault.testing.PgCluster;
import io.pgvault.testing.S3Server;
import io.pgvault.testing.StoredBackups;
import io.pgvault.testing.WalSegments;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The WAL archive and its repositories under faults, on the workspace's own local repository and on an encrypted
 * S3 one (S3Proxy). First push wins: under each of 50 names, two valid segments one byte apart (and the first
 * once more) are pushed at the same time; exactly one push per name stores it (201), an identical one gets 200,
 * the different one 409; the catalog, a fetch and the repository all hold that one body, and a verification of
 * the archive passes. Sweeps: a push cut off between storing and recording, objects of a backup the catalog does
 * not have, and an incomplete multipart upload are removed once older than the grace; what is recorded stays.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WalFaultsTests {

    static final Path HOME = Api.tempDirectory("pgvault-first-push");
    static final S3Server S3 = S3Server.start("pgvault-first-push");
    static final int NAMES = 50;

    @DynamicPropertySource
    static void pgvault(DynamicPropertyRegistry registry) {
        Api.ownServer(registry, "firstpush", HOME);
        registry.add("pgvault.storage.local.root", () -> HOME.resolve("workspace").toString());
        registry.add("pgvault.repository", () -> "local");
        registry.add("pgvault.repositories.local.type", () -> "local");
        registry.add("pgvault.repositories.local.path", () -> HOME.resolve("workspace").toString());
        S3.registerRepository(registry, "cloud");
        registry.add("pgvault.repositories.cloud.prefix", () -> "vault");
        registry.add("pgvault.repositories.cloud.encryption", () -> "aes-256-gcm");
        registry.add("pgvault.repositories.cloud.encryption-key-file", () -> HOME.resolve("cloud.key").toString());
        registry.add("pgvault.storage.sweep.grace", () -> "1s");
    }

    @LocalServerPort
    int port;
    @Autowired
    JdbcTemplate catalog;
    @Autowired
    WalArchiveService archive;
    @Autowired
    RepositorySweeps sweeps;
    @Autowired
    Repositories repositories;
    @Autowired
    MeterRegistry meters;
    @Autowired
    org.springframework.context.ApplicationContext context;
    Api api;
    PgCluster pg;
    WalSegments wal;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void clusters() {
        api = new Api(port);
        // 1 MiB segments: 150 pushes per repository stay quick
        pg = PgCluster.start("firstpush", Map.of(), List.of("--wal-segsize=1"));
        wal = WalSegments.of(pg);
        for (String[] cluster : new String[][] {{"ground", "local"}, {"cloudy", "cloud"}}) {
            Api.Response r = api.post("/api/v1/clusters", Map.of("name", cluster[0], "host", pg.host(), "port",
                    pg.port(), "username", pg.superuser(), "repository", cluster[1]));
            assertThat(r.status()).as(r.body()).isEqualTo(201);
        }
    }

    @AfterAll
    void stop() {
        if (pg != null) {
            pg.close();
        }
        S3.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"ground", "cloudy"})
    void ofDifferentBodiesPushedAtOnceUnderOneNameExactlyOneIsArchived(String cluster) throws Exception {
        List<String> names = new ArrayList<>();
        List<Future<int[]>> answers = new ArrayList<>();
        List<byte[][]> bodies = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            for (int i = 0; i < NAMES; i++) {
                String name = wal.name(1, 100 + i);
                byte[] first = wal.segment(name, i);
                byte[] other = first.clone();
                other[other.length / 2] ^= 1; // one byte apart, the header as valid as the first's
                names.add(name);
                bodies.add(new byte[][] {first, other, first});
                for (int b = 0; b < 3; b++) {
                    byte[] body = bodies.get(i)[b];
                    int which = b;
                    answers.add(pool.submit(() -> new int[] {which, push(cluster, name, body)}));
                }
            }
            for (int i = 0; i < NAMES; i++) {
                int[] statuses = new int[3];
                for (int b = 0; b < 3; b++) {
                    int[] answer = answers.get(i * 3 + b).get();
                    statuses[answer[0]] = answer[1];
                }
                String name = names.get(i);
                byte[] winner = statuses[1] == 201 ? bodies.get(i)[1] : bodies.get(i)[0];
                if (statuses[1] == 201) {
                    assertThat(statuses).as(name).containsExactly(409, 201, 409);
                } else {
                    assertThat(statuses[1]).as(name).isEqualTo(409);
                    assertThat(new int[] {statuses[0], statuses[2]}).as(name).containsExactlyInAnyOrder(201, 200);
                }
                assertThat(catalog.queryForObject("SELECT sha256 FROM wal_file WHERE cluster = ? AND name = ?",
                        String.class, cluster, name)).as(name).isEqualTo(Sha256.of(winner));
                assertThat(api.download("/api/v1/clusters/" + cluster + "/wal/" + name)).as(name).isEqualTo(winner);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(stored(cluster)).as("the losers' bytes are gone: one stored file per name").hasSize(NAMES);
        Api.Response accepted = api.post("/api/v1/clusters/" + cluster + "/wal/verifications", Map.of());
        assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
        assertThat(api.awaitJob(accepted.field("id"), Duration.ofMinutes(2)).path("status").asString())
                .isEqualTo("SUCCEEDED");
    }

    @Test
    void leftoversOfFaultsAreSweptOnceOlderThanTheGraceAndWhatIsRecordedStays() throws Exception {
        Map<String, String> repositoryOf = Map.of("ground", "local", "cloudy", "cloud");
        Map<String, String> backups = new java.util.HashMap<>();
        String cut = wal.name(1, 300);
        String kept = wal.name(1, 301);
        String ghost = java.util.UUID.randomUUID().toString();
        for (String cluster : List.of("ground", "cloudy")) {
            // a push cut off between storing its file and recording it (a crash, the catalog gone)
            WalArchiveAccess.betweenStoreAndRecord(archive, (c, name) -> {
                if (c.equals(cluster) && name.equals(cut)) {
                    throw new IllegalStateException("cut off before recording");
                }
            });
            try {
                assertThat(push(cluster, cut, wal.segment(cut))).isEqualTo(500);
            } finally {
                WalArchiveAccess.betweenStoreAndRecord(archive, null);
            }
            assertThat(stored(cluster)).as("stored, never recorded").anyMatch(k -> k.endsWith(cut));
            assertThat(api.get("/api/v1/clusters/" + cluster + "/wal/" + cut).status()).as("never served")
                    .isEqualTo(404);
            assertThat(push(cluster, kept, wal.segment(kept))).isEqualTo(201);
            // what retention leaves when it dies between committing a backup DELETED and removing its objects
            repositories.configured(repositoryOf.get(cluster)).orElseThrow().store().put(cluster + "/DUMP/" + ghost
                    + "/dump.custom", new java.io.ByteArrayInputStream(new byte[] {1, 2, 3}));
            backups.put(cluster, api.backup(cluster, Map.of("kind", "DUMP", "database", "postgres")).path("id")
                    .asString());
        }
        // a multipart upload whose CreateMultipartUpload answer was lost
        try (var client = S3.client()) {
            client.createMultipartUpload(b -> b.bucket(S3.bucket()).key("vault/cloudy/BASE/" + ghost + "/base.tar"));
        }
        Thread.sleep(1500);

        Map<String, Integer> removed = sweeps.sweepAll();
        assertThat(removed).containsEntry("wal-unrecorded", 2).containsEntry("backup-leftovers", 2)
                .containsEntry("incomplete-uploads", 1);
        assertThat(meters.counter("pgvault.sweep.removed", "sweep", "wal-unrecorded", "repository", "cloud").count())
                .isEqualTo(1.0);
        assertThat(S3.incompleteUploads()).noneMatch(u -> u.startsWith("vault/"));
        for (String cluster : List.of("ground", "cloudy")) {
            assertThat(stored(cluster)).as("the cut-off push's file").noneMatch(k -> k.endsWith(cut))
                    .as("the recorded one").anyMatch(k -> k.endsWith(kept));
            assertThat(api.download("/api/v1/clusters/" + cluster + "/wal/" + kept)).isEqualTo(wal.segment(kept));
            assertThat(repositories.configured(repositoryOf.get(cluster)).orElseThrow().store().list(cluster + "/DUMP/"))
                    .as("the ghost backup's objects went, the real backup's stayed")
                    .noneMatch(k -> k.contains(ghost)).anyMatch(k -> k.contains(backups.get(cluster)));
            Api.Response verify = api.post("/api/v1/backups/" + backups.get(cluster) + "/verifications",
                    Map.of("level", "CHECKSUM"));
            assertThat(verify.status()).as(verify.body()).isEqualTo(202);
            assertThat(api.awaitJob(verify.field("id"), Duration.ofMinutes(2)).path("status").asString())
                    .isEqualTo("SUCCEEDED");
        }
        assertThat(sweeps.sweepAll().values()).as("nothing more to remove").allMatch(n -> n == 0);
    }

    /** A push as archive_command makes it: a 503 (the catalog busy, the test catalog's locks are exclusive) is tried again. */
    private int push(String cluster, String name, byte[] body) throws Exception {
        for (int attempt = 1; ; attempt++) {
            int status = pushOnce(cluster, name, body);
            if (status != 503 || attempt == 10) {
                return status;
            }
            Thread.sleep(200L * attempt);
        }
    }

    private int pushOnce(String cluster, String name, byte[] body) throws Exception {
        return http.send(Api.authorized(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/api/v1/clusters/" + cluster + "/wal/" + name)))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    /** The stored WAL files of the cluster, as its repository lists them (recorded or not), never by path or key. */
    private List<String> stored(String cluster) throws Exception {
        String repository = cluster.equals("ground") ? "local" : "cloud";
        return new StoredBackups(context).walNames(repository, cluster).stream()
                .filter(f -> !f.startsWith(".")).toList();
    }
}
