package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * Issue 25's resume: a pgvault process killed (SIGKILL) in the middle of a block-store FULL, after some of its blocks
 * were stored. After a restart the job is FAILED (interrupted) and left no manifest; the retry finds the blocks the
 * killed run stored and stores only the rest (its job log says how many were reused), and the backup it makes reads
 * back whole: pg_verifybackup checks the data directory extracted from its blocks (LIST, after the backup).
 */
class BlockBackupResumeTests {

    static final Pattern STATS = Pattern.compile("block store: (\\d+) block\\(s\\)(?: of \\d+ bytes read \\(\\d+ bytes\\))?, "
            + "(\\d+) new \\(\\d+ bytes stored\\), (\\d+) reused");

    @TempDir
    Path dir;

    @Test
    void aKilledBlockBackupIsResumedByItsRetry() throws Exception {
        int port = ServerProcess.freePort();
        String killedJob;
        String killedBackup;
        long storedBeforeKill;
        try (PgCluster pg = PgCluster.start("resume", Map.of(), List.of("--wal-segsize=1"))) {
            pg.execute("postgres", "CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL)",
                    "INSERT INTO t SELECT g, md5(g::text) || md5((g * 3)::text) FROM generate_series(1, 200000) g",
                    "CHECKPOINT");
            ServerProcess first = ServerProcess.start(dir, port);
            try {
                Api api = new Api(port);
                api.register("resume", pg);
                // slowed down (maxRate: pg_basebackup --max-rate, or the host reader's own limit) so that the kill lands in the middle
                JsonNode job = api.startBackup("resume", Map.of("kind", "BASE", "format", "BLOCKS", "maxRate", 2048));
                killedJob = job.path("id").asString();
                killedBackup = job.path("backupId").asString();
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                // a separate process: its store is read by path (the harness's StoredBackups needs its context)
                while (storedBlocks() < 8) {
                    assertThat(System.nanoTime()).as("blocks stored before the kill").isLessThan(deadline);
                    Api.sleep(50);
                }
                first.kill();
                storedBeforeKill = storedBlocks();
            } finally {
                first.kill();
            }

            try (ServerProcess second = ServerProcess.start(dir, port)) {
                Api api = new Api(port);
                JsonNode interrupted = api.get("/api/v1/jobs/" + killedJob).json();
                assertThat(interrupted.path("status").asString()).as(second.output()).isEqualTo("FAILED");
                assertThat(interrupted.path("error").asString()).isEqualTo("interrupted");
                assertThat(api.get("/api/v1/backups/" + killedBackup).json().path("files").size()).as("no manifest")
                        .isZero();

                JsonNode retry = api.backup("resume", Map.of("kind", "BASE", "format", "BLOCKS"));
                String log = api.get("/api/v1/jobs/" + retry.path("jobId").asString() + "/log").body();
                Matcher m = STATS.matcher(log);
                assertThat(m.find()).as(log).isTrue();
                int total = Integer.parseInt(m.group(1));
                int added = Integer.parseInt(m.group(2));
                int reused = Integer.parseInt(m.group(3));
                System.out.println("BlockBackupResumeTests: " + storedBeforeKill + " block(s) stored before the kill; "
                        + "the retry: " + m.group());
                // the retry's distinct blocks, from its manifest: all but what it stored anew were there already; of
                // the killed run's blocks only its backup_label (and the like, a block or two) differ
                int distinct = manifestBlocks(retry.path("id").asString());
                assertThat(reused).isPositive();
                assertThat(added).isLessThan(total);
                assertThat(storedBlocks()).isEqualTo(storedBeforeKill + added);
                assertThat(distinct - added).as("blocks of the killed run the retry reused: %s", m.group())
                        .isGreaterThanOrEqualTo((int) storedBeforeKill - 2);

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
