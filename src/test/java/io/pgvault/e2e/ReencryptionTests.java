package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import io.pgvault.testing.Relay;
import io.pgvault.testing.S3Server;
import io.pgvault.testing.TableFingerprint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Key rotation and re-encryption (issue 22), on a real S3 server (S3Proxy behind a relay that answers 503 on
 * demand) and a local encrypted repository. After a rotation, a REENCRYPT job whose bucket starts answering 503
 * midway fails naming the cause (a second request while it runs answers 409), and the dump still restores exactly
 * and the WAL archive still verifies. A second run finishes: every object of the bucket is under the new key, no
 * old object is left behind, the old key counts 0 objects and is then removed from the key file (refused before,
 * while objects needed it), and the dump still restores exactly and verifies, the WAL archive verifies; a third run
 * finds nothing to do. In the local repository that holds the dump's copy and the cluster's second WAL archive,
 * the copy is re-encrypted as its next generation and the WAL copies under stored names of their own. Bad requests
 * answer problem+json and start nothing. A BLOCKS backup in the bucket: its blocks and {@code .blocks/hmac-key},
 * which the catalog does not list, keep the old key's removal refused (naming the block store) until a run has
 * rewritten them in place (each in one put: a failed run leaves every block under either key); it passes CHECKSUM
 * without the old key after the re-run.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReencryptionTests {

    static final String CLUSTER = "rekeyed";
    static final Path HOME = Api.tempDirectory("pgvault-reencryption");
    static final S3Server S3 = S3Server.start("pgvault-rekey");
    static final Relay RELAY = new Relay(S3.port());

    @DynamicPropertySource
    static void pgvault(DynamicPropertyRegistry registry) {
        Api.ownServer(registry, "reencryption", HOME);
        registry.add("pgvault.storage.local.root", () -> HOME.resolve("workspace").toString());
        registry.add("pgvault.repository", () -> "vault");
        S3.registerRepository(registry, "vault", () -> "http://127.0.0.1:" + RELAY.port(), S3.bucket());
        registry.add("pgvault.repositories.vault.encryption", () -> "aes-256-gcm");
        registry.add("pgvault.repositories.vault.encryption-key-file", () -> HOME.resolve("vault.key").toString());
        registry.add("pgvault.repositories.near.type", () -> "local");
        registry.add("pgvault.repositories.near.path", () -> HOME.resolve("near").toString());
        registry.add("pgvault.repositories.near.encryption", () -> "aes-256-gcm");
        registry.add("pgvault.repositories.near.encryption-key-file", () -> HOME.resolve("near.key").toString());
        registry.add("pgvault.repositories.plain.type", () -> "local");
        registry.add("pgvault.repositories.plain.path", () -> HOME.resolve("plain").toString());
    }

    @LocalServerPort
    int port;
    Api api;
    PgCluster pg;

    @BeforeAll
    void archivingCluster() {
        api = new Api(port);
        pg = PgCluster.start("reencryption", Map.of("archive_mode", "on", "archive_command", "",
                "archive_timeout", "0"));
        Api.Response registered = api.post("/api/v1/clusters", Map.of("name", CLUSTER, "host", pg.host(), "port",
                pg.port(), "username", pg.superuser(), "walArchive", "PUSH", "walCopyTo", "near"));
        assertThat(registered.status()).as(registered.body()).isEqualTo(201);
        api.archiveThroughPgvault(CLUSTER, pg);
        pg.createDatabase("shop");
        pg.execute("shop", "CREATE TABLE orders (id int PRIMARY KEY, item text NOT NULL)",
                "INSERT INTO orders SELECT g, 'item ' || g FROM generate_series(1, 2000) g");
    }

    @AfterAll
    void cleanUp() {
        if (pg != null) {
            pg.close();
        }
        RELAY.close();
        S3.close();
    }

    @Test
    void aRotatedRepositoryIsReencryptedAFaultMidwayLosesNothingAndARerunFinishes() {
        String id = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", "shop")).path("id").asString();
        Map<String, TableFingerprint> dumped = pg.fingerprints("shop");
        api.awaitVerification(id, Duration.ofMinutes(2));
        for (int i = 0; i < 3; i++) {
            pg.execute("shop", "INSERT INTO orders VALUES (" + (3000 + i) + ", 'late')");
            api.awaitArchived(CLUSTER, pg.switchWal());
        }
        Api.Response copy = api.post("/api/v1/backups/" + id + "/copies", Map.of("repository", "near"));
        assertThat(copy.status()).as(copy.body()).isEqualTo(202);
        assertThat(api.awaitJob(copy.field("id"), Duration.ofMinutes(2)).path("status").asString()).isEqualTo("SUCCEEDED");
        // a BASE backup in the block store: blocks and the HMAC key below .blocks/, which the catalog does not list
        JsonNode blocks = api.backup(CLUSTER, Map.of("kind", "BASE", "format", "BLOCKS"));
        String blocksId = blocks.path("id").asString();
        int blocksFiles = blocks.path("files").size();
        api.awaitVerification(blocksId, Duration.ofMinutes(5));

        for (String[] bad : new String[][] {{"nowhere", "404"}, {"plain", "409"}}) {
            Api.Response r = api.post("/api/v1/repositories/" + bad[0] + "/reencryptions", Map.of());
            assertThat(r.status()).as(r.body()).isEqualTo(Integer.parseInt(bad[1]));
            assertThat(r.contentType()).startsWith("application/problem+json");
        }

        JsonNode before = keys("vault");
        String oldKey = before.path("currentKeyId").asString();
        long underOldKey = before.path("objectsByKey").path(oldKey).asLong();
        assertThat(underOldKey).as("the dump and the archived WAL files").isGreaterThanOrEqualTo(4);
        assertThat(blockObjects()).as("the block store").hasSizeGreaterThan(2).allMatch(k -> oldKey.equals(keyIdOf(k)));
        assertThat(before.path("blockStoreKeyIds").toString()).as(before.toString()).contains(oldKey);
        // the copy of the dump and the second WAL archive in 'near' (not the BLOCKS backup): copies record no key
        // until re-encrypted
        long inNear = underOldKey - blocksFiles;
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (keys("near").path("objectsWithoutRecordedKey").asLong() < inNear) {
            assertThat(System.nanoTime()).as("the WAL copied to 'near'").isLessThan(deadline);
            Api.sleep(200);
        }
        Api.Response rotated = api.post("/api/v1/repositories/vault/keys", Map.of());
        assertThat(rotated.status()).as(rotated.body()).isEqualTo(201);
        String newKey = rotated.json().path("currentKeyId").asString();
        assertThat(newKey).isNotEqualTo(oldKey);
        assertThat(keys("vault").path("objectsByKey").path(oldKey).asLong()).isEqualTo(underOldKey);
        Api.Response stillNeeded = api.delete("/api/v1/repositories/vault/keys/" + oldKey);
        assertThat(stillNeeded.status()).as(stillNeeded.body()).isEqualTo(409);
        assertThat(stillNeeded.body()).contains("stored object(s) are encrypted with it")
                .contains("block store (.blocks/) may hold objects encrypted with it");

        // the bucket answers 503 once the job has sent about a dump's worth of bytes
        RELAY.faultAfter(20_000, () -> RELAY.answer503(true));
        JsonNode failed;
        try {
            Api.Response started = api.post("/api/v1/repositories/vault/reencryptions", Map.of());
            assertThat(started.status()).as(started.body()).isEqualTo(202);
            Api.Response second = api.post("/api/v1/repositories/vault/reencryptions", Map.of());
            assertThat(second.status()).as("one at a time: " + second.body()).isEqualTo(409);
            assertThat(second.contentType()).startsWith("application/problem+json");
            assertThat(second.body()).contains(started.field("id"));
            failed = api.awaitJob(started.field("id"), Duration.ofMinutes(3));
        } finally {
            RELAY.heal();
        }
        String failedLog = jobLog(failed);
        assertThat(RELAY.fired()).as(failedLog).isTrue();
        assertThat(failed.path("status").asString()).as(failedLog).isEqualTo("FAILED");
        assertThat(failed.path("error").asString()).contains("503").contains("Run the re-encryption again")
                .doesNotContain(S3Server.SECRET_KEY);
        assertThat(failedLog).contains("re-encrypting repository 'vault' under key " + newKey).contains("failed: ");
        assertThat(restoredFingerprints(id, "shop_midway")).isEqualTo(dumped);
        assertThat(walVerification()).isEqualTo("SUCCEEDED");

        JsonNode done = reencrypt("vault");
        assertThat(done.path("status").asString()).as(jobLog(done)).isEqualTo("SUCCEEDED");
        assertThat(done.path("result").path("reencrypted").asInt()).isPositive();
        assertThat(done.path("bytesDone").asLong()).isEqualTo(done.path("bytesTotal").asLong());
        JsonNode after = keys("vault");
        assertThat(after.path("objectsByKey").path(oldKey).asLong()).as(after.toString()).isZero();
        assertThat(after.path("objectsByKey").path(newKey).asLong()).isGreaterThanOrEqualTo(underOldKey);
        List<String> stored = S3.client().listObjectsV2(b -> b.bucket(S3.bucket()).prefix(CLUSTER + "/")).contents()
                .stream().map(o -> o.key()).toList();
        assertThat(stored).as("the dump's new generation, and no old object left").contains(CLUSTER + "/DUMP/" + id
                + ".g2/dump.custom").noneMatch(k -> k.startsWith(CLUSTER + "/DUMP/" + id + "/"));
        assertThat(stored).hasSize((int) after.path("objectsByKey").path(newKey).asLong());
        for (String key : stored) {
            byte[] head = S3.client().getObjectAsBytes(b -> b.bucket(S3.bucket()).key(key)).asByteArray();
            assertThat(new String(head, 0, 24, StandardCharsets.ISO_8859_1)).as(key)
                    .isEqualTo("pgvault-aead-1 " + newKey + "\n");
        }
        assertThat(blockObjects()).as("the block store, in place: names are content").hasSizeGreaterThan(2)
                .allMatch(k -> newKey.equals(keyIdOf(k))).contains(".blocks/hmac-key");
        assertThat(after.path("blockStoreKeyIds").toString()).isEqualTo("[\"" + newKey + "\"]");
        Api.Response removed = api.delete("/api/v1/repositories/vault/keys/" + oldKey);
        assertThat(removed.status()).as(removed.body()).isEqualTo(200);
        assertThat(removed.json().path("keyIds").toString()).doesNotContain(oldKey);
        assertThat(api.delete("/api/v1/repositories/vault/keys/" + newKey).status()).as("the current key").isEqualTo(409);
        // without the old key: everything still reads
        assertThat(restoredFingerprints(id, "shop_after")).isEqualTo(dumped);
        assertThat(verify(id)).isEqualTo("PASSED");
        assertThat(walVerification()).isEqualTo("SUCCEEDED");
        assertThat(verify(blocksId)).as("every block and the HMAC key without the old key").isEqualTo("PASSED");

        JsonNode again = reencrypt("vault");
        assertThat(again.path("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(again.path("result").path("objects").asInt()).as("nothing left to do").isZero();

        // a copy in another encrypted repository: re-encrypted as its next generation
        String nearOld = keys("near").path("currentKeyId").asString();
        assertThat(api.post("/api/v1/repositories/near/keys", Map.of()).status()).isEqualTo(201);
        JsonNode nearDone = reencrypt("near");
        assertThat(nearDone.path("status").asString()).as(jobLog(nearDone)).isEqualTo("SUCCEEDED");
        assertThat(nearDone.path("result").path("reencrypted").asInt()).as("the dump's copy and the WAL copies, "
                + "read where they are stored though the WAL files got new stored names in 'vault'")
                .isEqualTo((int) inNear);
        JsonNode nearKeys = keys("near");
        assertThat(nearKeys.path("objectsByKey").path(nearOld).asLong()).as(nearKeys.toString()).isZero();
        assertThat(nearKeys.path("objectsWithoutRecordedKey").asLong()).isZero();
        JsonNode copyRow = api.get("/api/v1/backups/" + id).json().path("copies").get(0);
        assertThat(copyRow.path("status").asString()).isEqualTo("COPIED");
        assertThat(copyRow.path("generation").asInt()).isEqualTo(2);
        assertThat(copyRow.path("location").asString()).isEqualTo(CLUSTER + "/DUMP/" + id + ".g2");
    }

    private Map<String, TableFingerprint> restoredFingerprints(String id, String database) {
        JsonNode restored = api.restore(id, Map.of("targetDatabase", database, "createDatabase", true));
        assertThat(restored.path("status").asString()).isEqualTo("SUCCEEDED");
        return pg.fingerprints(database);
    }

    private JsonNode reencrypt(String repository) {
        Api.Response r = api.post("/api/v1/repositories/" + repository + "/reencryptions", Map.of());
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(r.location()).startsWith("/api/v1/jobs/");
        return api.awaitJob(r.field("id"), Duration.ofMinutes(3));
    }

    private List<String> blockObjects() {
        return S3.client().listObjectsV2Paginator(b -> b.bucket(S3.bucket()).prefix(".blocks/")).contents().stream()
                .map(o -> o.key()).toList();
    }

    private String keyIdOf(String key) {
        byte[] head = S3.client().getObjectAsBytes(b -> b.bucket(S3.bucket()).key(key).range("bytes=0-23")).asByteArray();
        String line = new String(head, StandardCharsets.ISO_8859_1);
        return line.startsWith("pgvault-aead-1 ") ? line.substring(15, 23) : line;
    }

    private JsonNode keys(String repository) {
        Api.Response r = api.get("/api/v1/repositories/" + repository + "/keys");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    private String walVerification() {
        Api.Response r = api.post("/api/v1/clusters/" + CLUSTER + "/wal/verifications", Map.of());
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode job = api.awaitJob(r.field("id"), Duration.ofMinutes(2));
        return job.path("status").asString() + (job.path("error").isMissingNode() || job.path("error").isNull() ? "" : " " + job.path("error").asString());
    }

    private String verify(String id) {
        Api.Response r = api.post("/api/v1/backups/" + id + "/verifications", Map.of("level", "CHECKSUM"));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        api.awaitJob(r.field("id"), Duration.ofMinutes(2));
        return api.get("/api/v1/backups/" + id).json().path("verification").path("status").asString();
    }

    private String jobLog(JsonNode job) {
        return api.get("/api/v1/jobs/" + job.path("id").asString() + "/log").body();
    }
}
