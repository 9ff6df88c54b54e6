package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;

/**
 * BASE backups in the block store (format BLOCKS) against a real cluster that archives through pgvault: a FULL,
 * a change, an INCR that stores only new blocks and refers to the FULL; a point-in-time recovery from the INCR to
 * a point after it holds exactly the source's rows; CHECKSUM reads every block; then a delta restore of the
 * cluster's own directory in place writes far less than it checks and ends with the source's content; with the
 * FULL deleted, the INCR still verifies whole (no chain), and the block sweep keeps blocks younger than its grace;
 * its download is a tar that unpacks into a data directory pg_verifybackup accepts; a backup that reuses blocks a
 * running sweep has marked (held by a latch between marking and deleting) keeps them, and restores.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BlockStoreBackupTests extends EndToEndTest {

    static final String CLUSTER = "blocks";
    static final String FINGERPRINT = "SELECT count(*) || ':' || md5(string_agg(id || '=' || v, ',' ORDER BY id)) FROM t";
    static final Pattern DELTA = Pattern.compile("delta restore: (\\d+) bytes checked, (\\d+) skipped \\(already "
            + "right\\), (\\d+) written");

    PgCluster pg;
    Path recoveries;
    final List<Path> started = new ArrayList<>();
    JsonNode full;
    JsonNode incr;
    @org.springframework.beans.factory.annotation.Autowired
    io.pgvault.storage.RepositorySweeps sweeps;
    @org.springframework.beans.factory.annotation.Autowired
    io.pgvault.blocks.BlockLeases leases;
    @org.springframework.beans.factory.annotation.Autowired
    io.pgvault.blocks.BlockStores blockStores;
    @org.springframework.beans.factory.annotation.Autowired
    io.pgvault.storage.Repositories repositories;

    @BeforeAll
    void archivingCluster() {
        api = new Api(port);
        recoveries = PgCluster.recoveryDirectory("pgvault-blocks-");
        // 1 MiB WAL segments: the WAL a backup carries stays small next to its data
        pg = PgCluster.start("blocks", Map.of("archive_mode", "on", "archive_command", "", "archive_timeout", "0"),
                List.of("--wal-segsize=1"));
        api.register(CLUSTER, pg);
        api.archiveThroughPgvault(CLUSTER, pg);
        pg.execute("postgres", "CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL)",
                "INSERT INTO t SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 200000) g",
                "CHECKPOINT");
    }

    @AfterAll
    void cleanUp() {
        for (Path dir : started) {
            PgCluster.removeForeignServer(dir, recoveries);
        }
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    @Order(1)
    void anIncrStoresOnlyNewBlocksAndRecoversToAPointAfterIt() throws Exception {
        full = api.backup(CLUSTER, Map.of("kind", "BASE", "format", "BLOCKS"));
        assertThat(full.path("format").asString()).isEqualTo("BLOCKS");
        assertThat(full.path("type").asString()).isEqualTo("FULL");
        assertThat(full.path("reference").isNull() || full.path("reference").isMissingNode()).isTrue();
        assertThat(full.path("files")).hasSize(1);
        assertThat(full.path("files").path(0).path("path").asString()).isEqualTo("blocks.manifest.json.zst");
        long fullData = full.path("dataSizeBytes").asLong();
        assertThat(fullData).as("the table alone is over 10 MB").isGreaterThan(10_000_000L);

        pg.execute("postgres", "UPDATE t SET v = 'changed' WHERE id <= 500");
        incr = api.backup(CLUSTER, Map.of("kind", "BASE", "format", "BLOCKS", "type", "INCR"));
        String incrId = incr.path("id").asString();
        assertThat(incr.path("type").asString()).isEqualTo("INCR");
        assertThat(incr.path("reference").asString()).isEqualTo(full.path("id").asString());
        assertThat(incr.path("sizeBytes").asLong()).as("an INCR adds what changed, far less than the FULL added: %s",
                incr).isLessThan(full.path("sizeBytes").asLong() / 3);
        assertThat(incr.path("dataSizeBytes").asLong()).as("but restores as much").isGreaterThan(fullData * 9 / 10);
        assertThat(api.get("/api/v1/jobs/" + incr.path("jobId").asString() + "/log").body()).contains("reused")
                .contains("INCR referring to " + full.path("id").asString());

        // after the INCR: more rows, a restore point, the WAL archived
        pg.execute("postgres", "INSERT INTO t SELECT g, 'after the incr' FROM generate_series(200001, 201000) g");
        Object expected = pg.queryValue("postgres", FINGERPRINT);
        pg.execute("postgres", "SELECT pg_create_restore_point('after-incr')");
        api.awaitLastSegment(CLUSTER, pg.switchWal(), pg);

        Path dir = recoveries.resolve("after-incr");
        started.add(dir);
        Api.Response r = api.post("/api/v1/clusters/" + CLUSTER + "/recoveries", Map.of("target",
                Map.of("name", "after-incr"), "backupId", incrId, "dataDirectory", dir.toString()));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode job = api.awaitSucceeded(r.field("id"));
        assertThat(job.path("result").path("backupId").asString()).isEqualTo(incrId);
        assertThat(fingerprint(job.path("result").path("port").asInt())).isEqualTo(expected);

        // LIST (after the backup) ran pg_verifybackup on the extracted blocks; CHECKSUM reads every block
        JsonNode listed = api.awaitVerification(incrId, Duration.ofMinutes(2));
        assertThat(listed.path("verification").path("status").asString()).as(listed.toString()).isEqualTo("PASSED");
        Api.Response checked = api.post("/api/v1/backups/" + incrId + "/verifications", Map.of("level", "CHECKSUM"));
        assertThat(checked.status()).as(checked.body()).isEqualTo(202);
        api.awaitSucceeded(checked.field("id"));
        assertThat(api.get("/api/v1/backups/" + incrId).json().path("verification").path("detail").asString())
                .contains("every block read back");
    }

    @Test
    @Order(2)
    void badBlockRequestsAreRefused() {
        long jobs = api.jobCount();
        List<Object[]> cases = List.of(
                new Object[] {"/clusters/" + CLUSTER + "/backups", Map.of("kind", "BASE", "type", "INCR"), "type"},
                new Object[] {"/clusters/" + CLUSTER + "/backups", Map.of("kind", "DUMP", "database", "postgres",
                        "format", "BLOCKS"), "format"},
                new Object[] {"/clusters/" + CLUSTER + "/backups", Map.of("kind", "BASE", "format", "BLOCKS",
                        "compressionMethod", "GZIP"), "compressionMethod"},
                new Object[] {"/clusters/" + CLUSTER + "/recoveries", Map.of("target", Map.of("latest", true),
                        "dataDirectory", recoveries.resolve("never").toString(), "delta", true), "replaceExisting"});
        for (Object[] c : cases) {
            Api.Response r = api.post("/api/v1" + c[0], (Map<String, ?>) c[1]);
            assertThat(r.status()).as("%s -> %s", c[1], r.body()).isEqualTo(400);
            assertThat(r.contentType()).startsWith("application/problem+json");
            assertThat(r.body()).contains((String) c[2]);
        }
        assertThat(recoveries.resolve("never")).doesNotExist();
        assertThat(api.jobCount()).isEqualTo(jobs);
    }

    @Test
    @Order(3)
    void aDeltaRestoreInPlaceWritesOnlyTheBlocksThatDiffer() throws Exception {
        pg.execute("postgres", "UPDATE t SET v = 'delta' WHERE id <= 300");
        JsonNode incr2 = api.backup(CLUSTER, Map.of("kind", "BASE", "format", "BLOCKS", "type", "INCR"));
        assertThat(incr2.path("reference").asString()).isEqualTo(incr.path("id").asString());
        pg.execute("postgres", "INSERT INTO t VALUES (300000, 'after the second incr')");
        Object expected = pg.queryValue("postgres", FINGERPRINT);
        api.awaitLastSegment(CLUSTER, pg.switchWal(), pg);

        Api.Response r = api.post("/api/v1/clusters/" + CLUSTER + "/recoveries", Map.of("target",
                Map.of("latest", true), "backupId", incr2.path("id").asString(), "dataDirectory",
                pg.dataDirectory().toString(), "replaceExisting", true, "delta", true));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode job = api.awaitSucceeded(r.field("id"));
        String log = api.get("/api/v1/jobs/" + r.field("id") + "/log").body();
        Matcher m = DELTA.matcher(log);
        assertThat(m.find()).as(log).isTrue();
        long checkedBytes = Long.parseLong(m.group(1));
        long skipped = Long.parseLong(m.group(2));
        long written = Long.parseLong(m.group(3));
        System.out.println("BlockStoreBackupTests: " + m.group());
        assertThat(checkedBytes).as(log).isGreaterThan(10_000_000L);
        assertThat(written).as("written << checked: %s", m.group()).isLessThan(checkedBytes / 5);
        assertThat(skipped).isGreaterThan(checkedBytes / 2);
        assertThat(job.path("result").path("movedAsideTo").isMissingNode()).as("nothing moved aside").isTrue();
        assertThat(fingerprint(job.path("result").path("port").asInt())).isEqualTo(expected);
    }

    @Test
    @Order(4)
    void anIncrNeedsNoChainAndTheSweepKeepsYoungBlocks() {
        String fullId = full.path("id").asString();
        Api.Response deleted = api.delete("/api/v1/backups/" + fullId);
        assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
        // the INCR's manifest lists every block it needs: it verifies whole without the FULL it refers to
        String incrId = incr.path("id").asString();
        Api.Response checked = api.post("/api/v1/backups/" + incrId + "/verifications", Map.of("level", "CHECKSUM"));
        assertThat(checked.status()).as(checked.body()).isEqualTo(202);
        api.awaitSucceeded(checked.field("id"));
        assertThat(api.get("/api/v1/backups/" + incrId).json().path("verification").path("status").asString())
                .isEqualTo("PASSED");
        // a restore drill: the INCR recovered to consistency on a throwaway server
        Api.Response drill = api.post("/api/v1/backups/" + incrId + "/verifications", Map.of("level", "RESTORE"));
        assertThat(drill.status()).as(drill.body()).isEqualTo(202);
        api.awaitSucceeded(drill.field("id"));
        assertThat(api.get("/api/v1/backups/" + incrId).json().path("verification").path("detail").asString())
                .contains("recovered to consistency");
        // a DIFF with no FULL to refer to is taken as a FULL, says why, and stores little: its blocks are there
        JsonNode diff = api.backup(CLUSTER, Map.of("kind", "BASE", "format", "BLOCKS", "type", "DIFF"));
        assertThat(diff.path("type").asString()).isEqualTo("FULL");
        assertThat(diff.path("options").path("type").asString()).isEqualTo("DIFF");
        assertThat(diff.path("sizeBytes").asLong()).isLessThan(full.path("sizeBytes").asLong() / 3);
        assertThat(api.get("/api/v1/jobs/" + diff.path("jobId").asString() + "/log").body())
                .contains("DIFF asked, but no earlier FULL");
        // the FULL's own blocks are younger than the sweep's grace period (1h): the sweep runs and removes none
        assertThat(sweeps.sweepAll()).containsEntry("unreferenced-blocks", 0);
    }

    @Test
    @Order(5)
    void theDownloadIsATarThatUnpacksIntoADataDirectoryThatPgVerifybackupAccepts() throws Exception {
        String incrId = incr.path("id").asString();
        byte[] tar = api.download("/api/v1/backups/" + incrId + "/content");
        assertThat((long) tar.length).as("the data directory, not the manifest")
                .isGreaterThan(incr.path("dataSizeBytes").asLong());
        Path dir = io.pgvault.testing.TempDirs.create("pgvault-blocks-download");
        Path file = dir.resolveSibling(dir.getFileName() + ".tar");
        try {
            java.nio.file.Files.write(file, tar);
            assertThat(run(List.of("tar", "-xf", file.toString(), "-C", dir.toString()))).as("tar -x").isEmpty();
            assertThat(dir.resolve("PG_VERSION")).exists();
            assertThat(dir.resolve("global/pg_control")).exists();
            assertThat(dir.resolve("backup_manifest")).exists();
            String verified = run(List.of(PgCluster.binDirectory().resolve("pg_verifybackup").toString(),
                    dir.toString()));
            assertThat(verified).contains("backup successfully verified");
        } finally {
            java.nio.file.Files.deleteIfExists(file);
            PgCluster.deleteTree(dir);
        }
    }

    @Test
    @Order(6)
    void aBackupThatReusesBlocksTheSweepMarkedKeepsThemAndRestores() throws Exception {
        // every block-store backup of the cluster deleted (a TAR one stays its BASE backup): their blocks lose their
        // manifests
        api.backup(CLUSTER, Map.of("kind", "BASE"));
        for (JsonNode b : api.get("/api/v1/backups?cluster=" + CLUSTER + "&size=100").json().path("content")) {
            if (b.path("format").asString().equals("BLOCKS") && b.path("status").asString().equals("SUCCEEDED")) {
                String id = b.path("id").asString();
                api.awaitVerification(id, Duration.ofMinutes(2));
                Api.Response deleted = api.delete("/api/v1/backups/" + id);
                assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
            }
        }
        String repository = incr.path("repository").asString();
        io.pgvault.storage.ObjectStore objects = repositories.forReading(repository).store();
        io.pgvault.blocks.BlockStore blocks = blockStores.of(repository);
        java.util.Set<String> referenced = io.pgvault.blocks.BlockSweep.referenced(objects, new int[1]);
        java.util.Set<String> orphans = new java.util.HashSet<>(blocks.namesWrittenBefore(
                java.time.Instant.now().plusSeconds(3600)));
        orphans.removeAll(referenced);
        assertThat(orphans).as("blocks no manifest names").hasSizeGreaterThan(10);

        // the sweep (lease rule, every block a candidate whatever its age) is held after marking, before deleting
        java.util.concurrent.CountDownLatch marked = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch proceed = new java.util.concurrent.CountDownLatch(1);
        io.pgvault.blocks.BlockSweep.Gate leased = leases.gate(repository);
        io.pgvault.blocks.BlockSweep.Gate held = new io.pgvault.blocks.BlockSweep.Gate() {
            @Override
            public boolean start() throws java.io.IOException {
                return leased.start();
            }

            @Override
            public boolean delete(io.pgvault.blocks.BlockLeases.Deletions batch) throws java.io.IOException {
                marked.countDown();
                try {
                    assertThat(proceed.await(5, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
                } catch (InterruptedException e) {
                    throw new java.io.InterruptedIOException();
                }
                return leased.delete(batch);
            }
        };
        java.util.concurrent.CompletableFuture<io.pgvault.blocks.BlockSweep.Result> sweep =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return io.pgvault.blocks.BlockSweep.sweep(objects, blocks,
                                java.time.Instant.now().plusSeconds(3600), held);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
        assertThat(marked.await(2, java.util.concurrent.TimeUnit.MINUTES)).as("the sweep marked").isTrue();

        // meanwhile a backup finds those blocks present and reuses them (phase 1's rule would now delete them)
        JsonNode again = api.backup(CLUSTER, Map.of("kind", "BASE", "format", "BLOCKS"));
        String id = again.path("id").asString();
        java.util.Set<String> reused = new java.util.HashSet<>(stored().blocks(id));
        reused.retainAll(orphans);
        assertThat(reused).as("the backup reused blocks the sweep marked").hasSizeGreaterThan(10);
        proceed.countDown();
        io.pgvault.blocks.BlockSweep.Result result = sweep.get(2, java.util.concurrent.TimeUnit.MINUTES);
        assertThat(result.candidates()).isGreaterThanOrEqualTo(orphans.size());
        assertThat(result.skipped()).as("%s", result).isTrue();
        assertThat(result.removed()).isZero();

        // a sweep that starts now deletes what no manifest names, and nothing the backup needs
        io.pgvault.blocks.BlockSweep.Result later = io.pgvault.blocks.BlockSweep.sweep(objects, blocks,
                java.time.Instant.now().plusSeconds(3600), leases.gate(repository));
        assertThat(later.skipped()).isFalse();
        assertThat(later.removed()).as("%s", later).isPositive();
        // the verification the backup's success started ends first: else it may end after the drill, and the
        // backup then shows its result, not the drill's
        api.awaitVerification(id, java.time.Duration.ofMinutes(3));
        Api.Response drill = api.post("/api/v1/backups/" + id + "/verifications", Map.of("level", "RESTORE"));
        assertThat(drill.status()).as(drill.body()).isEqualTo(202);
        api.awaitSucceeded(drill.field("id"));
        JsonNode verified = api.get("/api/v1/backups/" + id).json();
        assertThat(verified.path("verification").path("status").asString()).as(verified.toString()).isEqualTo("PASSED");
        assertThat(verified.path("verification").path("detail").asString()).contains("recovered to consistency");
    }

    /** Runs a program, fails unless it exits 0; its output. */
    private static String run(List<String> argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(2, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", argv, out).isZero();
        return out;
    }

    private static Object fingerprint(int port) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres",
                ""); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(FINGERPRINT)) {
            rs.next();
            return rs.getObject(1);
        }
    }
}
