package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import io.pgvault.testing.Relay;
import io.pgvault.testing.S3Server;
import io.pgvault.testing.StoredBackups;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * An encrypted S3 repository as the default one, on a real S3 server (S3Proxy, reached through a relay that
 * can cut the network): logical and physical backups land in the bucket, encrypted, and nowhere else; they
 * verify at every level (CHECKSUM without the key), download, restore, drill and recover from it; WAL is pushed
 * to and fetched from it; damage done behind pgvault's back is named by verification and restores nothing; and
 * a BASE backup whose upload loses the network midway fails and leaves no object and no multipart upload behind.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class S3RepositoryTests {

    static final String CLUSTER = "cloudy";
    static final Path HOME = Api.tempDirectory("pgvault-s3-repository");
    static final S3Server S3 = S3Server.start("pgvault-cloud");
    static final Relay RELAY = new Relay(S3.port());


    @DynamicPropertySource
    static void pgvault(DynamicPropertyRegistry registry) {
        Api.ownServer(registry, "s3", HOME);
        registry.add("pgvault.storage.local.root", () -> HOME.resolve("workspace").toString());
        registry.add("pgvault.repository", () -> "cloud");
        S3.registerRepository(registry, "cloud", () -> "http://127.0.0.1:" + RELAY.port(), S3.bucket());
        registry.add("pgvault.repositories.cloud.prefix", () -> "backups");
        registry.add("pgvault.repositories.cloud.encryption", () -> "aes-256-gcm");
        registry.add("pgvault.repositories.cloud.encryption-key-file", () -> HOME.resolve("cloud.key").toString());
    }

    @LocalServerPort
    int port;
    Api api;
    @Autowired
    ApplicationContext context;
    PgCluster pg;
    Path recoveries;
    final List<Path> started = new ArrayList<>();

    @BeforeAll
    void archivingCluster() throws Exception {
        api = new Api(port);
        recoveries = PgCluster.recoveryDirectory("pgvault-s3-recoveries-");
        pg = PgCluster.start("s3", Map.of("archive_mode", "on", "archive_command", "", "archive_timeout", "0"));
        api.register(CLUSTER, pg);
        api.archiveThroughPgvault(CLUSTER, pg);
        pg.createDatabase("shop");
        pg.execute("shop", "CREATE TABLE orders (id int PRIMARY KEY, item text NOT NULL)",
                "INSERT INTO orders SELECT g, 'item ' || g FROM generate_series(1, 1000) g");
    }

    @AfterAll
    void cleanUp() {
        started.forEach(dir -> PgCluster.removeForeignServer(dir, recoveries));
        if (pg != null) {
            pg.close();
        }
        RELAY.close();
        S3.close();
    }

    @Test
    @Order(1)
    void aCustomDumpIsStoredInTheBucketVerifiedRestoredDrilledAndDownloaded() throws Exception {
        JsonNode backup = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", "shop"));
        String id = backup.path("id").asString();
        assertThat(backup.path("repository").asString()).isEqualTo("cloud");
        assertThat(stored().files(id)).containsExactly("dump.custom");
        assertThat(HOME.resolve("workspace").resolve(CLUSTER)).as("nothing of the backup on local disk").doesNotExist();
        byte[] inBucket = stored().stored(id, "dump.custom");
        JsonNode file = backup.path("files").get(0);
        assertThat(new String(inBucket, java.nio.charset.StandardCharsets.ISO_8859_1))
                .startsWith("pgvault-aead-1 " + file.path("keyId").asString()).doesNotContain("item 999");
        assertThat(file.path("keyId").asString()).matches("[0-9a-f]{8}");
        assertThat(api.awaitVerification(id, Duration.ofMinutes(2)).path("verification").path("status").asString())
                .isEqualTo("PASSED");

        Api.Response download = api.get("/api/v1/backups/" + id + "/content");
        assertThat(download.status()).isEqualTo(200);

        api.restore(id, Map.of("targetDatabase", "shop_copy", "createDatabase", true));
        assertThat(pg.queryValue("shop_copy", "SELECT count(*) FROM orders")).isEqualTo(1000L);

        verify(id, "RESTORE", "SUCCEEDED");
        assertThat(api.get("/api/v1/backups/" + id).json().path("verification").path("detail").asString())
                .contains("row counts");
        assertThat(scratchLeftovers()).as("downloads for pg_restore are removed").isEmpty();
    }

    @Test
    @Order(2)
    void directoryAndClusterDumpsVerifyAndRestoreFromTheBucket() throws Exception {
        JsonNode directory = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", "shop", "format", "DIRECTORY"));
        verify(directory.path("id").asString(), "LIST", "SUCCEEDED");
        JsonNode all = api.backup(CLUSTER, Map.of("kind", "DUMP_ALL"));
        verify(all.path("id").asString(), "CHECKSUM", "SUCCEEDED");
        JsonNode plain = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", "shop", "format", "PLAIN"));
        assertThat(api.get("/api/v1/jobs/" + plain.path("jobId").asString() + "/log").body())
                .as("SQL goes from pg_dump's stdout to the bucket").contains("streaming the dump to repository 'cloud'");
        assertThat(api.get("/api/v1/jobs/" + all.path("jobId").asString() + "/log").body())
                .contains("streaming the dump to repository 'cloud'");
        api.restore(plain.path("id").asString(), Map.of("targetDatabase", "shop_plain", "createDatabase", true));

        // a streamed dump that fails leaves no object and no upload behind
        JsonNode job = api.startBackup(CLUSTER, Map.of("kind", "DUMP", "database", "shop", "format", "PLAIN",
                "tables", List.of("public.no_such_table")));
        JsonNode failed = api.awaitJob(job.path("id").asString(), Duration.ofMinutes(2));
        assertThat(failed.path("status").asString()).isEqualTo("FAILED");
        assertThat(stored().anythingStored(job.path("backupId").asString())).isFalse();
        assertThat(S3.incompleteUploads()).isEmpty();
        assertThat(pg.queryValue("shop_plain", "SELECT count(*) FROM orders")).isEqualTo(1000L);
    }

    @Test
    @Order(3)
    void walAndBaseBackupsGoToTheBucketAndRecoverToLatest() throws Exception {
        JsonNode base = api.backup(CLUSTER, Map.of("kind", "BASE"));
        String id = base.path("id").asString();
        assertThat(stored().files(id)).hasSize(3);
        assertThat(api.awaitVerification(id, Duration.ofMinutes(2)).path("verification").path("status").asString())
                .isEqualTo("PASSED");
        pg.execute("shop", "INSERT INTO orders SELECT g, 'late ' || g FROM generate_series(1001, 1500) g");
        String last = pg.switchWal();
        api.awaitLastSegment(CLUSTER, last, pg);
        assertThat(stored().walNames("cloud", CLUSTER)).contains(last);
        assertThat(HOME.resolve("workspace").resolve(CLUSTER)).doesNotExist();

        Path dir = recoveries.resolve("latest");
        started.add(dir);
        Api.Response r = api.post("/api/v1/clusters/" + CLUSTER + "/recoveries",
                Map.of("target", Map.of("latest", true), "dataDirectory", dir.toString()));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode job = api.awaitSucceeded(r.field("id"));
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:"
                + job.path("result").path("port").asInt() + "/shop", "postgres", "");
                Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM orders")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(1500);
        }
        verify(id, "RESTORE", "SUCCEEDED");
    }

    @Test
    @Order(4)
    void damageAndLossBehindPgvaultsBackAreNamedByVerification() throws Exception {
        JsonNode damaged = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", "shop"));
        // the automatic verification reads the file too: the damage comes after it, or it could pass after ours
        api.awaitVerification(damaged.path("id").asString(), Duration.ofMinutes(2));
        stored().damage(damaged.path("id").asString(), "dump.custom");
        JsonNode failed = verify(damaged.path("id").asString(), "CHECKSUM", "FAILED");
        assertThat(failed.path("verification").path("detail").asString())
                .contains("dump.custom (encrypted, as stored) has SHA-256");
        JsonNode unlisted = verify(damaged.path("id").asString(), "LIST", "FAILED");
        assertThat(unlisted.path("verification").path("detail").asString()).contains("dump.custom");
        Api.Response restore = api.post("/api/v1/backups/" + damaged.path("id").asString() + "/restores",
                Map.of("targetDatabase", "never_restored", "createDatabase", true));
        assertThat(restore.status()).as(restore.body()).isEqualTo(202);
        JsonNode refused = api.awaitJob(restore.field("id"), Duration.ofMinutes(2));
        assertThat(refused.path("status").asString()).isEqualTo("FAILED");
        assertThat(refused.path("error").asString()).contains("dump.custom").contains("authentication failed");
        assertThat(pg.databaseExists("never_restored")).as("nothing is restored").isFalse();

        JsonNode lost = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", "shop"));
        api.awaitVerification(lost.path("id").asString(), Duration.ofMinutes(2));
        stored().delete(lost.path("id").asString(), "dump.custom");
        JsonNode missing = verify(lost.path("id").asString(), "CHECKSUM", "FAILED");
        assertThat(missing.path("verification").path("detail").asString()).contains("dump.custom cannot be read");
    }

    @Test
    @Order(5)
    void aBaseUploadThatLosesTheNetworkMidwayFailsAndLeavesNothing() throws Exception {
        // about 48 MiB that no compressor shrinks: three 16 MiB parts, and the network goes during the second
        pg.execute("postgres", "CREATE TABLE noise (b bytea)", "ALTER TABLE noise ALTER COLUMN b SET STORAGE EXTERNAL",
                "INSERT INTO noise SELECT decode(string_agg(md5(g::text || random()::text), ''), 'hex') "
                        + "FROM generate_series(1, 3000000) g");
        // the noise's WAL goes to the bucket too: the network may go only once it is archived
        api.awaitLastSegment(CLUSTER, pg.switchWal(), pg);
        RELAY.cutAfter(24L * 1024 * 1024);
        JsonNode job = api.startBackup(CLUSTER, Map.of("kind", "BASE"));
        JsonNode done = api.awaitJob(job.path("id").asString(), Duration.ofMinutes(3));
        String log = api.get("/api/v1/jobs/" + job.path("id").asString() + "/log").body();
        try {
            assertThat(done.path("status").asString()).as(log).isEqualTo("FAILED");
            JsonNode backup = api.get("/api/v1/backups/" + job.path("backupId").asString()).json();
            assertThat(backup.path("status").asString()).isEqualTo("FAILED");
            assertThat(backup.path("error").asString()).contains("base.tar.zst").doesNotContain(S3Server.SECRET_KEY);
            assertThat(log).doesNotContain(S3Server.SECRET_KEY);
        } finally {
            RELAY.restore();
        }
        // the abort that could not reach the bucket is tried again; then nothing of the backup is left
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!S3.incompleteUploads().isEmpty() && System.nanoTime() < deadline) {
            Api.sleep(500);
        }
        assertThat(S3.incompleteUploads()).isEmpty();
        String cut = job.path("backupId").asString();
        while (stored().anythingStored(cut) && System.nanoTime() < deadline) {
            Api.sleep(500);
        }
        assertThat(stored().anythingStored(cut)).as("what was uploaded before the cut is removed once the bucket "
                + "answers").isFalse();
        assertThat(HOME.resolve("workspace").resolve(".staging")).isEmptyDirectory();
        pg.execute("postgres", "DROP TABLE noise");
    }

    @Test
    @Order(6)
    void deletingABackupRemovesItsObjects() throws Exception {
        JsonNode backup = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", "shop", "format", "DIRECTORY"));
        String id = backup.path("id").asString();
        assertThat(stored().anythingStored(id)).isTrue();
        api.awaitVerification(backup.path("id").asString(), Duration.ofMinutes(2));
        Api.Response deleted = api.delete("/api/v1/backups/" + backup.path("id").asString());
        for (int i = 0; i < 50 && deleted.status() == 409; i++) {
            Api.sleep(100); // the verification job records its result just before it ends
            deleted = api.delete("/api/v1/backups/" + backup.path("id").asString());
        }
        assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (stored().anythingStored(id) && System.nanoTime() < deadline) {
            Api.sleep(100);
        }
        assertThat(stored().anythingStored(id)).isFalse();
    }

    @Test
    @Order(7)
    void aWalPushTheBucketAnswers503ToIsRefusedAndPostgresRetriesIt() throws Exception {
        long failedBefore = archiverFailures();
        String segment;
        RELAY.answer503(true);
        try {
            pg.execute("shop", "INSERT INTO orders SELECT g, 'while S3 sheds load' FROM generate_series(5001, 5100) g");
            segment = pg.switchWal();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (archiverFailures() <= failedBefore && System.nanoTime() < deadline) {
                Api.sleep(200);
            }
            assertThat(archiverFailures()).as("archive_command failed: pgvault did not answer 2xx").isGreaterThan(failedBefore);

            String later = io.pgvault.wal.WalFileName.segmentName(1, io.pgvault.wal.WalFileName.parse(segment)
                    .position(16L * 1024 * 1024) + 40, 16L * 1024 * 1024);
            java.net.http.HttpResponse<String> pushed = java.net.http.HttpClient.newHttpClient().send(
                    Api.authorized(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port
                            + "/api/v1/clusters/" + CLUSTER + "/wal/" + later)))
                            .PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(
                                    io.pgvault.testing.WalSegments.of(pg).segment(later))).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(pushed.statusCode()).as(pushed.body()).isBetween(500, 599);
            assertThat(pushed.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
            assertThat(pushed.body()).doesNotContain(S3Server.SECRET_KEY);
        } finally {
            RELAY.answer503(false);
        }
        // PostgreSQL tries the segment again; a newer one wakes the archiver, which keeps the order
        String next = pg.switchWal();
        api.awaitLastSegment(CLUSTER, next, pg);
        assertThat(api.get("/api/v1/clusters/" + CLUSTER + "/wal/" + segment).status()).isEqualTo(200);
    }

    /** The backups' and the WAL archive's stored files, through the server's own store: never by object key. */
    private StoredBackups stored() {
        return new StoredBackups(context);
    }

    private long archiverFailures() {
        return ((Number) pg.queryValue("postgres", "SELECT failed_count FROM pg_stat_archiver")).longValue();
    }

    private JsonNode verify(String id, String level, String jobStatus) {
        Api.Response r = api.post("/api/v1/backups/" + id + "/verifications", Map.of("level", level));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode job = api.awaitJob(r.field("id"), Duration.ofMinutes(3));
        assertThat(job.path("status").asString()).as(api.get("/api/v1/jobs/" + r.field("id") + "/log").body())
                .isEqualTo(jobStatus);
        return api.get("/api/v1/backups/" + id).json();
    }

    private static List<Path> scratchLeftovers() throws IOException {
        try (Stream<Path> files = Files.list(HOME.resolve("workspace").resolve(".scratch"))) {
            return files.toList();
        }
    }
}
