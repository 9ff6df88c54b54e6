package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A server killed (SIGKILL) in the middle of two jobs, then started again (one kill, two server starts, for both
 * cases: each start of a pgvault JVM costs the suite seconds):
 * <ul>
 * <li>a dump: the running job is FAILED with reason "interrupted", its partial files are gone, and the job that was
 * still queued runs;</li>
 * <li>issue 25's resume: a block-store FULL killed after some of its blocks were stored is FAILED (interrupted) and
 * left no manifest; the retry finds the blocks the killed run stored and stores only the rest (its job log says how
 * many were reused), and the backup it makes reads back whole: pg_verifybackup checks the data directory extracted
 * from its blocks (LIST, after the backup).</li>
 * </ul>
 */
class JobRestartTests {

    static final String DB = "restart db";
    static final Pattern STATS = Pattern.compile("block store: (\\d+) block\\(s\\)(?: of \\d+ bytes read \\(\\d+ bytes\\))?, "
            + "(\\d+) new \\(\\d+ bytes stored, \\d+ of them as page deltas\\), (\\d+) reused");

    @TempDir
    Path dir;

    @Test
    void aKilledServerFailsItsRunningJobsRunsItsQueuedOneAndAKilledBlockBackupIsResumedByItsRetry() throws Exception {
        PgCluster pg = PgCluster.shared();
        if (!pg.databaseExists(DB)) {
            pg.createDatabase(DB);
            pg.execute(DB, "CREATE TABLE held (id int)", "INSERT INTO held SELECT generate_series(1, 1000)");
        }
        int port = ServerProcess.freePort();
        String running;
        String queued;
        String runningBackup;
        String killedBlocksJob;
        String killedBlocksBackup;
        long storedBeforeKill;
        try (PgCluster resume = PgCluster.start("resume", Map.of(), List.of("--wal-segsize=1"))) {
            resume.execute("postgres", "CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL)",
                    "INSERT INTO t SELECT g, md5(g::text) || md5((g * 3)::text) FROM generate_series(1, 200000) g",
                    "CHECKPOINT");
            ServerProcess first = ServerProcess.start(dir, port);
            try (Connection lock = pg.connect(DB); Statement st = lock.createStatement()) {
                Api api = new Api(port);
                api.register("restart", pg);
                api.register("resume", resume);
                // slowed down (maxRate: pg_basebackup --max-rate, or the host reader's own limit) so that the kill
                // lands in the middle; it runs beside the dump (two workers, one backup per cluster)
                JsonNode blocks = api.startBackup("resume", Map.of("kind", "BASE", "format", "BLOCKS", "maxRate",
                        2048));
                killedBlocksJob = blocks.path("id").asString();
                killedBlocksBackup = blocks.path("backupId").asString();

                lock.setAutoCommit(false);
                st.execute("LOCK TABLE held IN ACCESS EXCLUSIVE MODE");
                JsonNode job = api.startBackup("restart", Map.of("kind", "DUMP", "database", DB));
                running = job.path("id").asString();
                runningBackup = job.path("backupId").asString();
                api.awaitJob(running, Duration.ofSeconds(30), Set.of("RUNNING"));
                queued = api.startBackup("restart", Map.of("kind", "DUMP", "database", DB)).path("id").asString();
                Path staging = dir.resolve("store/.staging").resolve(runningBackup);
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (!Files.exists(staging.resolve("dump.custom")) || storedBlocks() < 8) {
                    assertThat(System.nanoTime()).as("no staging file appeared, or too few blocks were stored")
                            .isLessThan(deadline);
                    Thread.sleep(50);
                }

                first.kill();
                storedBeforeKill = storedBlocks();
                assertThat(staging).as("the crash left a partial file behind").exists();
                lock.rollback();
            } finally {
                first.kill();
            }

            try (ServerProcess second = ServerProcess.start(dir, port)) {
                Api api = new Api(port);
                for (String killed : List.of(running, killedBlocksJob)) {
                    JsonNode interrupted = api.get("/api/v1/jobs/" + killed).json();
                    assertThat(interrupted.path("status").asString()).as(second.output()).isEqualTo("FAILED");
                    assertThat(interrupted.path("error").asString()).isEqualTo("interrupted");
                }
                JsonNode backup = api.get("/api/v1/backups/" + runningBackup).json();
                assertThat(backup.path("status").asString()).isEqualTo("FAILED");
                assertThat(backup.path("files").size()).isZero();
                assertThat(dir.resolve("store/.staging").resolve(runningBackup)).doesNotExist();
                assertThat(dir.resolve("store/restart/DUMP").resolve(runningBackup)).doesNotExist();
                assertThat(api.get("/api/v1/backups/" + killedBlocksBackup).json().path("files").size())
                        .as("no manifest").isZero();

                JsonNode resumed = api.awaitJob(queued, Duration.ofMinutes(1));
                assertThat(resumed.path("status").asString()).as(second.output()).isEqualTo("SUCCEEDED");

                JsonNode retry = api.backup("resume", Map.of("kind", "BASE", "format", "BLOCKS"));
                String log = api.get("/api/v1/jobs/" + retry.path("jobId").asString() + "/log").body();
                Matcher m = STATS.matcher(log);
                assertThat(m.find()).as(log).isTrue();
                int total = Integer.parseInt(m.group(1));
                int added = Integer.parseInt(m.group(2));
                int reused = Integer.parseInt(m.group(3));
                System.out.println("JobRestartTests: " + storedBeforeKill + " block(s) stored before the kill; "
                        + "the retry: " + m.group());
                // the retry's distinct blocks, from its manifest: all but what it stored anew were there already; of
                // the killed run's blocks only its backup_label (and the like, a block or two) differ
                int distinct = manifestBlocks(retry.path("id").asString());
                assertThat(reused).isPositive();
                assertThat(added).isLessThan(total);
                assertThat(storedBlocks()).isEqualTo(storedBeforeKill + added);
                assertThat(distinct - added).as("blocks of the killed run the retry reused: %s", m.group())
                        .isGreaterThanOrEqualTo((int) storedBeforeKill - 2);

                JsonNode verifiedDump = api.awaitVerification(resumed.path("backupId").asString(),
                        Duration.ofMinutes(1));
                assertThat(verifiedDump.path("verification").path("status").asString()).isEqualTo("PASSED");
                JsonNode verified = api.awaitVerification(retry.path("id").asString(), Duration.ofMinutes(2));
                assertThat(verified.path("verification").path("status").asString()).as(verified.toString())
                        .isEqualTo("PASSED");
                assertThat(verified.path("verification").path("detail").asString()).contains("pg_verifybackup");
            }
        }
    }

    private int manifestBlocks(String backupId) throws IOException {
        try (Stream<Path> files = Files.walk(dir.resolve("store"))) {
            Path manifest = files.filter(p -> p.endsWith(io.pgvault.blocks.BlockManifest.FILE)
                    && p.getParent().getFileName().toString().equals(backupId)).findFirst().orElseThrow();
            try (java.io.InputStream in = Files.newInputStream(manifest)) {
                return io.pgvault.blocks.BlockManifest.readFrom(in).blocks().size();
            }
        }
    }

    /** Blocks in the store, read by path: a separate process (the harness's StoredBackups needs its context). */
    private long storedBlocks() throws IOException {
        Path blocks = dir.resolve("store/.blocks");
        if (!Files.isDirectory(blocks)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(blocks)) {
            return files.filter(p -> p.getFileName().toString().matches("[0-9a-f]{64}")).count();
        }
    }
}
