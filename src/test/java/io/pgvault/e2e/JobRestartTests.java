package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A server killed (SIGKILL) in the middle of a dump: after a restart the running job is FAILED with
 * reason "interrupted", its partial files are gone, and the job that was still queued runs.
 */
class JobRestartTests {

    static final String DB = "restart db";

    @TempDir
    Path dir;

    @Test
    void aKilledServerFailsItsRunningJobAndRunsItsQueuedOne() throws Exception {
        PgCluster pg = PgCluster.shared();
        if (!pg.databaseExists(DB)) {
            pg.createDatabase(DB);
            pg.execute(DB, "CREATE TABLE held (id int)", "INSERT INTO held SELECT generate_series(1, 1000)");
        }
        int port = ServerProcess.freePort();
        String running;
        String queued;
        String runningBackup;
        ServerProcess first = ServerProcess.start(dir, port);
        try (Connection lock = pg.connect(DB); Statement st = lock.createStatement()) {
            Api api = new Api(port);
            api.register("restart", pg);
            lock.setAutoCommit(false);
            st.execute("LOCK TABLE held IN ACCESS EXCLUSIVE MODE");
            JsonNode job = api.startBackup("restart", Map.of("kind", "DUMP", "database", DB));
            running = job.path("id").asString();
            runningBackup = job.path("backupId").asString();
            api.awaitJob(running, Duration.ofSeconds(30), Set.of("RUNNING"));
            queued = api.startBackup("restart", Map.of("kind", "DUMP", "database", DB)).path("id").asString();
            Path staging = dir.resolve("store/.staging").resolve(runningBackup);
            long deadline = System.currentTimeMillis() + 20_000;
            while (!Files.exists(staging.resolve("dump.custom"))) {
                assertThat(System.currentTimeMillis()).as("no staging file appeared").isLessThan(deadline);
                Thread.sleep(50);
            }

            first.kill();
            assertThat(staging).as("the crash left a partial file behind").exists();
            lock.rollback();
        } finally {
            first.kill();
        }

        try (ServerProcess second = ServerProcess.start(dir, port)) {
            Api api = new Api(port);
            JsonNode interrupted = api.get("/api/v1/jobs/" + running).json();
            assertThat(interrupted.path("status").asString()).as(second.output()).isEqualTo("FAILED");
            assertThat(interrupted.path("error").asString()).isEqualTo("interrupted");
            JsonNode backup = api.get("/api/v1/backups/" + runningBackup).json();
            assertThat(backup.path("status").asString()).isEqualTo("FAILED");
            assertThat(backup.path("files").size()).isZero();
            assertThat(dir.resolve("store/.staging").resolve(runningBackup)).doesNotExist();
            assertThat(dir.resolve("store/restart/DUMP").resolve(runningBackup)).doesNotExist();

            JsonNode resumed = api.awaitJob(queued, Duration.ofMinutes(1));
            assertThat(resumed.path("status").asString()).as(second.output()).isEqualTo("SUCCEEDED");
            JsonNode verified = api.awaitVerification(resumed.path("backupId").asString(), Duration.ofMinutes(1));
            assertThat(verified.path("verification").path("status").asString()).isEqualTo("PASSED");
        }
    }
}
