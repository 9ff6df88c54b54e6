package io.pgvault.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.testing.PgCluster;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Cancel, with the real pg_dump held on a table lock: a queued job is cancelled at once; a running one
 * has its process tree ended and its partial files removed. A second backup of the same cluster waits
 * for the first (one backup at a time per cluster).
 */
class JobCancelTests extends EndToEndTest {

    static final String CLUSTER = "cancel";
    static final String DB = "cancel db";
    static PgCluster pg;

    @BeforeAll
    static void seed() {
        pg = PgCluster.shared();
        if (!pg.databaseExists(DB)) {
            pg.createDatabase(DB);
            pg.execute(DB, "CREATE TABLE held (id int)", "INSERT INTO held SELECT generate_series(1, 1000)");
        }
    }

    @Test
    void cancelsQueuedAndRunningBackups() throws Exception {
        api.register(CLUSTER, pg);
        try (Connection lock = pg.connect(DB); Statement st = lock.createStatement()) {
            lock.setAutoCommit(false);
            st.execute("LOCK TABLE held IN ACCESS EXCLUSIVE MODE");

            JsonNode first = api.startBackup(CLUSTER, Map.of("kind", "DUMP", "database", DB));
            String firstId = first.path("id").asString();
            api.awaitJob(firstId, Duration.ofSeconds(30), Set.of("RUNNING"));
            awaitDescendant("pg_dump", true);

            JsonNode second = api.startBackup(CLUSTER, Map.of("kind", "DUMP", "database", DB));
            Api.sleep(1500);
            assertThat(api.get("/api/v1/jobs/" + second.path("id").asString()).field("status")).isEqualTo("QUEUED");

            Api.Response cancelQueued = api.post("/api/v1/jobs/" + second.path("id").asString() + "/cancel", "");
            assertThat(cancelQueued.status()).isEqualTo(200);
            assertThat(cancelQueued.field("status")).isEqualTo("CANCELLED");
            assertThat(api.get("/api/v1/backups/" + second.path("backupId").asString()).field("status"))
                    .isEqualTo("CANCELLED");

            assertThat(api.post("/api/v1/jobs/" + firstId + "/cancel", "").status()).isEqualTo(200);
            JsonNode cancelled = api.awaitJob(firstId, Duration.ofSeconds(30));
            assertThat(cancelled.path("status").asString()).isEqualTo("CANCELLED");
            assertThat(cancelled.path("error").asString()).contains("cancelled");
            awaitDescendant("pg_dump", false);

            String backupId = first.path("backupId").asString();
            assertThat(api.get("/api/v1/backups/" + backupId).field("status")).isEqualTo("CANCELLED");
            assertThat(STORAGE.resolve(".staging").resolve(backupId)).doesNotExist();
            assertThat(stored().anythingStored(backupId)).as("nothing of the backup is stored").isFalse();
            assertThat(api.get("/api/v1/backups/" + backupId + "/content").status()).isEqualTo(409);

            Api.Response again = api.post("/api/v1/jobs/" + firstId + "/cancel", "");
            assertThat(again.status()).isEqualTo(409);
            assertThat(again.contentType()).startsWith("application/problem+json");
            lock.rollback();
        }
        assertThat(Files.list(STORAGE.resolve(".staging")).count()).isZero();
    }

    /** Waits until a child process of this JVM with that name exists (or has gone). */
    static void awaitDescendant(String name, boolean present) {
        long deadline = System.currentTimeMillis() + 20_000;
        while (ProcessHandle.current().descendants()
                .anyMatch(p -> p.isAlive() && p.info().command().map(c -> c.endsWith("/" + name)).orElse(false)) != present) {
            assertThat(System.currentTimeMillis()).as("%s %s", name, present ? "never started" : "still running")
                    .isLessThan(deadline);
            Api.sleep(50);
        }
    }
}
