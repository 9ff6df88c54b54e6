package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import io.pgvault.testing.Relay;
import io.pgvault.testing.S3Server;
import io.pgvault.testing.StoredBackups;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
 * Copies under faults (issue 22): backups on local disk copied to an encrypted S3 repository reached through a
 * relay. A re-copy while the bucket answers 503 fails, says why, and leaves the earlier copy COPIED and
 * restorable; a re-copy that succeeds replaces the old generation only once it is read back. A primary with one
 * flipped byte (same size) restores from its copy, and the job log names the primary's fault; with the copy
 * damaged too the restore fails naming both, and restores nothing. A plain dump streamed to S3 whose network
 * goes midway fails with an error that names the network cause, never "Self-suppression not permitted".
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CopyFaultsTests {

    static final String CLUSTER = "faulty";
    static final Path HOME = Api.tempDirectory("pgvault-copy-faults");
    static final S3Server S3 = S3Server.start("pgvault-offsite-faults");
    static final Relay RELAY = new Relay(S3.port());

    @DynamicPropertySource
    static void pgvault(DynamicPropertyRegistry registry) {
        Api.ownServer(registry, "copyfaults", HOME);
        registry.add("pgvault.storage.local.root", () -> HOME.resolve("main").toString());
        registry.add("pgvault.repository", () -> "main");
        registry.add("pgvault.repositories.main.type", () -> "local");
        registry.add("pgvault.repositories.main.path", () -> HOME.resolve("main").toString());
        S3.registerRepository(registry, "offsite", () -> "http://127.0.0.1:" + RELAY.port(), S3.bucket());
        registry.add("pgvault.repositories.offsite.encryption", () -> "aes-256-gcm");
        registry.add("pgvault.repositories.offsite.encryption-key-file", () -> HOME.resolve("offsite.key").toString());
    }

    @LocalServerPort
    int port;
    Api api;
    @Autowired
    ApplicationContext context;
    PgCluster pg;

    @BeforeAll
    void clusterWithASmallDatabase() {
        api = new Api(port);
        pg = PgCluster.start("copyfaults");
        api.register(CLUSTER, pg);
        pg.createDatabase("shop");
        pg.execute("shop", "CREATE TABLE orders (id int PRIMARY KEY, item text NOT NULL)",
                "INSERT INTO orders SELECT g, 'item ' || g FROM generate_series(1, 500) g");
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
    @Order(1)
    void aRecopyWhileTheBucketAnswers503KeepsTheCopiedCopyAndANewGenerationReplacesItOnlyWhenComplete()
            throws Exception {
        String id = verifiedDump();
        assertThat(copy(id).path("status").asString()).isEqualTo("SUCCEEDED");
        StoredBackups offsite = stored().copiesIn("offsite");
        byte[] copied = offsite.stored(id, "dump.custom");

        RELAY.answer503(true);
        JsonNode failed;
        try {
            failed = copy(id);
        } finally {
            RELAY.answer503(false);
        }
        String log = api.get("/api/v1/jobs/" + failed.path("id").asString() + "/log").body();
        assertThat(failed.path("status").asString()).as(log).isEqualTo("FAILED");
        assertThat(failed.path("error").asString()).contains("503").contains("still COPIED")
                .doesNotContain("Self-suppression");
        assertThat(log).contains("stays COPIED while generation 2 is written beside it").contains("503")
                .contains("is kept, untouched and still COPIED");
        JsonNode copyRow = api.get("/api/v1/backups/" + id).json().path("copies").get(0);
        assertThat(copyRow.path("status").asString()).isEqualTo("COPIED");
        assertThat(copyRow.path("generation").asInt()).isEqualTo(1);
        assertThat(copyRow.path("attempt").path("status").asString()).isEqualTo("FAILED");
        assertThat(copyRow.path("attempt").path("detail").asString()).contains("503");
        assertThat(offsite.stored(id, "dump.custom")).as("the earlier copy's object is untouched").isEqualTo(copied);
        assertThat(keys(CLUSTER + "/DUMP/" + id + ".g2/")).as("nothing of the failed generation").isEmpty();

        // the kept copy restores when the local file is gone
        byte[] local = stored().stored(id, "dump.custom");
        stored().delete(id, "dump.custom");
        JsonNode restored = api.restore(id, Map.of("targetDatabase", "shop_from_kept", "createDatabase", true));
        assertThat(jobLog(restored)).contains("dump.custom is missing; using its copy in repository 'offsite' "
                + "(generation 1)");
        assertThat(pg.queryValue("shop_from_kept", "SELECT count(*) FROM orders")).isEqualTo(500L);
        stored().replaceStored(id, "dump.custom", local);

        // copied again with the bucket answering: generation 2 replaces generation 1, which goes only then
        JsonNode again = copy(id);
        assertThat(again.path("status").asString()).as(jobLog(again)).isEqualTo("SUCCEEDED");
        assertThat(again.path("result").path("generation").asInt()).isEqualTo(2);
        copyRow = api.get("/api/v1/backups/" + id).json().path("copies").get(0);
        assertThat(copyRow.path("status").asString()).isEqualTo("COPIED");
        assertThat(copyRow.path("generation").asInt()).isEqualTo(2);
        assertThat(copyRow.path("location").asString()).isEqualTo(CLUSTER + "/DUMP/" + id + ".g2");
        assertThat(copyRow.path("attempt").isMissingNode() || copyRow.path("attempt").isNull()).isTrue();
        assertThat(keys(CLUSTER + "/DUMP/" + id + "/")).as("the replaced generation is removed").isEmpty();
        assertThat(keys(CLUSTER + "/DUMP/" + id + ".g2/")).containsExactly(CLUSTER + "/DUMP/" + id
                + ".g2/dump.custom");
        stored().delete(id, "dump.custom");
        JsonNode fromNew = api.restore(id, Map.of("targetDatabase", "shop_from_g2", "createDatabase", true));
        assertThat(jobLog(fromNew)).contains("using its copy in repository 'offsite' (generation 2)");
        assertThat(pg.queryValue("shop_from_g2", "SELECT count(*) FROM orders")).isEqualTo(500L);
    }

    @Test
    @Order(2)
    void aFlippedByteInThePrimaryRestoresFromTheCopyAndWithBothDamagedNothingIsRestored() throws Exception {
        String id = verifiedDump();
        assertThat(copy(id).path("status").asString()).isEqualTo("SUCCEEDED");
        byte[] local = stored().stored(id, "dump.custom");
        stored().damage(id, "dump.custom");
        assertThat(stored().stored(id, "dump.custom")).as("same size, other bytes").hasSameSizeAs(local)
                .isNotEqualTo(local);

        JsonNode restored = api.restore(id, Map.of("targetDatabase", "shop_despite_damage", "createDatabase", true));
        assertThat(jobLog(restored)).contains("in repository 'main': dump.custom reads back with")
                .contains("(damaged); using its copy in repository 'offsite'");
        assertThat(pg.queryValue("shop_despite_damage", "SELECT count(*) FROM orders")).isEqualTo(500L);
        Api.Response download = api.get("/api/v1/backups/" + id + "/content");
        assertThat(download.status()).isEqualTo(200);
        assertThat(api.download("/api/v1/backups/" + id + "/content")).as("the copy's bytes, as the catalog has them")
                .satisfies(b -> assertThat(io.pgvault.storage.Sha256.of(b)).isEqualTo(api.get("/api/v1/backups/"
                        + id).json().path("files").get(0).path("sha256").asString()));

        // the copy rots as well: the restore fails before anything is written, naming each source's fault
        stored().copiesIn("offsite").damage(id, "dump.custom");
        Api.Response r = api.post("/api/v1/backups/" + id + "/restores",
                Map.of("targetDatabase", "never_restored", "createDatabase", true));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode refused = api.awaitJob(r.field("id"), Duration.ofMinutes(2));
        assertThat(refused.path("status").asString()).isEqualTo("FAILED");
        assertThat(refused.path("error").asString()).contains("repository 'main': dump.custom reads back with")
                .contains("copy in repository 'offsite': dump.custom cannot be read")
                .contains("authentication failed");
        assertThat(pg.databaseExists("never_restored")).as("nothing is restored").isFalse();
        Api.Response noDownload = api.get("/api/v1/backups/" + id + "/content");
        assertThat(noDownload.status()).isEqualTo(409);
        assertThat(noDownload.contentType()).startsWith("application/problem+json");
        assertThat(noDownload.body()).contains("cannot be read whole from anywhere").contains("authentication failed");
    }

    @Test
    @Order(3)
    void aPlainDumpStreamedToS3WhoseNetworkGoesMidwayNamesTheNetworkCause() {
        // more than one 16 MiB part: the upload fails while pg_dump still writes into it
        pg.execute("shop", "CREATE TABLE noise (id int, a text, b text)",
                "INSERT INTO noise SELECT g, md5(g::text) || md5(g::text || 'a'), md5(g::text || 'b') "
                        + "FROM generate_series(1, 300000) g");
        Api.Response registered = api.post("/api/v1/clusters", Map.of("name", "cut", "host", pg.host(), "port",
                pg.port(), "username", pg.superuser(), "repository", "offsite"));
        assertThat(registered.status()).as(registered.body()).isEqualTo(201);
        RELAY.cutAfter(4L * 1024 * 1024);
        JsonNode done;
        String log;
        try {
            JsonNode job = api.startBackup("cut", Map.of("kind", "DUMP", "database", "shop", "format", "PLAIN"));
            done = api.awaitJob(job.path("id").asString(), Duration.ofMinutes(3));
            log = api.get("/api/v1/jobs/" + job.path("id").asString() + "/log").body();
        } finally {
            RELAY.restore();
        }
        assertThat(done.path("status").asString()).as(log).isEqualTo("FAILED");
        String error = done.path("error").asString();
        JsonNode backup = api.get("/api/v1/backups/" + done.path("backupId").asString()).json();
        for (String said : List.of(error, log, backup.path("error").asString())) {
            assertThat(said).doesNotContain("Self-suppression").doesNotContain(S3Server.SECRET_KEY)
                    .contains("dump.sql").containsAnyOf("network error", "S3 answered HTTP", "Connection refused",
                            "Connection reset");
        }
    }

    private String verifiedDump() {
        JsonNode backup = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", "shop"));
        String id = backup.path("id").asString();
        api.awaitVerification(id, Duration.ofMinutes(2));
        return id;
    }

    private JsonNode copy(String id) {
        Api.Response r = api.post("/api/v1/backups/" + id + "/copies", Map.of("repository", "offsite"));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        return api.awaitJob(r.field("id"), Duration.ofMinutes(2));
    }

    private String jobLog(JsonNode job) {
        return api.get("/api/v1/jobs/" + job.path("id").asString() + "/log").body();
    }

    /** The backups' stored files, through the server's own store: never by path or key. */
    private StoredBackups stored() {
        return new StoredBackups(context);
    }

    private static List<String> keys(String prefix) {
        return S3.client().listObjectsV2(b -> b.bucket(S3.bucket()).prefix(prefix)).contents().stream()
                .map(o -> o.key()).toList();
    }
}
