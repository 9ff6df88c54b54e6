package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import io.pgvault.testing.S3Server;
import io.pgvault.testing.StoredBackups;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * Offsite copies (3-2-1): backups on local disk are copied to an encrypted S3 repository by request and by a
 * schedule's copyTo, each read back with the catalog's SHA-256; the cluster's WAL goes to the same repository
 * as its second archive, with its lag as a metric. When the local files are lost, a restore and a recovery to
 * latest use the copies and say so; deleting a backup removes its copies too. A block-store backup's copies store
 * only the blocks each target lacks (under the encrypted target's own names), and a recovery passes over a damaged
 * block to a good copy.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CopiesTests {

    static final String CLUSTER = "copied";
    static final Path HOME = Api.tempDirectory("pgvault-copies");
    static final S3Server S3 = S3Server.start("pgvault-offsite");

    @DynamicPropertySource
    static void pgvault(DynamicPropertyRegistry registry) {
        Api.ownServer(registry, "copies", HOME);
        registry.add("pgvault.storage.local.root", () -> HOME.resolve("main").toString());
        registry.add("pgvault.repository", () -> "main");
        registry.add("pgvault.repositories.main.type", () -> "local");
        registry.add("pgvault.repositories.main.path", () -> HOME.resolve("main").toString());
        S3.registerRepository(registry, "offsite");
        registry.add("pgvault.repositories.offsite.encryption", () -> "aes-256-gcm");
        registry.add("pgvault.repositories.offsite.encryption-key-file", () -> HOME.resolve("offsite.key").toString());
        // the offsite repository keeps fewer copies than the cluster keeps backups (everything)
        registry.add("pgvault.repositories.offsite.retention.keep-last", () -> "1");
        // a plain local repository beside it: block-store copies there keep the backup's own block names
        registry.add("pgvault.repositories.near.type", () -> "local");
        registry.add("pgvault.repositories.near.path", () -> HOME.resolve("near").toString());
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
    void archivingClusterWithASecondWalArchive() throws Exception {
        api = new Api(port);
        recoveries = PgCluster.recoveryDirectory("pgvault-copies-recoveries-");
        pg = PgCluster.start("copies", Map.of("archive_mode", "on", "archive_command", "", "archive_timeout", "0"));
        Api.Response registered = api.post("/api/v1/clusters", Map.of("name", CLUSTER, "host", pg.host(), "port",
                pg.port(), "username", pg.superuser(), "walArchive", "PUSH", "walCopyTo", "offsite"));
        assertThat(registered.status()).as(registered.body()).isEqualTo(201);
        assertThat(registered.json().path("walCopyTo").asString()).isEqualTo("offsite");
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
        S3.close();
    }

    @Test
    @Order(1)
    void badCopyRequestsAreRefusedAndStartNothing() {
        JsonNode backup = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", "shop"));
        String id = backup.path("id").asString();
        long jobs = api.jobCount();
        for (Object[] c : List.<Object[]>of(new Object[] {Map.of(), "repository is required"},
                new Object[] {Map.of("repository", "nowhere"), "no repository is named 'nowhere'"},
                new Object[] {Map.of("repository", "main"), "is stored in repository 'main' itself"})) {
            Api.Response r = api.post("/api/v1/backups/" + id + "/copies", (Map<String, ?>) c[0]);
            assertThat(r.status()).as(r.body()).isEqualTo(400);
            assertThat(r.contentType()).startsWith("application/problem+json");
            assertThat(r.body()).contains((String) c[1]);
        }
        assertThat(api.post("/api/v1/backups/00000000-0000-0000-0000-000000000000/copies",
                Map.of("repository", "offsite")).status()).isEqualTo(404);
        assertThat(api.jobCount()).isEqualTo(jobs);
    }

    @Test
    @Order(2)
    void aCopiedDumpRestoresFromTheCopyWhenTheLocalFileIsLost() throws Exception {
        JsonNode backup = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", "shop"));
        String id = backup.path("id").asString();
        api.awaitVerification(id, Duration.ofMinutes(2));
        JsonNode job = copy(id);
        assertThat(job.path("result").path("repository").asString()).isEqualTo("offsite");
        JsonNode copies = api.get("/api/v1/backups/" + id).json().path("copies");
        assertThat(copies).hasSize(1);
        assertThat(copies.get(0).path("repository").asString()).isEqualTo("offsite");
        assertThat(copies.get(0).path("status").asString()).isEqualTo("COPIED");
        assertThat(copies.get(0).path("detail").asString()).contains("read back");
        assertThat(stored().copiesIn("offsite").files(id)).containsExactly("dump.custom");

        stored().delete(id, "dump.custom");
        JsonNode restored = api.restore(id, Map.of("targetDatabase", "shop_again", "createDatabase", true));
        assertThat(api.get("/api/v1/jobs/" + restored.path("id").asString() + "/log").body())
                .contains("dump.custom is missing; using its copy in repository 'offsite'");
        assertThat(pg.queryValue("shop_again", "SELECT count(*) FROM orders")).isEqualTo(1000L);
    }

    @Test
    @Order(3)
    void aScheduledBaseBackupIsCopiedAndItsCopyAndTheSecondWalArchiveRecoverToLatest() throws Exception {
        Api.Response schedule = api.post("/api/v1/schedules", Map.of("cluster", CLUSTER, "cron", "0 0 3 * * *",
                "backup", Map.of("kind", "BASE"), "copyTo", List.of("offsite")));
        assertThat(schedule.status()).as(schedule.body()).isEqualTo(201);
        assertThat(schedule.json().path("copyTo").get(0).asString()).isEqualTo("offsite");
        assertThat(api.post("/api/v1/schedules", Map.of("cluster", CLUSTER, "cron", "0 0 3 * * *",
                "backup", Map.of("kind", "BASE"), "copyTo", List.of("elsewhere"))).body())
                .contains("no repository is named 'elsewhere'");
        Api.Response run = api.post("/api/v1/schedules/" + schedule.field("id") + "/runs", "");
        assertThat(run.status()).as(run.body()).isEqualTo(202);
        JsonNode done = api.awaitSucceeded(run.field("id"));
        String id = done.path("backupId").asString();
        JsonNode copied = awaitCopy(id);
        assertThat(copied.path("detail").asString()).contains("archived WAL file(s) of its range copied");

        pg.execute("shop", "INSERT INTO orders SELECT g, 'late ' || g FROM generate_series(1001, 1200) g");
        String last = pg.switchWal();
        api.awaitLastSegment(CLUSTER, last, pg);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!copiedToOffsite(last) && System.nanoTime() < deadline) {
            Api.sleep(200);
        }
        assertThat(copiedToOffsite(last)).as("the second archive has the last segment").isTrue();
        String metrics = api.get("/actuator/prometheus").body();
        assertThat(metrics).contains("pgvault_wal_copy_lag_files{cluster=\"" + CLUSTER + "\"}");

        // the host's disk loses the backup and the archive: the copies carry the recovery
        stored().loseCluster("main", CLUSTER);
        Path dir = recoveries.resolve("from-copies");
        started.add(dir);
        Api.Response r = api.post("/api/v1/clusters/" + CLUSTER + "/recoveries",
                Map.of("target", Map.of("latest", true), "dataDirectory", dir.toString()));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode job = api.awaitSucceeded(r.field("id"));
        assertThat(job.path("result").path("repository").asString()).isEqualTo("offsite");
        assertThat(api.get("/api/v1/jobs/" + r.field("id") + "/log").body()).contains("using its copy in repository 'offsite'");
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:"
                + job.path("result").path("port").asInt() + "/shop", "postgres", "");
                Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM orders")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(1200);
        }
    }

    @Test
    @Order(4)
    void deletingABackupRemovesItsCopies() throws Exception {
        JsonNode backup = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", "shop"));
        String id = backup.path("id").asString();
        api.awaitVerification(id, Duration.ofMinutes(2));
        copy(id);
        StoredBackups offsite = stored().copiesIn("offsite");
        assertThat(offsite.anythingStored(id)).isTrue();
        Api.Response deleted = api.delete("/api/v1/backups/" + id);
        assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
        assertThat(deleted.json().path("copies").get(0).path("status").asString()).isEqualTo("DELETED");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (offsite.anythingStored(id) && System.nanoTime() < deadline) {
            Api.sleep(100);
        }
        assertThat(offsite.anythingStored(id)).isFalse();
    }

    @Test
    @Order(5)
    void theOffsiteRepositoryKeepsItsOwnNumberOfCopies() throws Exception {
        JsonNode older = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", "shop"));
        api.awaitVerification(older.path("id").asString(), Duration.ofMinutes(2));
        copy(older.path("id").asString());
        JsonNode newer = api.backup(CLUSTER, Map.of("kind", "DUMP", "database", "shop"));
        api.awaitVerification(newer.path("id").asString(), Duration.ofMinutes(2));
        copy(newer.path("id").asString());

        Api.Response r = api.post("/api/v1/clusters/" + CLUSTER + "/retention", "");
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode job = api.awaitSucceeded(r.field("id"));
        assertThat(job.path("result").path("copiesRemoved").asInt()).isGreaterThanOrEqualTo(1);

        JsonNode thinned = api.get("/api/v1/backups/" + older.path("id").asString()).json();
        assertThat(thinned.path("status").asString()).as("the backup itself stays").isEqualTo("SUCCEEDED");
        assertThat(thinned.path("copies").get(0).path("status").asString()).isEqualTo("DELETED");
        assertThat(thinned.path("copies").get(0).path("detail").asString())
                .contains("retention of repository 'offsite'");
        assertThat(stored().copiesIn("offsite").anythingStored(older.path("id").asString())).isFalse();
        JsonNode kept = api.get("/api/v1/backups/" + newer.path("id").asString()).json();
        assertThat(kept.path("copies").get(0).path("status").asString()).isEqualTo("COPIED");
        assertThat(stored().exists(older.path("id").asString(), "dump.custom")).as("the local backup is not touched")
                .isTrue();
    }

    @Test
    @Order(6)
    void blockStoreBackupsCopyOnlyTheBlocksATargetLacksAndRestoreFromACopyPastADamagedBlock() throws Exception {
        JsonNode full = api.backup(CLUSTER, Map.of("kind", "BASE", "format", "BLOCKS"));
        String fullId = full.path("id").asString();
        Set<String> names = stored().blocks(fullId);
        assertThat(names).hasSizeGreaterThan(10);

        // a plain local target: the same names, the manifest as it is, every block stored there once
        JsonNode near = copy(fullId, "near").path("result");
        assertThat(near.path("blocks").asInt()).isEqualTo(names.size());
        assertThat(near.path("blocksAdded").asInt()).isEqualTo(names.size());
        assertThat(stored().blockCount("near")).isEqualTo(names.size());
        assertThat(stored().copiesIn("near").blocks(fullId)).isEqualTo(names);

        // an encrypted S3 target: block names are HMACs under its own key, so the manifest is rewritten there
        JsonNode offsite = copy(fullId, "offsite").path("result");
        assertThat(offsite.path("blocksAdded").asInt()).isEqualTo(names.size());
        assertThat(stored().blockCount("offsite")).isEqualTo(names.size());
        Set<String> offsiteNames = stored().copiesIn("offsite").blocks(fullId);
        assertThat(offsiteNames).hasSameSizeAs(names).doesNotContainAnyElementsOf(names);
        JsonNode copies = api.get("/api/v1/backups/" + fullId).json().path("copies");
        assertThat(copies.toString()).doesNotContain("FAILED");
        assertThat(copies).hasSize(2).allSatisfy(c -> assertThat(c.path("status").asString()).isEqualTo("COPIED"));
        assertThat(copies.toString()).contains("rewritten with the repository's own block names");

        // an INCR after a small change: its copies store only the blocks each target lacks
        pg.execute("shop", "INSERT INTO orders SELECT g, 'blocks ' || g FROM generate_series(100001, 100300) g");
        long rows = ((Number) pg.queryValue("shop", "SELECT count(*) FROM orders")).longValue();
        JsonNode incr = api.backup(CLUSTER, Map.of("kind", "BASE", "format", "BLOCKS", "type", "INCR"));
        String incrId = incr.path("id").asString();
        int incrBlocks = stored().blocks(incrId).size();
        int nearBefore = stored().blockCount("near");
        int offsiteBefore = stored().blockCount("offsite");
        JsonNode nearIncr = copy(incrId, "near").path("result");
        JsonNode offsiteIncr = copy(incrId, "offsite").path("result");
        System.out.println("CopiesTests: INCR of " + incrBlocks + " blocks: near stored " + nearIncr.path("blocksAdded")
                + " (read " + nearIncr.path("blocksRead") + "), offsite stored " + offsiteIncr.path("blocksAdded"));
        assertThat(nearIncr.path("blocksAdded").asInt()).isPositive().isLessThan(incrBlocks / 2)
                .isEqualTo(stored().blockCount("near") - nearBefore);
        assertThat(nearIncr.path("blocksRead").asInt()).as("a plain target's present blocks are not even read")
                .isEqualTo(nearIncr.path("blocksAdded").asInt());
        assertThat(offsiteIncr.path("blocksAdded").asInt()).isPositive().isLessThan(incrBlocks / 2)
                .isEqualTo(stored().blockCount("offsite") - offsiteBefore);

        // a block of the INCR goes bad in its own repository and in the first copy: the recovery reads the second
        String damaged = stored().damageBlock(incrId);
        assertThat(stored().copiesIn("near").damageBlock(incrId)).isEqualTo(damaged);
        Path dir = recoveries.resolve("blocks-from-copy");
        started.add(dir);
        Api.Response r = api.post("/api/v1/clusters/" + CLUSTER + "/recoveries", Map.of("target",
                Map.of("immediate", true), "backupId", incrId, "dataDirectory", dir.toString()));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode job = api.awaitSucceeded(r.field("id"));
        String log = api.get("/api/v1/jobs/" + r.field("id") + "/log").body();
        assertThat(log).contains("block " + damaged).contains("the copy in repository 'near' cannot be used either")
                .contains("using its copy in repository 'offsite'");
        assertThat(job.path("result").path("repository").asString()).isEqualTo("offsite");
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:"
                + job.path("result").path("port").asInt() + "/shop", "postgres", "");
                Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM orders")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(rows);
        }
    }

    private JsonNode copy(String id) {
        return copy(id, "offsite");
    }

    private JsonNode copy(String id, String repository) {
        Api.Response r = api.post("/api/v1/backups/" + id + "/copies", Map.of("repository", repository));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(r.json().path("type").asString()).isEqualTo("COPY");
        return api.awaitSucceeded(r.field("id"));
    }

    private JsonNode awaitCopy(String id) {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (true) {
            JsonNode copies = api.get("/api/v1/backups/" + id).json().path("copies");
            if (copies.size() == 1 && copies.get(0).path("status").asString().equals("COPIED")) {
                return copies.get(0);
            }
            assertThat(copies.toString()).doesNotContain("FAILED");
            assertThat(System.nanoTime()).as("copy of %s: %s", id, copies).isLessThan(deadline);
            Api.sleep(200);
        }
    }

    private boolean copiedToOffsite(String segment) throws IOException {
        return stored().walNames("offsite", CLUSTER).stream().anyMatch(n -> n.startsWith(segment));
    }

    /** The backups' and the WAL archive's stored files, through the server's own store: never by path or key. */
    private StoredBackups stored() {
        return new StoredBackups(context);
    }
}
